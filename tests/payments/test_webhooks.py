"""POST /webhooks/stripe: Stripe's signature scheme, exactly-once effects, never backwards."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from shopapp.core import outbox
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.payments import card
from shopapp.payments.models import CardPaymentStatus, Payment, Refund, StripeEvent
from tests.payments.conftest import authenticate_on_localstripe, event_payload, pay_on_localstripe, sign
from tests.support.order_rows import make_order_rows


@pytest.fixture(autouse=True)
def _no_dispatch(app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", False)


def open_payment(app: Any, order_id: int = 1, amount: int = 2500) -> tuple[int, str]:
    rows = make_order_rows(app, number=f"AMC-{order_id}", parts=[(None, amount, 1000)])
    with app.app_context():
        started = card.start_card_payment(rows.order_id, rows.number, amount, "EUR")
        commit()
    return started.payment_id, started.payment_intent_id


def post(client: Any, payload: bytes, signature: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post("/webhooks/stripe", data=payload, headers=headers)


def counts(app: Any) -> tuple[int, str]:
    with app.app_context():
        events = db.session.scalar(select(func.count()).select_from(StripeEvent))
        status = db.session.scalar(select(Payment.status))
    return int(events or 0), str(status)


def test_valid_succeeded_event_confirms_the_order_once(app, client, localstripe, fake_orders):  # type: ignore[no-untyped-def]
    payment_id, intent_id = open_payment(app)
    assert pay_on_localstripe(localstripe, intent_id) == "succeeded"
    payload = event_payload("evt_1", "payment_intent.succeeded", intent_id)

    response = post(client, payload, sign(payload))

    assert response.status_code == 200 and response.json == {"received": True, "duplicate": False}
    assert fake_orders.confirmed == [("AMC-1", intent_id, 2500)]
    with app.app_context():
        payment = db.session.get(Payment, payment_id)
        assert payment is not None
        assert (payment.status, payment.amount_captured_cents) == (CardPaymentStatus.SUCCEEDED, 2500)
        assert payment.stripe_charge_id and payment.stripe_charge_id.startswith("ch_")
        event = db.session.scalar(select(StripeEvent))
        assert event is not None and event.outcome == "confirmed" and event.processed_at is not None


def test_3d_secure_payment_is_confirmed(app, client, localstripe, fake_orders):  # type: ignore[no-untyped-def]
    _, intent_id = open_payment(app)
    assert pay_on_localstripe(localstripe, intent_id, card="4000002760003184", authenticate=None) == "requires_action"
    early = event_payload("evt_early", "payment_intent.succeeded", intent_id)
    assert post(client, early, sign(early)).status_code == 200  # a forged-early event: Stripe says not paid
    assert fake_orders.confirmed == []
    assert authenticate_on_localstripe(localstripe, intent_id) == "succeeded"
    paid = event_payload("evt_paid", "payment_intent.succeeded", intent_id)
    assert post(client, paid, sign(paid)).status_code == 200
    assert fake_orders.confirmed == [("AMC-1", intent_id, 2500)]


@pytest.mark.parametrize(
    "signature",
    [
        None,  # missing
        "t=123,v1=deadbeef",  # wrong
        "garbage",  # malformed
    ],
)
def test_bad_signature_is_400_and_changes_nothing(app, client, localstripe, fake_orders, signature):  # type: ignore[no-untyped-def]
    _, intent_id = open_payment(app)
    pay_on_localstripe(localstripe, intent_id)
    payload = event_payload("evt_bad", "payment_intent.succeeded", intent_id)

    response = post(client, payload, signature)

    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_signature"
    assert counts(app) == (0, CardPaymentStatus.PENDING)
    assert fake_orders.confirmed == []


def test_tampered_body_is_400(app, client, localstripe, fake_orders):  # type: ignore[no-untyped-def]
    _, intent_id = open_payment(app)
    payload = event_payload("evt_t", "payment_intent.payment_failed", intent_id)
    signature = sign(payload)
    tampered = payload.replace(b"payment_failed", b"succeeded")
    assert post(client, tampered, signature).status_code == 400
    assert counts(app) == (0, CardPaymentStatus.PENDING) and fake_orders.confirmed == fake_orders.released == []


def test_stale_signature_is_400(app, client, localstripe, fake_orders):  # type: ignore[no-untyped-def]
    _, intent_id = open_payment(app)
    pay_on_localstripe(localstripe, intent_id)
    payload = event_payload("evt_old", "payment_intent.succeeded", intent_id)
    assert post(client, payload, sign(payload, timestamp=int(time.time()) - 301)).status_code == 400
    assert counts(app) == (0, CardPaymentStatus.PENDING) and fake_orders.confirmed == []


def test_signature_with_another_secret_is_400(app, client, localstripe, fake_orders):  # type: ignore[no-untyped-def]
    _, intent_id = open_payment(app)
    payload = event_payload("evt_x", "payment_intent.succeeded", intent_id)
    assert post(client, payload, sign(payload, secret="whsec_other")).status_code == 400


def test_same_event_twice_is_processed_once(app, client, localstripe, fake_orders):  # type: ignore[no-untyped-def]
    _, intent_id = open_payment(app)
    pay_on_localstripe(localstripe, intent_id)
    payload = event_payload("evt_dup", "payment_intent.succeeded", intent_id)

    first = post(client, payload, sign(payload))
    second = post(client, payload, sign(payload))

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json == {"received": True, "duplicate": True}
    assert len(fake_orders.confirmed) == 1
    assert counts(app) == (1, CardPaymentStatus.SUCCEEDED)


def test_concurrent_duplicates_are_processed_once(app, localstripe, fake_orders):  # type: ignore[no-untyped-def]
    _, intent_id = open_payment(app)
    pay_on_localstripe(localstripe, intent_id)
    payload = event_payload("evt_race", "payment_intent.succeeded", intent_id)
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def deliver() -> None:
        barrier.wait()
        statuses.append(post(app.test_client(), payload, sign(payload)).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [200, 200, 200, 200]
    assert len(fake_orders.confirmed) == 1
    assert counts(app) == (1, CardPaymentStatus.SUCCEEDED)


def test_a_different_event_for_the_same_success_changes_nothing(app, client, localstripe, fake_orders):  # type: ignore[no-untyped-def]
    _, intent_id = open_payment(app)
    pay_on_localstripe(localstripe, intent_id)
    for event_id in ("evt_a", "evt_b"):
        payload = event_payload(event_id, "payment_intent.succeeded", intent_id)
        assert post(client, payload, sign(payload)).status_code == 200
    assert len(fake_orders.confirmed) == 1
    assert counts(app) == (2, CardPaymentStatus.SUCCEEDED)


def test_declined_attempt_keeps_the_order_payable(app, client, localstripe, fake_orders):  # type: ignore[no-untyped-def]
    _, intent_id = open_payment(app)
    assert pay_on_localstripe(localstripe, intent_id, card="4000000000000341") == "requires_payment_method"
    for event_id in ("evt_f1", "evt_f2"):
        payload = event_payload(event_id, "payment_intent.payment_failed", intent_id)
        assert post(client, payload, sign(payload)).status_code == 200
    assert fake_orders.released == []  # the customer may try another card until the hold expires
    assert counts(app) == (2, CardPaymentStatus.PENDING)


def test_cancelled_intent_releases_the_order_once(app, client, localstripe, fake_orders):  # type: ignore[no-untyped-def]
    from shopapp.payments import gateway

    _, intent_id = open_payment(app)
    with app.app_context():
        gateway.cancel_payment_intent(intent_id, "cancel:test")
    for event_id in ("evt_c1", "evt_c2"):
        payload = event_payload(event_id, "payment_intent.canceled", intent_id)
        assert post(client, payload, sign(payload)).status_code == 200
    assert fake_orders.released == ["AMC-1"]
    assert counts(app) == (2, CardPaymentStatus.FAILED)


def test_late_failure_event_after_success_never_goes_backwards(app, client, localstripe, fake_orders):  # type: ignore[no-untyped-def]
    _, intent_id = open_payment(app)
    pay_on_localstripe(localstripe, intent_id)
    succeeded = event_payload("evt_s", "payment_intent.succeeded", intent_id)
    failed = event_payload("evt_f", "payment_intent.payment_failed", intent_id, status="requires_payment_method")
    assert post(client, succeeded, sign(succeeded)).status_code == 200
    assert post(client, failed, sign(failed)).status_code == 200
    assert fake_orders.released == []
    assert counts(app) == (2, CardPaymentStatus.SUCCEEDED)


def test_out_of_order_failure_arriving_first_is_ignored_when_stripe_says_paid(app, client, localstripe, fake_orders):  # type: ignore[no-untyped-def]
    _, intent_id = open_payment(app)
    pay_on_localstripe(localstripe, intent_id)
    failed = event_payload("evt_f", "payment_intent.payment_failed", intent_id, status="requires_payment_method")
    assert post(client, failed, sign(failed)).status_code == 200
    assert fake_orders.released == []
    assert counts(app) == (1, CardPaymentStatus.PENDING)


def test_late_success_without_stock_is_refunded(app, client, localstripe, fake_orders):  # type: ignore[no-untyped-def]
    payment_id, intent_id = open_payment(app)
    with app.app_context():
        db.session.get(Payment, payment_id).status = CardPaymentStatus.EXPIRED  # type: ignore[union-attr]
        commit()
    pay_on_localstripe(localstripe, intent_id)
    fake_orders.confirm_outcome = "unavailable"
    payload = event_payload("evt_late", "payment_intent.succeeded", intent_id)

    assert post(client, payload, sign(payload)).status_code == 200

    with app.app_context():
        payment = db.session.get(Payment, payment_id)
        refund = db.session.scalar(select(Refund))
        jobs = db.session.scalars(select(outbox.OutboxJob.task_name)).all()
        assert payment is not None and payment.amount_refunded_cents == 2500
        assert refund is not None and (refund.amount_cents, refund.reason) == (2500, "late_payment_unavailable")
        assert jobs == ["payments.execute_refund"]


def test_unknown_event_types_are_recorded_and_ignored(app, client, localstripe, fake_orders):  # type: ignore[no-untyped-def]
    payload = event_payload("evt_other", "customer.created", "cus_1")
    response = post(client, payload, sign(payload))
    assert response.status_code == 200
    assert counts(app)[0] == 1 and fake_orders.confirmed == fake_orders.released == []


def test_stripe_unreachable_rolls_back_so_stripe_redelivers(app, client, localstripe, fake_orders, monkeypatch):  # type: ignore[no-untyped-def]
    _, intent_id = open_payment(app)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")
    payload = event_payload("evt_retry", "payment_intent.succeeded", intent_id)
    assert post(client, payload, sign(payload)).status_code == 503
    assert counts(app) == (0, CardPaymentStatus.PENDING)


def test_webhook_without_a_configured_secret_is_503_so_stripe_resends(  # type: ignore[no-untyped-def]
    app, client, localstripe, fake_orders, monkeypatch
):
    _, intent_id = open_payment(app)
    pay_on_localstripe(localstripe, intent_id)
    payload = event_payload("evt_unconfigured", "payment_intent.succeeded", intent_id)
    signature = sign(payload)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", None)

    response = post(client, payload, signature)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert response.json["error"]["code"] == "payments_not_configured"
    assert counts(app) == (0, CardPaymentStatus.PENDING)
    assert fake_orders.confirmed == []
