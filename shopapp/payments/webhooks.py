"""Stripe webhook: verify, record the event id with its effect in one transaction, act once.

Exactly once: the event row is inserted with ON CONFLICT DO NOTHING under its unique Stripe id in the
caller's transaction, and the effect is flushed in the same transaction. A duplicate (even a concurrent
one, which waits for the first writer) inserts nothing and is answered 200 without effect; if the effect
fails, the whole transaction rolls back, the event row with it, and Stripe's redelivery tries again.

Never backwards: handlers do not trust the event body; they re-read the PaymentIntent from Stripe and
act on its current status, and payment statuses only move forward (pending → succeeded | failed |
expired; failed/expired → succeeded is the late-success path, never the reverse). An old
`payment_failed` arriving after the success therefore finds the intent succeeded and does nothing.
A declined attempt (`payment_failed`) releases nothing: the customer may retry until the hold expires.
`account.updated` likewise re-reads the connected account and keeps its flags on the shop
(payments/onboarding.py), which releases the shop's held payouts once it can receive them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import stripe
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from shopapp.core.clock import utcnow
from shopapp.errors import DomainError
from shopapp.extensions import db
from shopapp.payments import gateway, membership, onboarding, order_port, refunds
from shopapp.payments.ledger import insert_ignoring_duplicates
from shopapp.payments.models import CardPaymentStatus, Payment, StripeEvent

log = logging.getLogger(__name__)


class InvalidWebhook(DomainError):
    status = 400
    code = "invalid_signature"


@dataclass(frozen=True)
class WebhookResult:
    event_id: str
    event_type: str
    outcome: str
    is_duplicate: bool


def receive(payload: bytes, signature_header: str | None) -> WebhookResult:
    """Verify a delivery and process its event once.

    :raise InvalidWebhook: (400) missing, wrong or stale signature, or a body that is not an event.
    :raise RetryablePaymentError: Stripe could not be read back; the caller answers 5xx and rolls back,
    so Stripe redelivers. Flushes, never commits.
    """
    try:
        event = gateway.verify_event(payload, signature_header)
        event_id, event_type = str(event["id"]), str(event["type"])
        obj = event["data"]["object"]
    except (stripe.SignatureVerificationError, ValueError, KeyError, TypeError) as exc:
        log.warning("stripe webhook refused", extra={"error": type(exc).__name__})
        raise InvalidWebhook(str(_l("Signature Stripe invalide.")))
    payment_intent_id = str(obj["id"]) if obj.get("object") == "payment_intent" else None
    account_id = str(obj["id"]) if obj.get("object") == "account" else None
    return process_event(event_id, event_type, payment_intent_id, account_id=account_id)


def process_event(event_id: str, event_type: str, payment_intent_id: str | None, *,
                  account_id: str | None = None) -> WebhookResult:
    """Record a verified event and apply its effect, unless it was recorded before. Flushes."""
    inserted = insert_ignoring_duplicates(StripeEvent, [{
        "stripe_event_id": event_id, "type": event_type[:80], "payment_intent_id": payment_intent_id,
        "received_at": utcnow(), "outcome": "",
    }])
    if not inserted:
        return WebhookResult(event_id, event_type, "duplicate", is_duplicate=True)
    handler = HANDLERS.get(event_type)
    if event_type == ACCOUNT_UPDATED and account_id:
        outcome = handle_account_updated(account_id)
    else:
        outcome = handler(payment_intent_id) if handler is not None and payment_intent_id else "ignored"
    db.session.execute(
        update(StripeEvent)
        .where(StripeEvent.stripe_event_id == event_id)
        .values(processed_at=utcnow(), outcome=outcome[:40])
    )
    return WebhookResult(event_id, event_type, outcome, is_duplicate=False)


def _locked_payment(payment_intent_id: str) -> Payment | None:
    return db.session.scalar(
        select(Payment).where(Payment.stripe_payment_intent_id == payment_intent_id).with_for_update()
    )


def handle_payment_succeeded(payment_intent_id: str) -> str:
    """Confirm the order of a succeeded PaymentIntent (re-read from Stripe), or refund a late success
    whose stock or slot is gone; a member's yearly fee paid by card is recorded once
    (payments/membership.py). Flushes."""
    intent = gateway.retrieve_payment_intent(payment_intent_id)
    if not intent.is_succeeded:
        return f"intent_{intent.status}"[:40]
    payment = _locked_payment(payment_intent_id)
    if payment is None:
        if membership.is_membership_intent(payment_intent_id):  # a member's yearly fee, not an order
            return membership.record_card_fee(intent)
        log.warning("succeeded intent without payment", extra={"payment_intent": payment_intent_id})
        return "unknown_payment"
    if payment.status == CardPaymentStatus.SUCCEEDED:
        return "already_succeeded"
    payment.status = CardPaymentStatus.SUCCEEDED
    payment.amount_captured_cents = intent.amount_received_cents
    payment.stripe_charge_id = intent.latest_charge_id
    payment.succeeded_at = utcnow()
    db.session.flush()
    outcome = order_port.confirm_paid_order(payment.order_ref, payment_intent_id, intent.amount_received_cents)
    if outcome == order_port.ConfirmOutcome.UNAVAILABLE and payment.refundable_cents > 0:
        refunds.request_refund(payment.id, payment.refundable_cents, reason="late_payment_unavailable", actor_id=None)
        return "refund_requested"
    return str(outcome)


def handle_payment_attempt_failed(payment_intent_id: str) -> str:
    """A card was declined (or 3-D Secure failed): Stripe puts the intent back to
    `requires_payment_method`, and the customer may try another card on the payment page while the
    hold lasts, so nothing is released here; the expiry sweep releases an order never paid. Flushes."""
    intent = gateway.retrieve_payment_intent(payment_intent_id)
    return "attempt_failed" if intent.status == "requires_payment_method" else f"intent_{intent.status}"[:40]


def handle_payment_failed(payment_intent_id: str) -> str:
    """Release the order of a PaymentIntent that was cancelled — only if Stripe still says it is
    unpaid, and only once. Flushes."""
    intent = gateway.retrieve_payment_intent(payment_intent_id)
    if intent.status != "canceled":
        return f"intent_{intent.status}"[:40]
    payment = _locked_payment(payment_intent_id)
    if payment is None:
        return "unknown_payment"
    if payment.status != CardPaymentStatus.PENDING:
        return f"already_{payment.status}"
    payment.status = CardPaymentStatus.FAILED
    db.session.flush()
    order_port.release_unpaid_order(payment.order_ref)
    return "released"


ACCOUNT_UPDATED = "account.updated"


def handle_account_updated(account_id: str) -> str:
    """Keep a connected account's state on its shop (re-read from Stripe) and release its held payouts
    once it can receive them. Flushes."""
    shop = onboarding.apply_account_state(gateway.retrieve_account(account_id))
    if shop is None:
        return "unknown_account"
    return "payouts_enabled" if shop.payouts_enabled else "payouts_disabled"


HANDLERS: dict[str, Callable[[str], Any]] = {
    "payment_intent.succeeded": handle_payment_succeeded,
    "payment_intent.payment_failed": handle_payment_attempt_failed,
    "payment_intent.canceled": handle_payment_failed,
}
