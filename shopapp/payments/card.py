"""Opening payments at checkout, recording pay-at-pickup at the desk, expiring unpaid card holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, select, text

from shopapp.core import outbox
from shopapp.core.clock import as_utc, utcnow
from shopapp.extensions import db
from shopapp.orders.states import PaymentMethod
from shopapp.payments import gateway, order_port
from shopapp.payments.models import CardPaymentStatus, Payment

CANCEL_INTENT_TASK = "payments.cancel_payment_intent"


@dataclass(frozen=True)
class CardPaymentStart:
    payment_id: int
    payment_intent_id: str
    client_secret: str | None
    hold_expires_at: datetime


def _insert_payment_statement() -> Any:
    """`INSERT … ON CONFLICT DO NOTHING RETURNING` a payment, as SQL text: every checkout runs it, and
    SQLAlchemy does not keep the dialects' `on_conflict_do_nothing` inserts compiled (it would compile
    this one for each order). Typed binds and result columns, so the ORM loads a Payment from it."""
    table = Payment.__table__
    written = ("order_id", "order_ref", "method", "status", "amount_cents", "amount_captured_cents",
               "amount_refunded_cents", "currency", "hold_expires_at", "created_at")
    returned = ", ".join(column.name for column in table.c)
    return select(Payment).from_statement(
        text(f"INSERT INTO payment ({', '.join(written)}) VALUES ({', '.join(':' + name for name in written)})"  # noqa: S608 - the model's column names, nothing from a request
             f" ON CONFLICT DO NOTHING RETURNING {returned}")
        .bindparams(*(bindparam(name, type_=table.c[name].type) for name in written))
        .columns(*table.c))


_INSERT_PAYMENT = _insert_payment_statement()


def _get_or_create_payment(order_id: int, order_ref: str, method: PaymentMethod, amount_cents: int,
                           currency: str, hold_expires_at: datetime | None) -> Payment:
    # One Payment per order (unique order_id): a repeated checkout call finds the first one. The new row
    # comes back from the INSERT itself (ours, so already locked); only a repeat reads the first one.
    payment = db.session.scalar(_INSERT_PAYMENT, {
        "order_id": order_id, "order_ref": order_ref, "method": str(method), "status": str(CardPaymentStatus.PENDING),
        "amount_cents": amount_cents, "amount_captured_cents": 0, "amount_refunded_cents": 0,
        "currency": currency, "hold_expires_at": hold_expires_at, "created_at": utcnow(),
    })
    if payment is None:
        payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id).with_for_update())
    assert payment is not None
    return payment


def start_card_payment(order_id: int, order_ref: str, amount_cents: int, currency: str) -> CardPaymentStart:
    """Open (or find again) the order's card payment and its PaymentIntent, with the hold deadline.

    Called by checkout in the transaction that takes stock and slot. The PaymentIntent is keyed by the
    order reference, so a retried checkout gets the same intent back. The order is confirmed only by
    the webhook. :raise RetryablePaymentError, TerminalPaymentError: Stripe could not create the intent
    (the caller's transaction then rolls back). Flushes, never commits.
    """
    hold = utcnow() + timedelta(minutes=int(current_app.config["PAYMENT_HOLD_MINUTES"]))
    payment = _get_or_create_payment(order_id, order_ref, PaymentMethod.CARD, amount_cents, currency, hold)
    if payment.stripe_payment_intent_id:
        # Our own record first: it outlives Stripe's 24-hour key memory (and localstripe ignores keys).
        existing = gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)
        assert payment.hold_expires_at is not None
        return CardPaymentStart(payment.id, existing.id, existing.client_secret, as_utc(payment.hold_expires_at))
    intent = gateway.create_payment_intent(
        order_ref=order_ref,
        amount_cents=payment.amount_cents,
        currency=payment.currency,
        transfer_group=gateway.transfer_group_for(order_ref),
        metadata={"order_id": str(order_id)},
        idempotency_key=gateway.idempotency_key("payment_intent", order_ref),
    )
    payment.stripe_payment_intent_id = intent.id
    db.session.flush()
    assert payment.hold_expires_at is not None
    return CardPaymentStart(payment.id, intent.id, intent.client_secret, as_utc(payment.hold_expires_at))


def open_pickup_payment(order_id: int, order_ref: str, amount_cents: int, currency: str) -> Payment:
    """Record that an order will be paid at the desk (pending until collection). Idempotent. Flushes."""
    return _get_or_create_payment(order_id, order_ref, PaymentMethod.AT_PICKUP, amount_cents, currency, None)


def record_pickup_payment(order_id: int, received_cents: int | None = None) -> Payment:
    """The desk took the money at collection: the payment succeeds once (a repeat changes nothing).

    `received_cents` is what the desk took (the collected parts: a part rejected before collection
    is not paid); by default the amount opened at checkout. Settlement then posts `pickup_receipt`
    entries per part (commission.settle_paid_part).
    :raise ValueError: no pay-at-pickup payment for this order. Flushes, never commits.
    """
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id).with_for_update())
    if payment is None or payment.method != PaymentMethod.AT_PICKUP:
        raise ValueError(f"order {order_id} has no pay-at-pickup payment")
    if payment.status != CardPaymentStatus.SUCCEEDED:
        payment.status = CardPaymentStatus.SUCCEEDED
        payment.amount_captured_cents = payment.amount_cents if received_cents is None else received_cents
        payment.succeeded_at = utcnow()
        db.session.flush()
    return payment


def record_desk_payment(order_id: int) -> Payment | None:
    """Pay at pickup: once the desk has taken the money (order collected and paid), make the order's
    payment succeed for what was received — the subtotals of the collected parts — opening it first
    for an order placed before payments existed. Idempotent. Returns None when there is nothing to
    record (not a pay-at-pickup order, or not collected and paid yet). Flushes, never commits.
    """
    parts = [facts for facts in order_port.order_parts(order_id) if facts.is_collected]
    if not parts or parts[0].payment_method != PaymentMethod.AT_PICKUP or not parts[0].is_paid:
        return None
    received = sum(facts.subtotal_cents for facts in parts)
    if db.session.scalar(select(Payment.id).where(Payment.order_id == order_id)) is None:
        open_pickup_payment(order_id, parts[0].order_ref, received, parts[0].currency)
    return record_pickup_payment(order_id, received)


def expire_unpaid_payments(*, now: datetime | None = None, limit: int = 100) -> int:
    """Release the orders of card payments still pending past their hold, once each.

    Each payment goes pending → expired under its row lock (SKIP LOCKED: concurrent sweeps share the
    work); its order is released through orders, and cancelling the PaymentIntent is left to an
    outbox job (no Stripe call inside the sweep's transaction). A success arriving later takes the
    late-success path of the webhook. Returns how many expired. Flushes, never commits.
    """
    moment = now or utcnow()
    stmt = (
        select(Payment)
        .where(
            Payment.method == PaymentMethod.CARD,
            Payment.status == CardPaymentStatus.PENDING,
            Payment.hold_expires_at <= moment,
        )
        .order_by(Payment.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    expired = 0
    for payment in db.session.scalars(stmt).all():
        payment.status = CardPaymentStatus.EXPIRED
        order_port.release_unpaid_order(payment.order_ref)
        if payment.stripe_payment_intent_id:
            outbox.enqueue(CANCEL_INTENT_TASK, payment_id=payment.id)
        expired += 1
    db.session.flush()
    return expired


def cancel_expired_intent(payment_id: int) -> None:
    """Cancel the PaymentIntent of an expired payment so that it cannot be paid any more.

    Stripe refuses when it already succeeded (a race with the customer): that success reaches the
    webhook, which re-allocates or refunds. :raise RetryablePaymentError: try again later.
    """
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.status != CardPaymentStatus.EXPIRED or not payment.stripe_payment_intent_id:
        return
    try:
        gateway.cancel_payment_intent(
            payment.stripe_payment_intent_id, gateway.idempotency_key("cancel_intent", payment.id)
        )
    except gateway.PaymentRequestRejected:
        current_app.logger.info("intent not cancellable", extra={"payment_id": payment.id})
