"""The desk tablet (1024×768) records two shops' bags by typing their labels, then hands the order over;
the bag label page and the desk's drop-off pages pass axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from shopapp.extensions import db
from shopapp.orders import fulfilment
from shopapp.orders.models import Order, OrderPart
from tests.browser.conftest import log_in, run_axe, screenshot
from tests.orders.conftest import World
from tests.orders.services import call, checkout, fill_basket

pytestmark = pytest.mark.browser


def _no_violations(page) -> None:  # type: ignore[no-untyped-def]
    violations = run_axe(page)
    assert [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in violations] == []


def test_desk_types_two_labels_then_hands_the_order_over(app, make_user, live_server, page):
    world = World(app, make_user)
    bakery = world.shop("Boulangerie Aurore", keeper="baker@example.org")
    cheese = world.shop("Fromagerie Lucas", keeper="cheese@example.org")
    bread = world.product(bakery, "Pain de campagne", 450)
    comte = world.product(cheese, "Comté fruité", 900)
    slot = world.slot(hours_from_now=50)
    resident = make_user(email="suzanne@example.org", name="Suzanne Morel")
    make_user(email="venue@example.org", name="Comptoir", roles=("venue",))
    fill_basket(app, resident, (bread, 1), (comte, 1))
    order_id = checkout(app, resident, slot)
    with app.app_context():
        parts = [(p.id, p.shop_id, p.label) for p in db.session.scalars(
            select(OrderPart).where(OrderPart.order_id == order_id).order_by(OrderPart.id))]
        number = db.session.get_one(Order, order_id).number
    for part_id, shop_id, _label in parts:
        for status in ("preparing", "ready"):
            assert call(app, fulfilment.set_part_status, part_id, status, shop_id=shop_id, actor_id=None) == part_id

    page.set_viewport_size({"width": 1024, "height": 768})
    log_in(page, live_server, "baker@example.org")
    page.goto(live_server + "/preparation")
    page.get_by_role("link", name=f"Étiquette du sac — {number}").click()
    expect(page.locator(".label-code")).to_have_text(parts[0][2])
    expect(page.get_by_role("img", name=f"QR code de l’étiquette {parts[0][2]}")).to_be_visible()
    _no_violations(page)
    screenshot(page, "bag-label")
    with page.expect_navigation():
        page.get_by_role("button", name="Se déconnecter").click()

    log_in(page, live_server, "venue@example.org")
    page.goto(live_server + f"/comptoir/commandes/{order_id}")
    expect(page.get_by_label("Raison du dépôt saisi au comptoir — Boulangerie Aurore")).to_be_visible()
    _no_violations(page)
    page.get_by_role("link", name="Comptoir", exact=True).click()
    page.get_by_role("link", name="Dépôts des boutiques").click()
    field = page.get_by_label("Étiquette du sac (scannez ou tapez le code)")
    expect(field).to_be_focused()
    _no_violations(page)

    for index, (_part_id, _shop_id, label) in enumerate(parts):
        field.press_sequentially(label.lower())
        with page.expect_navigation():
            field.press("Enter")
        expect(page.locator(".scan-ok")).to_contain_text(label)
        expect(field).to_be_focused()
        if index == 0:
            expect(page.locator("#scan-result")).to_contain_text("1 part attendue encore")
    expect(page.locator("#scan-result")).to_contain_text(f"la commande {number} est complète")
    expect(page.locator(".scan-list li")).to_have_count(2)
    _no_violations(page)
    screenshot(page, "desk-drop-offs")

    page.get_by_role("link", name="Voir la commande").click()
    page.get_by_label("Espèces").check()
    page.get_by_role("button", name="Remettre la commande").click()
    expect(page.get_by_text("Commande remise. Bonne journée !")).to_be_visible()
    assert page.locator(".order-status").inner_text() == "Retirée"
    screenshot(page, "desk-drop-offs-collected")
