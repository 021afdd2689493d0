"""A resident sees a tasting while choosing a pickup slot, joins it during checkout, and finds it under
"my animations" — in a real Chromium."""

from __future__ import annotations

import pytest

from tests.animations.conftest import Animations
from tests.browser.conftest import screenshot
from tests.orders.conftest import World

pytestmark = pytest.mark.browser


def test_resident_joins_a_tasting_while_checking_out(app, make_user, live_server, page):
    from shopapp.extensions import db
    from shopapp.orders.models import PickupSlot

    world = World(app, make_user)
    cheese = world.shop("Fromagerie Lucas", preparation_minutes=60)
    world.product(cheese, "Comté 18 mois", 890, stock=5)
    slot = world.slot(hours_from_now=50)
    with app.app_context():
        starts = db.session.get(PickupSlot, slot).starts_at
    tasting = Animations(app, world, make_user).make("Dégustation de comtés", starts_at=starts, hours=1,
                                                     shop_ids=(cheese,), capacity=8)
    make_user(email="suzanne@example.org", name="Suzanne Morel")

    page.goto(live_server + "/connexion")
    page.get_by_label("Adresse e-mail").fill("suzanne@example.org")
    page.get_by_label("Mot de passe").fill("motdepasse1")
    page.get_by_role("button", name="Se connecter").click()
    page.goto(live_server + "/produits")
    page.get_by_role("button", name="Ajouter au panier : Comté 18 mois").click()
    page.goto(live_server + "/commande")

    tip = page.locator(".slot-tip")
    assert "Dégustation de comtés" in tip.inner_text() and "Fromagerie Lucas" in tip.inner_text()
    screenshot(page, "checkout-slot-with-tasting")
    page.locator(f"#slot-{slot}").check()
    page.locator(f"#join-{slot}-{tasting}").check()
    page.get_by_label("Au retrait, à la Halle (carte ou espèces)").check()
    page.get_by_label("J'accepte les conditions générales de vente").check()
    page.get_by_role("button", name="Confirmer la commande").click()
    assert len(page.locator("#pickup-code").inner_text().strip()) == 6

    page.goto(live_server + "/compte")
    page.get_by_role("link", name="Mes animations et mon agenda personnel").click()
    item = page.locator(".my-animations li").first
    assert "Dégustation de comtés" in item.inner_text() and "Inscrit (1 place(s))" in item.inner_text()
    screenshot(page, "my-animations")
