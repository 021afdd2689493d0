"""Opening card payments, pay-at-pickup, hold expiry, and refunds checked by us."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shopapp.core import outbox
from shopapp.core.clock import as_utc, utcnow
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.payments import card, refunds
from shopapp.payments.models import CardPaymentStatus, Payment, Refund, RefundStatus
from tests.payments.conftest import pay_on_localstripe
from tests.support.order_rows import make_order_rows


@pytest.fixture(autouse=True)
def _no_dispatch(app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", False)


def test_start_card_payment_is_idempotent_per_order(app, localstripe):  # type: ignore[no-untyped-def]
    o9 = make_order_rows(app, number="AMC-9", parts=[(None, 4200, 1000)])
    with app.app_context():
        first = card.start_card_payment(o9.order_id, "AMC-9", 4200, "EUR")
        commit()
        again = card.start_card_payment(o9.order_id, "AMC-9", 4200, "EUR")
        commit()
        assert again.payment_intent_id == first.payment_intent_id and again.payment_id == first.payment_id
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
        hold = first.hold_expires_at - utcnow()
        assert timedelta(minutes=14) < hold <= timedelta(minutes=15)


def test_expired_holds_are_released_once(app, localstripe, fake_orders):  # type: ignore[no-untyped-def]
    o1 = make_order_rows(app, number="AMC-1", parts=[(None, 1000, 1000)])
    o2 = make_order_rows(app, number="AMC-2", parts=[(None, 1000, 1000)])
    with app.app_context():
        card.start_card_payment(o1.order_id, "AMC-1", 1000, "EUR")
        card.start_card_payment(o2.order_id, "AMC-2", 1000, "EUR")
        commit()
        later = utcnow() + timedelta(minutes=16)
        assert card.expire_unpaid_payments(now=later) == 2
        commit()
        assert card.expire_unpaid_payments(now=later) == 0
        statuses = db.session.scalars(select(Payment.status)).all()
        jobs = db.session.scalars(select(outbox.OutboxJob.task_name)).all()
    assert fake_orders.released == ["AMC-1", "AMC-2"]
    assert statuses == [CardPaymentStatus.EXPIRED, CardPaymentStatus.EXPIRED]
    assert jobs == [card.CANCEL_INTENT_TASK, card.CANCEL_INTENT_TASK]


def test_cancel_expired_intent_on_stripe(app, localstripe, fake_orders):  # type: ignore[no-untyped-def]
    from shopapp.payments import gateway

    o1 = make_order_rows(app, number="AMC-1", parts=[(None, 1000, 1000)])
    with app.app_context():
        started = card.start_card_payment(o1.order_id, "AMC-1", 1000, "EUR")
        card.expire_unpaid_payments(now=utcnow() + timedelta(minutes=16))
        commit()
        card.cancel_expired_intent(started.payment_id)
        assert gateway.retrieve_payment_intent(started.payment_intent_id).status == "canceled"


def test_pay_at_pickup_succeeds_once_at_the_desk(app):  # type: ignore[no-untyped-def]
    o5 = make_order_rows(app, number="AMC-5", parts=[(None, 1800, 1000)], method="at_pickup", status="confirmed")
    with app.app_context():
        card.open_pickup_payment(o5.order_id, "AMC-5", 1800, "EUR")
        commit()
        payment = card.record_pickup_payment(o5.order_id)
        first_time = payment.succeeded_at
        card.record_pickup_payment(o5.order_id)
        commit()
        assert first_time is not None and payment.succeeded_at is not None
        assert (payment.status, payment.amount_captured_cents, as_utc(payment.succeeded_at)) == (
            CardPaymentStatus.SUCCEEDED, 1800, as_utc(first_time))


def paid_payment(app, localstripe, amount: int = 3000) -> int:  # type: ignore[no-untyped-def]
    o1 = make_order_rows(app, number="AMC-1", parts=[(None, amount, 1000)])
    with app.app_context():
        started = card.start_card_payment(o1.order_id, "AMC-1", amount, "EUR")
        pay_on_localstripe(localstripe, started.payment_intent_id)
        payment = db.session.get(Payment, started.payment_id)
        payment.status = CardPaymentStatus.SUCCEEDED
        payment.amount_captured_cents = amount
        commit()
        return started.payment_id


def test_refunds_never_exceed_what_was_received(app, localstripe):  # type: ignore[no-untyped-def]
    payment_id = paid_payment(app, localstripe)
    with app.app_context():
        refunds.request_refund(payment_id, 2000, reason="produit manquant", actor_id=None)
        commit()
        with pytest.raises(refunds.RefundExceedsPayment):
            refunds.request_refund(payment_id, 1001, reason="trop", actor_id=None)
        db.session.rollback()
        assert db.session.get(Payment, payment_id).amount_refunded_cents == 2000
        assert db.session.scalar(select(func.count()).select_from(Refund)) == 1
        refunds.request_refund(payment_id, 1000, reason="reste", actor_id=None)
        commit()
        assert db.session.get(Payment, payment_id).refundable_cents == 0


def test_execute_refund_at_stripe_once(app, localstripe, stripe_requests):  # type: ignore[no-untyped-def]
    payment_id = paid_payment(app, localstripe)
    with app.app_context():
        refund = refunds.request_refund(payment_id, 1200, reason="annulation", actor_id=None)
        commit()
        refunds.execute_refund(refund.id)
        commit()
        refunds.execute_refund(refund.id)
        commit()
        stored = db.session.get(Refund, refund.id)
        assert stored.status == RefundStatus.SUCCEEDED and stored.stripe_refund_id.startswith("re_")
    refund_calls = [r for r in stripe_requests.sent if r.url.endswith("/v1/refunds")]
    assert len(refund_calls) == 1 and refund_calls[0].headers["Idempotency-Key"] == f"refund:{refund.id}"


def test_refund_task_run_twice_refunds_once(app, localstripe, stripe_requests):  # type: ignore[no-untyped-def]
    # The app's own Celery (a shared_task would resolve to whichever app another test created last).
    execute_refund = app.extensions["celery"].tasks[refunds.EXECUTE_REFUND_TASK]
    payment_id = paid_payment(app, localstripe)
    with app.app_context():
        refund = refunds.request_refund(payment_id, 700, reason="annulation", actor_id=None)
        commit()
        refund_id = refund.id
    execute_refund.apply(kwargs={"refund_id": refund_id})
    execute_refund.apply(kwargs={"refund_id": refund_id})
    with app.app_context():
        assert db.session.get(Refund, refund_id).status == RefundStatus.SUCCEEDED
    assert len([r for r in stripe_requests.sent if r.url.endswith("/v1/refunds")]) == 1
