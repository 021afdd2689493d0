"""The database unreachable for a moment, during a checkout and during a Stripe webhook.

Expected: 503 with Retry-After (a French page for the site, the JSON envelope for the API and the
webhook), no half-written order, the webhook answered non-2xx so that Stripe delivers it again; once
the database is back the same request succeeds, once.

On PostgreSQL the outage is real: when the app's transaction reaches a chosen statement, an admin
connection forbids new connections to the test database (`ALLOW_CONNECTIONS false`) and terminates the
app's backends, so the statement fails with the driver's own OperationalError and pool_pre_ping cannot
reconnect until the database is allowed again. The statement is only the trigger that times the cut.
On SQLite there is no server to stop: a separate test simulates the outage by raising the driver's
OperationalError once from the dialect's `do_execute` hook, and checks the same outcome.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import create_engine, event, func, select, text

from shopapp.extensions import db
from shopapp.orders.models import Order
from shopapp.payments.models import StripeEvent
from tests.checkout.flow import deliver, intent_of, order_by_api, order_status, token_headers
from tests.conftest import IS_POSTGRES, text_of
from tests.payments.conftest import pay_on_localstripe
from tests.reliability.conftest import assert_only_changed, assert_unchanged, snapshot

pytestmark = pytest.mark.reliability


@contextmanager
def postgres_cut(app: Any, statement: str) -> Iterator[dict[str, bool]]:
    """Cut the app off PostgreSQL when its next statement starts with `statement` (or at its next commit for
    "COMMIT"), until the block ends."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    name = url.rsplit("/", 1)[1]
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    state = {"cut": False}
    with app.app_context():
        engine = db.engine

    def cut_now() -> None:
        state["cut"] = True
        with admin.connect() as c:
            c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            c.execute(
                text(
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )

    def before_statement(conn, cursor, stmt, params, context, executemany):  # type: ignore[no-untyped-def]
        if not state["cut"] and stmt.lstrip().upper().startswith(statement.upper()):
            cut_now()

    def before_commit(conn):  # type: ignore[no-untyped-def]
        if not state["cut"]:
            cut_now()

    hook, fn = ("commit", before_commit) if statement == "COMMIT" else ("before_cursor_execute", before_statement)
    event.listen(engine, hook, fn)
    try:
        yield state
    finally:
        event.remove(engine, hook, fn)
        with admin.connect() as c:
            c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()


@contextmanager
def sqlite_fails_once(app: Any, statement: str) -> Iterator[dict[str, bool]]:
    """Simulated outage: the driver raises OperationalError once, on the first statement starting with
    `statement` (or at the first commit for "COMMIT")."""
    state = {"cut": False}
    with app.app_context():
        engine = db.engine

    def fail(cursor, stmt, params, context):  # type: ignore[no-untyped-def]
        if not state["cut"] and stmt.lstrip().upper().startswith(statement.upper()):
            state["cut"] = True
            raise sqlite3.OperationalError("disk I/O error")

    real_commit = engine.dialect.do_commit

    def failing_commit(dbapi_connection):  # type: ignore[no-untyped-def]
        if not state["cut"]:
            state["cut"] = True
            dbapi_connection.rollback()  # as a server that went away: the transaction is lost
            raise sqlite3.OperationalError("disk I/O error")
        real_commit(dbapi_connection)

    if statement == "COMMIT":
        engine.dialect.do_commit = failing_commit  # type: ignore[method-assign]
    else:
        event.listen(engine, "do_execute", fail)
    try:
        yield state
    finally:
        if statement == "COMMIT":
            del engine.dialect.do_commit
        else:
            event.remove(engine, "do_execute", fail)


def outage(app: Any, statement: str) -> Any:
    return postgres_cut(app, statement) if IS_POSTGRES else sqlite_fails_once(app, statement)


def _orders(app: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count(Order.id))) or 0)


def _setup_basket(client: Any, world: Any, make_user: Any) -> tuple[dict[str, str], int, int]:
    shop = world.shop("Épicerie")
    product = world.product(shop, "Miel", 900, stock=5)
    slot = world.slot()
    make_user(email="res@example.org")
    headers = token_headers(client, "res@example.org")
    assert (
        client.post("/api/v1/basket/lines", json={"product_id": product, "quantity": 2}, headers=headers).status_code
        == 200
    )
    return headers, product, slot


