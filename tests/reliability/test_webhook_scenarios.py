"""Stripe webhooks against a real card order (localstripe, signed deliveries): duplicate, concurrent,
out-of-order, forged and stale. tests/payments/test_webhooks.py covers each rule in detail with a
stand-in for orders; here the real order, stock and slot are checked, and nothing else may change.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from shopapp.extensions import db
from shopapp.orders.models import OrderEvent
from shopapp.payments.models import StripeEvent
from tests.checkout.flow import deliver, intent_of, order_by_api, order_status, token_headers
from tests.payments.conftest import event_payload, pay_on_localstripe, sign
from tests.reliability.conftest import assert_only_changed, assert_unchanged, snapshot

pytestmark = pytest.mark.reliability

CONFIRMATION_TABLES = ("customer_order", "order_event", "payment", "stripe_event", "outbox_job")


def _paid_card_order(app: Any, client: Any, world: Any, make_user: Any, localstripe: Any) -> tuple[int, str, int]:
    product = world.product(world.shop("Épicerie"), "Miel", 900, stock=5)
    make_user(email="res@example.org")
    order_id = order_by_api(client, token_headers(client, "res@example.org"), world.slot(), [(product, 1)]).json["id"]
    intent = intent_of(app, order_id)
    assert pay_on_localstripe(localstripe, intent) == "succeeded"
    return order_id, intent, product


def _confirmations(app: Any, order_id: int) -> int:
    with app.app_context():
        return int(
            db.session.scalar(
                select(func.count(OrderEvent.id)).where(
                    OrderEvent.order_id == order_id, OrderEvent.to_status == "confirmed"
                )
            )
            or 0
        )


def _post(client: Any, payload: bytes, signature: str) -> Any:
    return client.post(
        "/webhooks/stripe", data=payload, headers={"Content-Type": "application/json", "Stripe-Signature": signature}
    )


def test_duplicate_and_concurrent_deliveries_confirm_once(
    app, client, world, make_user, localstripe, no_dispatch
) -> None:  # type: ignore[no-untyped-def]
    order_id, intent, product = _paid_card_order(app, client, world, make_user, localstripe)
    before = snapshot(app)
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def redeliver() -> None:
        own = app.test_client()
        barrier.wait()
        statuses.append(deliver(own, "evt_once", "payment_intent.succeeded", intent).status_code)

    threads = [threading.Thread(target=redeliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    late = deliver(client, "evt_once", "payment_intent.succeeded", intent)

    assert statuses == [200] * 4 and late.status_code == 200 and late.json["duplicate"] is True
    assert order_status(app, order_id) == ("confirmed", "paid") and _confirmations(app, order_id) == 1
    assert world.stock(product) == (5, 1)
    after = snapshot(app)
    assert_only_changed(before, after, *CONFIRMATION_TABLES)
    assert after.count("stripe_event") == 1


def test_out_of_order_events_never_move_the_order_backwards(
    app, client, world, make_user, localstripe, no_dispatch
) -> None:  # type: ignore[no-untyped-def]
    order_id, intent, product = _paid_card_order(app, client, world, make_user, localstripe)
    # The attempt-failed event of an earlier declined card arrives first: Stripe says paid, nothing happens.
    assert deliver(client, "evt_old_fail", "payment_intent.payment_failed", intent).status_code == 200
    assert order_status(app, order_id) == ("pending_payment", "pending")
    assert deliver(client, "evt_success", "payment_intent.succeeded", intent).status_code == 200
    before = snapshot(app)

    for event_id, kind in (
        ("evt_late_fail", "payment_intent.payment_failed"),
        ("evt_late_cancel", "payment_intent.canceled"),
    ):
        assert deliver(client, event_id, kind, intent).status_code == 200

    assert order_status(app, order_id) == ("confirmed", "paid") and _confirmations(app, order_id) == 1
    assert world.stock(product) == (5, 1)
    after = snapshot(app)
    assert_only_changed(before, after, "stripe_event")  # recorded as processed, without effect
    with app.app_context():
        outcomes = dict(db.session.execute(select(StripeEvent.stripe_event_id, StripeEvent.outcome)).all())
    assert outcomes["evt_late_cancel"] == "intent_succeeded"


@pytest.mark.parametrize("forgery", ["another_secret", "tampered_body", "no_signature", "stale"])
def test_forged_and_stale_deliveries_are_400_and_change_nothing(
    app, client, world, make_user, localstripe, no_dispatch, forgery
) -> None:  # type: ignore[no-untyped-def]
    order_id, intent, _product = _paid_card_order(app, client, world, make_user, localstripe)
    payload = event_payload("evt_forged", "payment_intent.succeeded", intent)
    before = snapshot(app)

    if forgery == "another_secret":
        response = _post(client, payload, sign(payload, secret="whsec_someone_else"))
    elif forgery == "tampered_body":
        failed = event_payload("evt_forged", "payment_intent.canceled", intent)
        response = _post(client, payload, sign(failed))
    elif forgery == "no_signature":
        response = client.post("/webhooks/stripe", data=payload, headers={"Content-Type": "application/json"})
    else:  # a genuine delivery replayed after the tolerance (5 minutes)
        response = _post(client, payload, sign(payload, timestamp=int(time.time()) - 301))

    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_signature"
    assert order_status(app, order_id) == ("pending_payment", "pending")
    assert_unchanged(before, snapshot(app))
    # The genuine event, delivered properly, still works: a forgery did not burn its id.
    assert _post(client, payload, sign(payload)).status_code == 200
    assert order_status(app, order_id) == ("confirmed", "paid")
