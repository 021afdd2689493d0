"""Round trips of one checkout: a 3-line basket from 3 shops is placed in a bounded number of SQL statements.

Counted with SQLAlchemy's `before_cursor_execute` on the app's engine, on both backends. Where the two
differ: SQLite adds its `BEGIN IMMEDIATE`, and inserts the
order's parts and lines one row at a time (its RETURNING promises no row order, so SQLAlchemy cannot
match the ids of a multi-row INSERT to the objects).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from shopapp.checkout import services
from shopapp.core.transaction import commit
from shopapp.extensions import db
from tests.checkout.flow import token_headers
from tests.conftest import IS_POSTGRES
from tests.orders.services import fill_basket

# PostgreSQL locks the stock rows in product-id order first (one SELECT … FOR UPDATE); SQLite needs no
# lock (BEGIN IMMEDIATE) but pays its BEGIN and four single-row INSERTs.
BACKEND_EXTRA = 1 if IS_POSTGRES else 1 + 4
# The checkout service and its commit: the user and roles, basket lock, idempotency key, basket, slot with the
# venue (one statement), platform rate, order, parts, lines, event, basket emptied, payment, stock (one
# statement), slot, outbox (one INSERT, its rows written as published: the hand-off after COMMIT writes
# nothing). The order's and parts' INSERTs skip a random code already taken (ON CONFLICT DO NOTHING) and only
# that row is drawn again, with no savepoint (see test_code_clash.py). It was 47 before (SQLite), then 19 with
# a savepoint, then 17 with the venue read on its own.
CHECKOUT_BUDGET = 16 + BACKEND_EXTRA
# The whole API request: one statement reads the bearer token with its user and roles, in place of the
# service's two reads of the user and roles (it was 51 before on PostgreSQL).
REQUEST_BUDGET = CHECKOUT_BUDGET - 1


@contextmanager
def counted(app: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.split("\n")[0][:120])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _three_shops(world: Any) -> list[int]:
    return [world.product(world.shop(name), name, 250 + i, stock=10, ) for i, name in
            enumerate(("Boulangerie Aurore", "Fromagerie Lucas", "Primeur Zoé"))]


def _confirm_address(app: Any, user_id: int) -> None:
    from shopapp.accounts.models import User
    from shopapp.core.clock import utcnow

    with app.app_context():
        db.session.get(User, user_id).email_confirmed_at = utcnow()
        commit()


@pytest.mark.parametrize("confirmed", [True, False], ids=["address confirmed", "address not confirmed"])
def test_checkout_of_three_lines_from_three_shops_fits_the_statement_budget(app, world, make_user, confirmed):
    products = _three_shops(world)
    slot = world.slot()
    user = make_user()
    if confirmed:
        _confirm_address(app, user)
    fill_basket(app, user, *[(product, 2) for product in products])

    with counted(app) as statements, app.app_context():
        result = services.submit(services.SubmitRequest(user, slot, "at_pickup", "budget-1"))
        assert result.created and len(result.order.parts) == 3
        commit()

    # Not confirmed yet: the venue's setting (must the address be confirmed first?) is read on its own.
    assert len(statements) <= CHECKOUT_BUDGET + (0 if confirmed else 1), "\n".join(statements)
    assert sum(s.startswith("UPDATE stock_record") for s in statements) == 1
    assert sum(s.startswith("INSERT INTO outbox_job") for s in statements) == 1
    assert [world.stock(p) for p in products] == [(10, 2)] * 3
    assert world.booked(slot) == 1


def test_checkout_request_fits_the_statement_budget(app, client, world, make_user):
    products = _three_shops(world)
    slot = world.slot()
    _confirm_address(app, make_user(email="suzanne@example.org"))
    headers = token_headers(client, "suzanne@example.org")
    for product_id in products:
        assert client.post("/api/v1/basket/lines", json={"product_id": product_id, "quantity": 2},
                           headers=headers).status_code == 200

    with counted(app) as statements:
        response = client.post("/api/v1/orders", json={"pickup_slot_id": slot, "payment_method": "at_pickup"},
                               headers={**headers, "Idempotency-Key": "budget-1"})

    assert response.status_code == 201, response.json
    assert len(statements) <= REQUEST_BUDGET, "\n".join(statements)
    assert not any(s.startswith("UPDATE outbox_job") for s in statements)  # handed to the broker, nothing written
    with app.app_context():
        from sqlalchemy import select

        from shopapp.core.outbox import OutboxJob

        jobs = db.session.execute(select(OutboxJob.status, OutboxJob.attempts, OutboxJob.published_at)).all()
    assert jobs and all(status in ("published", "done") and attempts == 1 and published_at is not None
                        for status, attempts, published_at in jobs)
    body = response.json
    assert [part["subtotal_cents"] for part in body["parts"]] == [500, 502, 504]
    assert body["pickup_slot"]["id"] == slot
    assert [world.stock(p) for p in products] == [(10, 2)] * 3
    assert world.booked(slot) == 1
