"""A basket's pickup slots respect the opening days of every shop in it: a shop that does not prepare
orders on Mondays means no Monday slot is offered, checking out on one is refused clearly, and an order
holding its products cannot be moved to a Monday."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from shopapp.accounts.models import User
from shopapp.catalog.models import Shop
from shopapp.extensions import db
from shopapp.orders import fulfilment
from shopapp.orders.models import Order, PickupSlot
from tests.conftest import csrf_token, text_of
from tests.orders.services import call, checkout, fill_basket
from tests.support.clock import local, venue_today


def _next_weekday(isoweekday: int) -> date:
    """The first such weekday at least three days ahead (well past any preparation time)."""
    day = venue_today() + timedelta(days=3)
    while day.isoweekday() != isoweekday:
        day += timedelta(days=1)
    return day


def _slot_on(app, world, isoweekday: int) -> int:  # type: ignore[no-untyped-def]
    start = local(_next_weekday(isoweekday), 11)
    with app.app_context():
        slot = PickupSlot(venue_id=world.venue_id, starts_at=start, ends_at=start + timedelta(hours=1), capacity=10)
        db.session.add(slot)
        db.session.commit()
        return slot.id


def _basket_with_a_shop_closed_on_mondays(app, world, make_user):  # type: ignore[no-untyped-def]
    open_daily = world.shop("Épicerie du Marché")
    closed_monday = world.shop("Boulangerie Aurore")
    with app.app_context():
        db.session.get(Shop, closed_monday).opening_days = [2, 3, 4, 5, 6, 7]
        db.session.get(Shop, open_daily).opening_days = []  # nothing recorded: prepares every day
        db.session.commit()
    user = make_user(email="res@example.org")
    fill_basket(app, user, (world.product(open_daily, "Riz"), 1), (world.product(closed_monday, "Baguette"), 1))
    return _slot_on(app, world, 1), _slot_on(app, world, 2)


def test_no_monday_slot_is_offered_when_a_shop_of_the_basket_is_closed_on_mondays(app, client, world, make_user):
    monday, tuesday = _basket_with_a_shop_closed_on_mondays(app, world, make_user)
    token = client.post("/api/v1/auth/token", json={"email": "res@example.org", "password": "motdepasse1"})
    h = {"Authorization": f"Bearer {token.json['token']}"}

    items = client.get("/api/v1/pickup-slots", headers=h).json["items"]
    refused = client.post("/api/v1/orders", json={"pickup_slot_id": monday, "payment_method": "at_pickup"},
                          headers={**h, "Idempotency-Key": "monday"})

    assert [item["id"] for item in items] == [tuesday]
    assert refused.status_code == 409 and refused.json["error"]["code"] == "shop_closed"
    with app.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == 0


def test_checkout_page_offers_no_monday_and_refuses_one_posted_anyway(app, client, auth, world, make_user):
    monday, tuesday = _basket_with_a_shop_closed_on_mondays(app, world, make_user)
    auth.login("res@example.org")

    page = client.get("/commande")
    token = csrf_token(client, "/commande")
    posted = client.post("/commande", data={"csrf_token": token, "slot_id": monday, "payment_method": "at_pickup",
                                            "accept_terms": "y", "idempotency_key": "k-monday"})
    placed = client.post("/commande", data={"csrf_token": token, "slot_id": tuesday, "payment_method": "at_pickup",
                                            "accept_terms": "y", "idempotency_key": "k-tuesday"})

    assert f'value="{tuesday}"' in page.get_data(as_text=True)
    assert f'value="{monday}"' not in page.get_data(as_text=True)
    assert posted.status_code == 422
    assert placed.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Order.pickup_slot_id)) == tuesday
    assert "Créneau de retrait" in text_of(posted)  # the page is shown again, the slot refused


def test_an_order_cannot_move_to_a_day_one_of_its_shops_does_not_prepare_orders(app, world, make_user):
    monday, tuesday = _basket_with_a_shop_closed_on_mondays(app, world, make_user)
    with app.app_context():
        user = db.session.scalar(select(User.id).where(User.email == "res@example.org"))
    order_id = checkout(app, user, tuesday)

    refused = call(app, fulfilment.change_pickup_slot, order_id, monday, owner_id=user)

    assert refused.code == "shop_closed"
    assert "ne prépare pas de commandes ce jour-là" in refused.message
    with app.app_context():
        assert db.session.get(Order, order_id).pickup_slot_id == tuesday
