"""A resident sees a tasting while choosing a pickup slot, joins it during checkout, and finds it under
"my animations" — in a real Chromium."""

from __future__ import annotations

import pytest

from tests.animations.conftest import Animations
from tests.browser.conftest import confirm_at_pickup, log_in, screenshot
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

    log_in(page, live_server, "suzanne@example.org")
    page.goto(live_server + "/produits")
    page.get_by_role("button", name="Ajouter au panier : Comté 18 mois").click()
    page.get_by_text("Ajouté à votre panier.").wait_for()  # added in place: the page stays
    page.goto(live_server + "/commande")

    tip = page.locator(".slot-tip")
    assert "Dégustation de comtés" in tip.inner_text() and "Fromagerie Lucas" in tip.inner_text()
    screenshot(page, "checkout-slot-with-tasting")
    assert len(confirm_at_pickup(page, slot, join=(tasting,))) == 6

    page.goto(live_server + "/compte")
    page.get_by_role("link", name="Mes animations et mon agenda personnel").click()
    item = page.locator(".my-animations li").first
    assert "Dégustation de comtés" in item.inner_text() and "Inscrit (1 place)" in item.inner_text()
    screenshot(page, "my-animations")
