"""Life cycle: allowed and refused transitions, audit rows, rejection, readiness, collection, no-shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shopapp.catalog.models import StockMovement
from shopapp.core.clock import as_utc
from shopapp.core.outbox import OutboxJob
from shopapp.errors import InvalidTransition
from shopapp.extensions import db
from shopapp.orders import fulfilment
from shopapp.orders.models import Order, OrderEvent, OrderPart, PickupSlot
from shopapp.orders.states import ORDER_TRANSITIONS, PART_TRANSITIONS, OrderStatus, PartStatus
from tests.orders.services import call, checkout, fill_basket


@pytest.fixture
def two_shop_order(app, world, make_user):  # type: ignore[no-untyped-def]
    baker = world.shop("Boulangerie")
    cheese = world.shop("Fromagerie")
    bread = world.product(baker, "Baguette", 120, stock=10)
    brie = world.product(cheese, "Brie", 900, stock=5)
    slot = world.slot()
    user = make_user(email="res@example.org")
    fill_basket(app, user, (bread, 2), (brie, 1))
    order_id = checkout(app, user, slot)
    with app.app_context():
        parts = {p.shop_id: p.id for p in db.session.get(Order, order_id).parts}
    return {"order": order_id, "baker": baker, "cheese": cheese, "bread": bread, "brie": brie, "slot": slot,
            "user": user, "bread_part": parts[baker], "brie_part": parts[cheese]}


def _move(app, o, part_key, shop_key, *statuses):  # type: ignore[no-untyped-def]
    results = []
    for status in statuses:
        results.append(call(app, fulfilment.set_part_status, o[part_key], status, shop_id=o[shop_key], actor_id=None))
    return results


def _status(app, order_id):  # type: ignore[no-untyped-def]
    with app.app_context():
        order = db.session.get(Order, order_id)
        return order.status, [p.status for p in order.parts]


ILLEGAL_PART_MOVES = [
    (old, new) for old in PartStatus for new in PartStatus
    if new not in PART_TRANSITIONS[old] and old != new
]


@pytest.mark.parametrize(("old", "new"), ILLEGAL_PART_MOVES)
def test_each_illegal_part_transition_is_refused(app, two_shop_order, old, new):
    o = two_shop_order
    with app.app_context():
        db.session.execute(OrderPart.__table__.update().where(OrderPart.id == o["bread_part"]).values(status=old))
        db.session.commit()
        events_before = db.session.scalar(select(func.count(OrderEvent.id)))
        part = db.session.get(OrderPart, o["bread_part"])
        with pytest.raises(InvalidTransition):
            from shopapp.orders.events import change_part_status

            change_part_status(part, new, actor_id=None)
        db.session.rollback()
        assert db.session.get(OrderPart, o["bread_part"]).status == old
        assert db.session.scalar(select(func.count(OrderEvent.id))) == events_before


ILLEGAL_ORDER_MOVES = [
    (old, new) for old in OrderStatus for new in OrderStatus
    if new not in ORDER_TRANSITIONS[old] and old != new
]


@pytest.mark.parametrize(("old", "new"), ILLEGAL_ORDER_MOVES)
def test_each_illegal_order_transition_is_refused(app, two_shop_order, old, new):
    o = two_shop_order
    with app.app_context():
        db.session.execute(Order.__table__.update().where(Order.id == o["order"]).values(status=old))
        db.session.commit()
        order = db.session.get(Order, o["order"])
        from shopapp.orders.events import change_order_status

        with pytest.raises(InvalidTransition):
            change_order_status(order, new, actor_id=None)
        db.session.rollback()
        assert db.session.get(Order, o["order"]).status == old


def test_order_becomes_ready_exactly_when_every_part_is_at_the_venue(app, two_shop_order, no_dispatch):
    o = two_shop_order

    _move(app, o, "bread_part", "baker", "preparing", "ready", "at_venue")
    assert _status(app, o["order"]) == ("confirmed", ["at_venue", "received"])
    _move(app, o, "brie_part", "cheese", "preparing", "ready", "at_venue")

    assert _status(app, o["order"]) == ("ready_for_pickup", ["at_venue", "at_venue"])
    with app.app_context():
        events = db.session.scalars(select(OrderEvent).where(OrderEvent.part_id.is_(None)).order_by(OrderEvent.id))
        assert [(e.from_status, e.to_status) for e in events] == [(None, "confirmed"),
                                                                   ("confirmed", "ready_for_pickup")]
        assert db.session.scalar(select(func.count(OrderEvent.id)).where(OrderEvent.part_id.is_not(None))) == 6
        assert db.session.scalar(
            select(func.count(OutboxJob.id)).where(OutboxJob.task_name == "notices.order_ready")) == 1


def test_skipping_a_step_is_refused(app, two_shop_order):
    o = two_shop_order

    [result] = _move(app, o, "bread_part", "baker", "at_venue")

    assert isinstance(result, InvalidTransition)
    assert _status(app, o["order"]) == ("confirmed", ["received", "received"])


def test_a_shop_cannot_move_another_shops_part(app, two_shop_order):
    o = two_shop_order

    result = call(app, fulfilment.set_part_status, o["brie_part"], "preparing", shop_id=o["baker"], actor_id=None)

    assert result.status == 404
    assert _status(app, o["order"]) == ("confirmed", ["received", "received"])


def test_rejected_part_leaves_the_order_and_its_stock_returns(app, world, two_shop_order, no_dispatch):
    o = two_shop_order

    _move(app, o, "brie_part", "cheese", "rejected")
    _move(app, o, "bread_part", "baker", "preparing", "ready", "at_venue")

    assert _status(app, o["order"]) == ("ready_for_pickup", ["at_venue", "rejected"])
    assert world.stock(o["brie"]) == (5, 0)
    with app.app_context():
        assert db.session.get(Order, o["order"]).total_cents == 240
        assert db.session.scalar(
            select(func.count(OutboxJob.id)).where(OutboxJob.task_name == "notices.part_rejected")) == 1


def test_all_parts_rejected_cancels_the_order_and_frees_the_slot(app, world, two_shop_order):
    o = two_shop_order

    _move(app, o, "brie_part", "cheese", "rejected")
    _move(app, o, "bread_part", "baker", "preparing", "rejected")

    assert _status(app, o["order"]) == ("cancelled", ["rejected", "rejected"])
    assert world.stock(o["bread"]) == (10, 0)
    assert world.booked(o["slot"]) == 0


def test_cancellation_returns_stock_and_slot(app, world, two_shop_order, no_dispatch):
    o = two_shop_order

    result = call(app, fulfilment.cancel_order, o["order"], actor_id=o["user"], owner_id=o["user"])

    assert result == o["order"]
    assert _status(app, o["order"]) == ("cancelled", ["cancelled", "cancelled"])
    assert world.stock(o["bread"]) == (10, 0)
    assert world.stock(o["brie"]) == (5, 0)
    assert world.booked(o["slot"]) == 0


def test_cancellation_is_refused_once_a_shop_is_preparing(app, world, two_shop_order):
    o = two_shop_order
    _move(app, o, "bread_part", "baker", "preparing")

    result = call(app, fulfilment.cancel_order, o["order"], actor_id=o["user"], owner_id=o["user"])

    assert isinstance(result, InvalidTransition) and result.code == "not_cancellable"
    assert _status(app, o["order"]) == ("confirmed", ["preparing", "received"])
    assert world.stock(o["bread"]) == (10, 2)
    assert world.booked(o["slot"]) == 1


def test_collect_needs_every_part_and_records_the_payment_and_consumes_stock(app, world, two_shop_order):
    o = two_shop_order
    _move(app, o, "bread_part", "baker", "preparing", "ready", "at_venue")

    early = call(app, fulfilment.collect_order, o["order"], actor_id=None, paid_via="cash")
    _move(app, o, "brie_part", "cheese", "preparing", "ready", "at_venue")
    unpaid = call(app, fulfilment.collect_order, o["order"], actor_id=None)
    done = call(app, fulfilment.collect_order, o["order"], actor_id=None, paid_via="card_terminal")
    again = call(app, fulfilment.collect_order, o["order"], actor_id=None, paid_via="cash")

    assert early.code == "parts_missing" and early.status == 409
    assert unpaid.status == 422
    assert done == o["order"]
    assert isinstance(again, InvalidTransition)
    with app.app_context():
        order = db.session.get(Order, o["order"])
        assert (order.status, order.payment_status, order.paid_via, order.paid_cents) == (
            "collected", "paid", "card_terminal", 1140)
        assert db.session.scalar(select(func.count(StockMovement.id))) == 2
    assert world.stock(o["bread"]) == (8, 0)
    assert world.stock(o["brie"]) == (4, 0)


def test_no_show_after_the_holding_period_releases_stock_once(app, world, two_shop_order, no_dispatch):
    o = two_shop_order
    _move(app, o, "bread_part", "baker", "preparing", "ready", "at_venue")
    _move(app, o, "brie_part", "cheese", "preparing", "ready", "at_venue")
    with app.app_context():  # the venue holds orders 2 h after their slot ends
        slot_end = as_utc(db.session.get(PickupSlot, o["slot"]).ends_at)

    too_early = call(app, fulfilment.mark_no_shows, now=slot_end + timedelta(minutes=90))
    marked = call(app, fulfilment.mark_no_shows, now=slot_end + timedelta(hours=3))
    again = call(app, fulfilment.mark_no_shows, now=slot_end + timedelta(hours=4))

    assert (too_early, marked, again) == (0, 1, 0)
    assert _status(app, o["order"])[0] == "no_show"
    assert world.stock(o["bread"]) == (10, 0)
    assert world.stock(o["brie"]) == (5, 0)
    with app.app_context():
        assert db.session.scalar(
            select(func.count(OutboxJob.id)).where(OutboxJob.task_name == "notices.order_no_show")) == 1


def test_confirm_order_moves_a_card_order_out_of_pending_payment(app, world, make_user, no_dispatch):
    from shopapp.orders.placement import CheckoutRequest, place_order

    shop = world.shop()
    bread = world.product(shop)
    user = make_user()
    fill_basket(app, user, (bread, 1))
    order_id = call(app, lambda: place_order(CheckoutRequest(user, world.slot(), "card"), card_enabled=True).order)

    call(app, fulfilment.confirm_order, order_id)
    again = call(app, fulfilment.confirm_order, order_id)

    assert isinstance(again, InvalidTransition)
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.payment_status) == ("confirmed", "paid")
        assert sorted(db.session.scalars(select(OutboxJob.task_name))) == [
            "notices.order_confirmed", "notices.part_to_prepare"]


def test_a_suspended_shop_disappears_from_the_catalog_but_its_open_order_is_still_collected(
        app, client, two_shop_order, make_user):
    from shopapp.association.services import suspend_shop

    o = two_shop_order
    admin = make_user(email="admin@example.org", roles=("admin",))
    call(app, suspend_shop, o["cheese"], actor_id=admin, reason="contrôle sanitaire")

    assert client.get(f"/api/v1/products/{o['brie']}").status_code == 404
    _move(app, o, "bread_part", "baker", "preparing", "ready", "at_venue")
    _move(app, o, "brie_part", "cheese", "preparing", "ready", "at_venue")
    call(app, fulfilment.collect_order, o["order"], actor_id=None, paid_via="cash")

    assert _status(app, o["order"]) == ("collected", ["at_venue", "at_venue"])
