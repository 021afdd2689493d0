"""Refunds on the platform charge: checked against what remains refundable, executed by the worker."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from shopapp.core import outbox
from shopapp.errors import DomainError, NotFoundError
from shopapp.extensions import db
from shopapp.payments import gateway
from shopapp.payments.models import Payment, PaymentMethod, PaymentStatus, Refund, RefundStatus

EXECUTE_REFUND_TASK = "payments.execute_refund"


class RefundExceedsPayment(DomainError):
    status = 409
    code = "refund_exceeds_payment"


def request_refund(
    payment_id: int, amount_cents: int, *, reason: str, actor_id: int | None, part_id: int | None = None
) -> Refund:
    """Reserve `amount_cents` of the payment for a refund and queue its execution at Stripe.

    The reservation is one conditional UPDATE (`refunded + amount <= captured`), so two concurrent
    refunds can never give back more than was received — we check it, not Stripe (localstripe allows
    over-refunds). :raise RefundExceedsPayment: more than what remains refundable.
    :raise NotFoundError: no such card payment. Flushes, never commits.
    """
    if amount_cents <= 0:
        raise ValueError("a refund needs a positive amount")
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.method != PaymentMethod.CARD or payment.status != PaymentStatus.SUCCEEDED:
        raise NotFoundError(str(_l("Paiement introuvable.")))
    reserved = db.session.execute(
        update(Payment)
        .where(Payment.id == payment_id, Payment.amount_refunded_cents + amount_cents <= Payment.amount_captured_cents)
        .values(amount_refunded_cents=Payment.amount_refunded_cents + amount_cents)
        .execution_options(synchronize_session=False)
    )
    if reserved.rowcount != 1:  # type: ignore[attr-defined]
        raise RefundExceedsPayment(str(_l("Le montant dépasse ce qui reste remboursable.")))
    db.session.refresh(payment)
    refund = Refund(
        payment_id=payment.id,
        order_id=payment.order_id,
        part_id=part_id,
        amount_cents=amount_cents,
        currency=payment.currency,
        reason=reason,
        created_by_id=actor_id,
    )
    db.session.add(refund)
    db.session.flush()
    outbox.enqueue(EXECUTE_REFUND_TASK, refund_id=refund.id)
    return refund


def execute_refund(refund_id: int) -> Refund:
    """Send a pending refund to Stripe (keyed `refund:<id>`, so a retry never refunds twice).

    A refusal marks it failed and gives the reserved amount back. :raise RetryablePaymentError:
    temporary, retry later. Flushes, never commits.
    """
    refund = db.session.scalar(select(Refund).where(Refund.id == refund_id).with_for_update())
    if refund is None:
        raise NotFoundError(str(_l("Remboursement introuvable.")))
    if refund.status != RefundStatus.PENDING:
        return refund
    payment = db.session.get(Payment, refund.payment_id)
    assert payment is not None and payment.stripe_payment_intent_id is not None
    try:
        result = gateway.create_refund(
            payment.stripe_payment_intent_id,
            refund.amount_cents,
            gateway.idempotency_key("refund", refund.id),
            {"refund_id": str(refund.id), "order_id": str(refund.order_id)},
        )
    except gateway.TerminalPaymentError as exc:
        refund.status = RefundStatus.FAILED
        refund.last_error = exc.message[:500]
        db.session.execute(
            update(Payment)
            .where(Payment.id == payment.id)
            .values(amount_refunded_cents=Payment.amount_refunded_cents - refund.amount_cents)
        )
        db.session.flush()
        return refund
    refund.stripe_refund_id = result.id
    refund.status = RefundStatus.SUCCEEDED
    db.session.flush()
    return refund
