"""An order's random codes (number, pickup code, bag labels) drawn again when one is already taken.

Over the years a town places hundreds of thousands of orders: now and then a 6-character pickup code or
label, or a day's 5-character order number, comes out of the draw twice. The resident must not notice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.orders import placement
from shopapp.orders.models import Order, OrderPart
from tests.checkout.flow import token_headers
from tests.orders.services import checkout, fill_basket


def _first_then_fresh(taken: str, fresh: Callable[..., str]) -> Callable[..., str]:
    draws: Iterator[str] = iter([taken])
    return lambda *args: next(draws, None) or fresh(*args)


def _codes(app: Any, order_id: int) -> tuple[str, str, list[str]]:
    with app.app_context():
        order = db.session.get_one(Order, order_id)
        return order.number, order.pickup_code, [part.label for part in order.parts]


def _anne_with_a_baguette(app: Any, world: Any, make_user: Any) -> tuple[int, int, int]:
    """A baguette (10 in stock), a slot, and Anne with one baguette in her basket."""
    bread = world.product(world.shop("Boulangerie Aurore"), "Baguette", 130, stock=10)
    slot = world.slot()
    anne = make_user(email="anne@example.org")
    fill_basket(app, anne, (bread, 1))
    return bread, slot, anne


def test_a_taken_pickup_code_or_label_is_drawn_again_and_the_order_goes_through(
        app, client, world, make_user, monkeypatch):  # type: ignore[no-untyped-def]
    bread, slot, first = _anne_with_a_baguette(app, world, make_user)
    number, pickup_code, (label,) = _codes(app, checkout(app, first, slot))

    # The next resident's draws: first the codes the first order holds, then fresh ones.
    monkeypatch.setattr(placement, "new_pickup_code", _first_then_fresh(pickup_code, placement.new_pickup_code))
    monkeypatch.setattr(placement, "new_label", _first_then_fresh(label, placement.new_label))
    monkeypatch.setattr(placement, "new_order_number", _first_then_fresh(number, placement.new_order_number))
    second = make_user(email="bruno@example.org")
    fill_basket(app, second, (bread, 2))
    answer = client.post("/api/v1/orders", json={"pickup_slot_id": slot, "payment_method": "at_pickup"},
                         headers=token_headers(client, "bruno@example.org"))

    assert answer.status_code == 201, answer.get_data(as_text=True)
    new_number, new_code, (new_label,) = _codes(app, answer.json["id"])
    assert new_number != number and new_code != pickup_code and new_label != label
    assert world.stock(bread) == (10, 3) and world.booked(slot) == 2  # taken once, not once per draw
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OrderPart)) == 2


def test_another_integrity_error_is_not_drawn_again(app, world, make_user, monkeypatch):  # type: ignore[no-untyped-def]
    _bread, slot, resident = _anne_with_a_baguette(app, world, make_user)
    draws: list[str] = []
    fresh = placement.new_pickup_code
    monkeypatch.setattr(placement, "new_pickup_code", lambda: draws.append(fresh()) or draws[-1])
    original = placement._insert_order

    def broken(order_row, *args):  # type: ignore[no-untyped-def]
        # No such resident: a foreign key refused, not a code clash (ON CONFLICT does not cover it).
        return original({**order_row, "user_id": 999_999}, *args)

    monkeypatch.setattr(placement, "_insert_order", broken)
    with pytest.raises(IntegrityError):
        checkout(app, resident, slot)
    assert len(draws) == 1


def test_an_unexpected_integrity_error_gets_a_clean_500_and_leaves_nothing(
        app, client, world, make_user, monkeypatch):  # type: ignore[no-untyped-def]
    bread, slot, _resident = _anne_with_a_baguette(app, world, make_user)
    headers = token_headers(client, "anne@example.org")
    record_creation = placement.events.order_created_event

    def refused(order: Order, actor_id: int) -> None:
        record_creation(order=order, actor_id=actor_id)
        order.user_id = 999_999  # a foreign key refused at the next flush: a bug, not a code clash
        db.session.flush()

    monkeypatch.setattr(placement.events, "order_created_event", refused)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production
    answer = client.post("/api/v1/orders", json={"pickup_slot_id": slot, "payment_method": "at_pickup"},
                         headers=headers)

    # The error page itself reads the signed-in user (their language): the session was rolled back first.
    assert answer.status_code == 500 and answer.json["error"]["code"]
    assert world.stock(bread) == (10, 0) and world.booked(slot) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_an_order_written_in_a_savepoint_that_rolls_back_leaves_the_session(
        app, world, make_user):  # type: ignore[no-untyped-def]
    # The order's rows are written without the unit of work (shopapp/core/bulk.py): a rollback must still
    # take their objects out of the session, or the next order (SQLite gives the same id again) clashes.
    bread, slot, resident = _anne_with_a_baguette(app, world, make_user)
    with app.app_context():
        savepoint = db.session.begin_nested()
        first = placement.place_order(placement.CheckoutRequest(resident, slot, "at_pickup")).order
        savepoint.rollback()
        assert first not in db.session
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0

        again = placement.place_order(placement.CheckoutRequest(resident, slot, "at_pickup")).order
        commit()
        assert again in db.session and [len(part.lines) for part in again.parts] == [1]
    assert world.stock(bread) == (10, 1) and world.booked(slot) == 1
