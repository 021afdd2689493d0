"""The shopkeeper's morning on a 360 px phone: log-in leads to the orders to prepare, a step brings the page back
to the same order (without JavaScript help), and the picking list names its day in words; axe-core on both."""

from __future__ import annotations

import pytest

from shopapp.catalog.models import Shop
from shopapp.core.clock import venue_time
from shopapp.extensions import db
from shopapp.orders.models import Order, PickupSlot
from tests.browser.conftest import log_in, run_axe, screenshot
from tests.orders.conftest import World
from tests.orders.services import checkout, fill_basket

pytestmark = pytest.mark.browser


def test_a_shopkeeper_moves_an_order_on_a_phone_without_losing_their_place(app, make_user, live_server, page):
    world = World(app, make_user)
    baker = world.shop("Boulangerie Aurore", keeper="baker@example.org")
    bread = world.product(baker, "Pain de campagne", 450, stock=50)
    slot = world.slot(hours_from_now=30)
    order_ids = []
    for n in range(6):  # enough orders for the page to scroll on a phone
        resident = make_user(email=f"res{n}@example.org", name=f"Client {n}")
        fill_basket(app, resident, (bread, 1 + n % 2))
        order_ids.append(checkout(app, resident, slot))
    with app.app_context():
        last_part = db.session.get(Order, order_ids[-1]).parts[0].id
        day = venue_time(db.session.get(PickupSlot, slot).starts_at).date()
        slug = db.session.get(Shop, baker).slug

    page.set_viewport_size({"width": 360, "height": 780})
    log_in(page, live_server, "baker@example.org")

    assert page.url == live_server + "/preparation"
    assert run_axe(page) == []
    card = page.locator(f"#part-{last_part}")
    card.get_by_role("button", name="Commencer la préparation").click()
    page.wait_for_url(f"**/preparation?shop=*#part-{last_part}")
    assert "En préparation" in page.locator(f"#part-{last_part}").inner_text()
    assert page.evaluate("window.scrollY") > 0  # the browser scrolled back to that order
    screenshot(page, "shop-morning-360")

    page.goto(live_server + f"/preparation/liste?shop={slug}&date={day.isoformat()}")
    assert day.isoformat() not in page.locator("main").inner_text()
    assert "Pain de campagne (pièce)" in page.locator("#pick-totals + table").inner_text()
    assert run_axe(page) == []
