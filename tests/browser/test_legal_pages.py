"""At phone width (360 px): the checkout's terms link opens the CGV; the legal pages, their settings page
and the confirmations before cancelling or refusing pass axe-core; screenshots in test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, run_axe, screenshot, too_wide
from tests.orders.conftest import World
from tests.orders.services import checkout, fill_basket

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 780}


def _serious(violations):  # type: ignore[no-untyped-def]
    return [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations if v["impact"] in ("serious", "critical")]


def test_the_checkout_terms_link_opens_the_cgv(app, make_user, live_server, page):
    world = World(app, make_user)
    bread = world.product(world.shop("Boulangerie Aurore"), "Pain de campagne", 450)
    world.slot(hours_from_now=50)
    resident = make_user(email="suzanne@example.org", name="Suzanne Morel")
    fill_basket(app, resident, (bread, 1))
    page.set_viewport_size(PHONE)

    log_in(page, live_server, "suzanne@example.org")
    page.goto(live_server + "/commande")
    assert _serious(run_axe(page)) == []
    screenshot(page, "legal-checkout-terms-link")
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Lire les conditions générales de vente").click()
    cgv = opened.value
    cgv.wait_for_load_state()

    assert cgv.url == live_server + "/cgv"
    expect(cgv.get_by_role("heading", level=1)).to_have_text("Conditions générales de vente")
    expect(cgv.get_by_role("heading", name="Droit de rétractation")).to_be_visible()
    assert _serious(run_axe(cgv)) == []
    screenshot(cgv, "legal-cgv")


@pytest.mark.parametrize("path", ["/cgv", "/mentions-legales", "/confidentialite"])
def test_legal_pages_pass_axe_at_phone_width(app, make_user, live_server, page, path):
    World(app, make_user)  # the venue whose name the texts use
    page.set_viewport_size(PHONE)

    page.goto(live_server + path)

    assert _serious(run_axe(page)) == []
    assert too_wide(page, "legal page") == []
    screenshot(page, "legal-page" + path.replace("/", "-"))


def test_the_association_edits_the_legal_texts(app, make_user, live_server, page):
    World(app, make_user)
    make_user(email="admin@example.org", roles=("admin",))
    page.set_viewport_size(PHONE)

    log_in(page, live_server, "admin@example.org")
    page.goto(live_server + "/association/reglages/informations-legales")
    assert _serious(run_axe(page)) == []
    page.get_by_label("Mentions légales").fill("## Hébergeur\n\nHéberg'Ouest, 12 quai des Serveurs")
    page.get_by_role("button", name="Enregistrer les informations légales").click()
    expect(page.get_by_text("Les informations légales sont enregistrées.")).to_be_visible()
    screenshot(page, "legal-settings")
    page.get_by_role("link", name="Mentions légales").last.click()

    expect(page.get_by_role("heading", name="Hébergeur")).to_be_visible()


def test_cancelling_and_refusing_ask_for_a_ticked_box(app, make_user, live_server, page):
    world = World(app, make_user)
    baker = world.shop("Boulangerie Aurore", keeper="baker@example.org")
    bread = world.product(baker, "Pain de campagne", 450)
    resident = make_user(email="suzanne@example.org", name="Suzanne Morel")
    fill_basket(app, resident, (bread, 1))
    first = checkout(app, resident, world.slot(hours_from_now=50))
    fill_basket(app, resident, (bread, 1))
    checkout(app, resident, world.slot(hours_from_now=52), key="second")
    page.set_viewport_size(PHONE)

    log_in(page, live_server, "suzanne@example.org")
    page.goto(f"{live_server}/mes-commandes/{first}")
    assert _serious(run_axe(page)) == []
    page.get_by_role("button", name="Annuler la commande").click()  # the browser asks for the box first
    expect(page.get_by_label("Je confirme l'annulation de toute la commande")).to_be_visible()
    page.get_by_label("Je confirme l'annulation de toute la commande").check()
    page.get_by_role("button", name="Annuler la commande").click()
    expect(page.get_by_text("Votre commande est annulée.")).to_be_visible()
    screenshot(page, "legal-cancel-confirmed")

    with page.expect_navigation():
        page.get_by_role("button", name="Se déconnecter").click()
    log_in(page, live_server, "baker@example.org")
    page.goto(live_server + "/preparation")
    assert _serious(run_axe(page)) == []
    screenshot(page, "legal-refuse-confirmation")
    page.get_by_role("link", name="Refuser (rupture)").click()  # the confirmation page
    page.get_by_label("Je confirme : aucun article de cette commande ne sera fourni au client").check()
    page.get_by_role("button", name="Refuser toute la commande").click()
    expect(page.get_by_text("Commande refusée. Le client est prévenu.")).to_be_visible()