def test_api_checkout_during_an_outage_is_503_then_succeeds_once(app, client, world, make_user, no_dispatch) -> None:  # type: ignore[no-untyped-def]
    headers, product, slot = _setup_basket(client, world, make_user)
    before = snapshot(app)

    # The cut comes after the stock is allocated, in the same transaction, when the slot place is taken.
    with outage(app, "UPDATE pickup_slot") as state:
        response = client.post(
            "/api/v1/orders",
            json={"pickup_slot_id": slot, "payment_method": "at_pickup"},
            headers={**headers, "Idempotency-Key": "outage-1"},
        )
    assert state["cut"]
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json["error"]["code"] == "unavailable"
    assert_unchanged(before, snapshot(app))  # no half-written order, stock and slot as they were

    again = client.post(
        "/api/v1/orders",
        json={"pickup_slot_id": slot, "payment_method": "at_pickup"},
        headers={**headers, "Idempotency-Key": "outage-1"},
    )
    assert again.status_code == 201
    assert _orders(app) == 1 and world.stock(product) == (5, 2) and world.booked(slot) == 1


def test_html_checkout_during_an_outage_shows_a_french_503_page(
    app, client, auth, world, make_user, no_dispatch
) -> None:  # type: ignore[no-untyped-def]
    _headers, product, slot = _setup_basket(client, world, make_user)
    auth.login("res@example.org")
    page = client.get("/commande").get_data(as_text=True)
    form = {
        name: re.search(rf'name="{name}" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        for name in ("csrf_token", "idempotency_key")
    }
    form |= {"slot_id": str(slot), "payment_method": "at_pickup", "accept_terms": "y"}
    before = snapshot(app)

    with outage(app, "INSERT INTO customer_order") as state:
        response = client.post("/commande", data=form)
    assert state["cut"], text_of(response)[-3000:]
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.mimetype == "text/html"
    assert "Le service est momentanément indisponible" in text_of(response)
    assert_unchanged(before, snapshot(app))

    assert client.post("/commande", data=form).status_code == 302
    assert _orders(app) == 1 and world.stock(product) == (5, 2)


@pytest.mark.parametrize("cut_at", ["UPDATE customer_order", "COMMIT"])
def test_webhook_during_an_outage_is_answered_503_and_the_redelivery_confirms_once(
    app, client, world, make_user, localstripe, no_dispatch, cut_at, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    # A failure at commit (after the view) reaches Flask's last-resort handler, which tests would re-raise.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    shop = world.shop("Épicerie")
    product = world.product(shop, "Miel", 900, stock=5)
    make_user(email="res@example.org")
    order_id = order_by_api(client, token_headers(client, "res@example.org"), world.slot(), [(product, 1)]).json["id"]
    intent = intent_of(app, order_id)
    assert pay_on_localstripe(localstripe, intent) == "succeeded"
    before = snapshot(app)

    # Cut when the event row is inserted and the payment marked succeeded, at the order's update or at commit.
    with outage(app, cut_at) as state:
        response = deliver(client, "evt_outage", "payment_intent.succeeded", intent)
    assert state["cut"]
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.json["error"]["code"] == "unavailable"
    assert_unchanged(before, snapshot(app))  # no event row: Stripe's redelivery is not taken for a duplicate
    assert order_status(app, order_id) == ("pending_payment", "pending")

    assert deliver(client, "evt_outage", "payment_intent.succeeded", intent).status_code == 200
    assert deliver(client, "evt_outage", "payment_intent.succeeded", intent).json["duplicate"] is True
    assert order_status(app, order_id) == ("confirmed", "paid")
    after = snapshot(app)
    assert_only_changed(before, after, "customer_order", "order_event", "payment", "stripe_event", "outbox_job")
    with app.app_context():
        assert db.session.scalars(select(StripeEvent.stripe_event_id)).all() == ["evt_outage"]
