"""The desk at 5 pm on a tablet (1024×768): the day's summary, an order complete at the venue handed over from
the board through its order page, where every shop's bag is listed; axe-core on both pages."""

from __future__ import annotations

import re

import pytest

from shopapp.core.clock import venue_time
from shopapp.extensions import db
from shopapp.orders import fulfilment
from shopapp.orders.models import Order, PickupSlot
from tests.browser.conftest import log_in, run_axe, screenshot
from tests.orders.conftest import World
from tests.orders.services import call, checkout, fill_basket

pytestmark = pytest.mark.browser


def test_the_desk_hands_over_a_complete_order_from_its_board_on_a_tablet(app, make_user, live_server, page):
    world = World(app, make_user)
    baker = world.shop("Boulangerie Aurore", keeper="baker@example.org")
    cheese = world.shop("Fromagerie Lucas", keeper="cheese@example.org")
    bread, comte = world.product(baker, "Pain de campagne", 450), world.product(cheese, "Comté fruité", 890)
    make_user(email="desk@example.org", name="Camille Comptoir", roles=("venue",))
    slot = world.slot(hours_from_now=30)
    world.slot(hours_from_now=30.5)
    ready = make_user(email="suzanne@example.org", name="Suzanne Morel")
    waiting = make_user(email="marc@example.org", name="Marc Petit")
    fill_basket(app, ready, (bread, 1), (comte, 2))
    ready_id = checkout(app, ready, slot)
    fill_basket(app, waiting, (bread, 1), (comte, 1))
    waiting_id = checkout(app, waiting, slot)
    with app.app_context():
        ready_order = db.session.get(Order, ready_id)
        code = ready_order.pickup_code
        parts = [(p.id, p.shop_id) for p in ready_order.parts]
        parts.append(next((p.id, p.shop_id) for p in db.session.get(Order, waiting_id).parts if p.shop_id == baker))
        day = venue_time(db.session.get(PickupSlot, slot).starts_at).date().isoformat()
    for part_id, shop_id in parts:
        for status in ("preparing", "ready", "at_venue"):
            call(app, fulfilment.set_part_status, part_id, status, shop_id=shop_id, actor_id=None)

    page.set_viewport_size({"width": 1024, "height": 768})
    log_in(page, live_server, "desk@example.org")
    page.goto(live_server + "/comptoir?date=" + day)

    summary = page.locator(".desk-summary dl")
    assert re.sub(r"\s+", " ", summary.inner_text()).strip() == "À remettre 2 Complètes 1 En attente d’un sac 1"
    assert page.locator(".desk-order.all-here .readiness").inner_text().strip() == "✔ Complète : à remettre"
    assert page.locator(".desk-order.waiting .readiness").inner_text().strip() == "… En attente : 1 sac manquant"
    assert page.locator(".panel").count() == 1 and page.locator(".empty-slots").is_visible()
    assert run_axe(page) == []
    screenshot(page, "desk-board-1024")

    with page.expect_navigation():  # measured below: the page's style sheet must be applied first
        page.locator(".desk-order.all-here").get_by_role("link", name=re.compile(code)).click()
    bags = page.locator(".desk-bags")
    assert "1 × Pain de campagne (pièce)" in bags.inner_text() and "2 × Comté fruité (pièce)" in bags.inner_text()
    hand_over = page.get_by_role("button", name="Remettre la commande")
    box = hand_over.bounding_box()
    assert box is not None and box["height"] >= 60 and box["width"] > 500
    assert run_axe(page) == []
    screenshot(page, "desk-order-1024")
    page.get_by_label("Espèces").check()
    hand_over.click()

    page.wait_for_load_state()
    assert "Retirée" in page.locator(".order-status").inner_text()
    page.goto(live_server + "/comptoir?date=" + day)
    assert re.sub(r"\s+", " ", page.locator(".desk-summary dl").inner_text()).strip() == (
        "À remettre 1 Complètes 0 En attente d’un sac 1")
