"""On a 360 px phone the shopkeeper refuses one line of an order: the reason, a confirmation box, then the
line shows as refused on the orders to prepare; axe-core on both pages."""

from __future__ import annotations

import pytest

from shopapp.extensions import db
from shopapp.orders.models import Order, OrderLine
from tests.browser.conftest import log_in, run_axe, screenshot
from tests.orders.conftest import World
from tests.orders.services import checkout, fill_basket

pytestmark = pytest.mark.browser


def test_a_shopkeeper_refuses_one_line_with_a_reason_on_a_phone(app, make_user, live_server, page):
    world = World(app, make_user)
    baker = world.shop("Boulangerie Aurore", keeper="baker@example.org")
    bread = world.product(baker, "Pain de campagne", 450, stock=50)
    croissant = world.product(baker, "Croissant", 120, stock=50)
    resident = make_user(email="res@example.org", name="Client Un")
    fill_basket(app, resident, (bread, 1), (croissant, 2))
    order_id = checkout(app, resident, world.slot(hours_from_now=30))
    with app.app_context():
        part = db.session.get(Order, order_id).parts[0]
        part_id = part.id
        line_id = next(line.id for line in part.lines if line.product_id == croissant)

    page.set_viewport_size({"width": 360, "height": 780})
    log_in(page, live_server, "baker@example.org")
    page.locator(f"#part-{part_id}").get_by_role("link", name="Refuser cet article — Croissant").click()
    page.wait_for_url(f"**/preparation/parts/{part_id}/lignes/{line_id}/refuser*")
    assert run_axe(page) == []

    page.get_by_label("Produit abîmé").check()
    page.get_by_role("button", name="Refuser cet article").click()  # not confirmed yet: nothing refused
    assert "Cochez la case pour confirmer le refus." in page.locator("main").inner_text()
    with app.app_context():
        assert db.session.get(OrderLine, line_id).refused_at is None
    assert run_axe(page) == []
    page.get_by_label("Produit abîmé").check()
    page.get_by_label("Je confirme : cet article ne sera pas fourni au client").check()
    screenshot(page, "refuse-line-360")
    page.get_by_role("button", name="Refuser cet article").click()

    page.wait_for_url(f"**/preparation?shop=*#part-{part_id}")
    assert "refusé : Produit abîmé" in page.locator(f"#part-{part_id}").inner_text()
    assert run_axe(page) == []
    screenshot(page, "refuse-line-done-360")
    with app.app_context():
        assert db.session.get(OrderLine, line_id).refusal_reason == "Produit abîmé"
