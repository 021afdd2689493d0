"""Checkout under contention: last units, a full slot, a line sold out mid-checkout, opposite baskets,
a double submit. Each asserts the outcome, the invariants (conftest) and that nothing else changed.

The feature-level versions (with more buyers) are in tests/orders/test_placement.py; these reuse its race.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select

from shopapp.extensions import db
from shopapp.orders.models import Order
from tests.checkout.flow import token_headers
from tests.conftest import IS_POSTGRES
from tests.orders.services import fill_basket
from tests.orders.test_placement import _race
from tests.reliability.conftest import assert_only_changed, snapshot
from tests.support.races import at_once

pytestmark = pytest.mark.reliability

# What a successful checkout may touch: holds, the order rows, its audit, its payment (the API opens a
# pay-at-pickup one), the emptied basket, its jobs.
CHECKOUT_TABLES = (
    "stock_record",
    "pickup_slot",
    "customer_order",
    "order_part",
    "order_line",
    "order_event",
    "payment",
    "basket_line",
    "outbox_job",
)


def _orders(app: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count(Order.id))) or 0)


def test_concurrent_last_unit_purchases_sell_it_once(app, world, make_user, no_dispatch) -> None:  # type: ignore[no-untyped-def]
    last = world.product(world.shop("Fromagerie"), "Brie de Meaux", stock=1)
    slot = world.slot(capacity=50)
    buyers = [make_user(email=f"last{i}@example.org") for i in range(8)]
    for user in buyers:
        fill_basket(app, user, (last, 1))
    before = snapshot(app)

    outcomes = _race(app, buyers, slot)

    assert outcomes == ["insufficient_stock"] * 7 + ["ok"]
    assert world.stock(last) == (1, 1) and world.booked(slot) == 1 and _orders(app) == 1
    after = snapshot(app)
    assert_only_changed(before, after, *CHECKOUT_TABLES)
    assert after.count("basket_line") == before.count("basket_line") - 1  # only the winner's basket emptied


def test_slot_overbooking_is_refused_past_capacity(app, world, make_user, no_dispatch) -> None:  # type: ignore[no-untyped-def]
    bread = world.product(world.shop(), stock=100)
    slot = world.slot(capacity=2)
    buyers = [make_user(email=f"slot{i}@example.org") for i in range(6)]
    for user in buyers:
        fill_basket(app, user, (bread, 1))
    before = snapshot(app)

    outcomes = _race(app, buyers, slot)

    assert outcomes == ["ok"] * 2 + ["slot_full"] * 4
    assert world.booked(slot) == 2 and world.stock(bread) == (100, 2) and _orders(app) == 2
    assert_only_changed(before, snapshot(app), *CHECKOUT_TABLES)


def test_multi_shop_basket_with_a_line_sold_out_mid_checkout_rolls_everything_back(
    app, client, world, make_user, no_dispatch
) -> None:  # type: ignore[no-untyped-def]
    bakery, cheese = world.shop("Boulangerie"), world.shop("Fromagerie")
    bread = world.product(bakery, "Pain de campagne", stock=5)  # lower id: allocated first, then undone
    brie = world.product(cheese, "Brie de Meaux", stock=1)
    slot = world.slot()
    make_user(email="res@example.org")
    other = make_user(email="other@example.org")
    headers = token_headers(client, "res@example.org")
    for product_id in (bread, brie):
        assert (
            client.post(
                "/api/v1/basket/lines", json={"product_id": product_id, "quantity": 1}, headers=headers
            ).status_code
            == 200
        )
    fill_basket(app, other, (brie, 1))
    assert _race(app, [other], slot) == ["ok"]  # the last brie goes while the resident is checking out
    before = snapshot(app)

    response = client.post(
        "/api/v1/orders",
        json={"pickup_slot_id": slot, "payment_method": "at_pickup"},
        headers={**headers, "Idempotency-Key": "sold-out"},
    )

    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "insufficient_stock"
    assert "Brie de Meaux" in error["message"] and error["fields"]["product_id"] == str(brie)
    assert world.stock(bread) == (5, 0) and world.stock(brie) == (1, 1) and world.booked(slot) == 1
    assert before.changes(snapshot(app)) == {}  # nothing at all: the bread's hold was rolled back, basket kept


@pytest.mark.postgres
@pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL row locks; SQLite serialises writers (BEGIN IMMEDIATE)")
def test_opposite_order_baskets_do_not_deadlock(app, world, make_user, no_dispatch) -> None:  # type: ignore[no-untyped-def]
    flour = world.product(world.shop("Moulin"), "Farine", stock=100)
    honey = world.product(world.shop("Rucher"), "Miel", stock=100)
    slot = world.slot(capacity=50)
    buyers = [make_user(email=f"opp{i}@example.org") for i in range(12)]
    for user in buyers:
        fill_basket(app, user, *(((flour, 1), (honey, 1)) if user % 2 else ((honey, 1), (flour, 1))))
    before = snapshot(app)

    outcomes = _race(app, buyers, slot)

    assert outcomes == ["ok"] * 12  # a deadlock or serialisation failure would be a "crash: …" outcome
    assert world.stock(flour) == (100, 12) and world.stock(honey) == (100, 12) and world.booked(slot) == 12
    assert_only_changed(before, snapshot(app), *CHECKOUT_TABLES)


def test_double_submitted_checkout_makes_one_order(app, client, world, make_user, no_dispatch) -> None:  # type: ignore[no-untyped-def]
    bread = world.product(world.shop(), stock=10)
    slot = world.slot()
    make_user(email="res@example.org")
    headers = token_headers(client, "res@example.org")
    assert (
        client.post("/api/v1/basket/lines", json={"product_id": bread, "quantity": 2}, headers=headers).status_code
        == 200
    )
    before = snapshot(app)
    barrier = threading.Barrier(3)
    answers: list[tuple[int, int]] = []

    def submit() -> None:
        own = app.test_client()  # one browser tab each
        barrier.wait()
        response = own.post(
            "/api/v1/orders",
            json={"pickup_slot_id": slot, "payment_method": "at_pickup"},
            headers={**headers, "Idempotency-Key": "double"},
        )
        answers.append((response.status_code, response.json["id"]))

    threads = [threading.Thread(target=submit) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(status for status, _ in answers) == [200, 200, 201]
    assert len({order_id for _, order_id in answers}) == 1
    assert _orders(app) == 1 and world.stock(bread) == (10, 2) and world.booked(slot) == 1
    assert_only_changed(before, snapshot(app), *CHECKOUT_TABLES)


def test_residents_swapping_pickup_slots_at_once_do_not_deadlock(app, world, make_user, no_dispatch) -> None:  # type: ignore[no-untyped-def]
    # Half the orders move from A to B while the other half move from B to A, all at the same moment:
    # each move takes its place and gives the old one back in slot id order, so none waits on another.
    from shopapp.orders import fulfilment
    from tests.orders.services import checkout

    bread = world.product(world.shop("Boulangerie"), "Pain", stock=100)
    first, second = world.slot(hours_from_now=50, capacity=20), world.slot(hours_from_now=74, capacity=20)
    moves = []
    for i in range(12):
        user = make_user(email=f"swap{i}@example.org")
        fill_basket(app, user, (bread, 1))
        start, target = (first, second) if i % 2 else (second, first)
        moves.append((checkout(app, user, start), target, user))
    before = snapshot(app)

    outcomes = at_once(app, [partial(fulfilment.change_pickup_slot, order_id, target, owner_id=user)
                             for order_id, target, user in moves])

    assert outcomes == ["ok"] * 12
    assert (world.booked(first), world.booked(second)) == (6, 6)
    with app.app_context():
        placed = dict(db.session.execute(select(Order.id, Order.pickup_slot_id)).all())
    assert placed == {order_id: target for order_id, target, _user in moves}
    assert_only_changed(before, snapshot(app), "pickup_slot", "customer_order", "order_event", "outbox_job")
