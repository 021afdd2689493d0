"""The yearly membership fee paid by card: the PaymentIntent of (member, year), and the fee recorded once
when Stripe's signed `payment_intent.succeeded` webhook says it is paid.

Same client-side flow as an order's card payment (Stripe.js confirms the intent; on localstripe the
server confirms with the card token its Stripe.js stand-in made). The fee is the association's own
income: recorded in the members' books (`members.MembershipFee`, method card, unique per member and
year) and exported in the FEC's `AD` journal against the card receipts account (511200), as the desk's
fees are against the cash account. A card payment arriving for a year already paid (at the desk
meanwhile) is given back in full, once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shopapp.accounts.models import User
from shopapp.core.clock import utcnow
from shopapp.errors import NotFoundError
from shopapp.extensions import db
from shopapp.members import services as members
from shopapp.members.models import FeeMethod, MembershipFee
from shopapp.payments import gateway
from shopapp.payments.ledger import insert_ignoring_duplicates
from shopapp.payments.models import CardPaymentStatus, MembershipCardPayment

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeePaymentStart:
    card_payment_id: int
    payment_intent_id: str
    client_secret: str | None
    amount_cents: int
    year: int


def start_fee_payment(user_id: int, *, year: int, fee_cents: int, currency: str = "EUR") -> FeePaymentStart:
    """Open (or find again) the card payment of this member's fee for `year` and its PaymentIntent.

    One per member and year (a second press, two tabs: the same intent). The fee is recorded only by
    the webhook. :raise NoFeeSet: no fee asked. :raise NotFoundError: not a member.
    :raise FeeAlreadyPaid: this year's fee is already recorded.
    :raise RetryablePaymentError, TerminalPaymentError: Stripe could not create the intent.
    Flushes, never commits.
    """
    if fee_cents <= 0:
        raise members.NoFeeSet(str(_l("L'association ne demande pas de cotisation.")))
    if members.membership_of(user_id) is None:
        raise NotFoundError(str(_l("Adhérez d'abord à l'association.")))
    if members.fee_paid(user_id, year) is not None:
        raise members.FeeAlreadyPaid(str(_l("Votre cotisation de cette année est déjà réglée.")))
    insert_ignoring_duplicates(MembershipCardPayment, [{
        "user_id": user_id, "year": year, "amount_cents": fee_cents, "currency": currency,
        "status": str(CardPaymentStatus.PENDING), "created_at": utcnow(),
    }])
    # The row lock makes two presses at once create one intent.
    row = db.session.scalar(select(MembershipCardPayment).where(
        MembershipCardPayment.user_id == user_id, MembershipCardPayment.year == year).with_for_update())
    assert row is not None
    if row.stripe_payment_intent_id:
        existing = gateway.retrieve_payment_intent(row.stripe_payment_intent_id)
        return FeePaymentStart(row.id, existing.id, existing.client_secret, row.amount_cents, year)
    intent = gateway.create_membership_fee_intent(
        user_id=user_id, year=year, amount_cents=row.amount_cents, currency=row.currency,
        idempotency_key=gateway.idempotency_key("membership_fee", row.id))
    row.stripe_payment_intent_id = intent.id
    db.session.flush()
    return FeePaymentStart(row.id, intent.id, intent.client_secret, row.amount_cents, year)


def pending_payment(user_id: int, year: int) -> MembershipCardPayment | None:
    """This member's card payment of `year`'s fee, if one was opened."""
    return db.session.scalar(select(MembershipCardPayment).where(
        MembershipCardPayment.user_id == user_id, MembershipCardPayment.year == year))


def client_secret_for(user_id: int, year: int) -> str | None:
    """The client secret of the member's open card payment for `year`, while it can still be paid."""
    row = pending_payment(user_id, year)
    if row is None or row.status != CardPaymentStatus.PENDING or not row.stripe_payment_intent_id:
        return None
    intent = gateway.retrieve_payment_intent(row.stripe_payment_intent_id)
    return None if intent.is_succeeded else intent.client_secret


def confirm_with_test_token(user_id: int, year: int, token: str) -> str:
    """localstripe only: confirm the member's fee PaymentIntent with the card token its Stripe.js made.
    Returns the intent's status; the fee is still recorded only by the webhook.
    :raise PaymentDeclined, PaymentRequestRejected: card refused, or nothing to pay."""
    row = pending_payment(user_id, year)
    if row is None or row.status != CardPaymentStatus.PENDING or not row.stripe_payment_intent_id:
        raise gateway.PaymentRequestRejected(str(_l("Ce paiement n'est plus en attente.")))
    return gateway.confirm_with_test_card(row.stripe_payment_intent_id, token).status


def is_membership_intent(payment_intent_id: str) -> bool:
    return db.session.scalar(select(MembershipCardPayment.id).where(
        MembershipCardPayment.stripe_payment_intent_id == payment_intent_id)) is not None


def record_card_fee(intent: gateway.IntentView) -> str:
    """The webhook's effect for a succeeded fee PaymentIntent (re-read from Stripe by the caller): record
    the member's fee once, by card, for the amount received. Under the card payment's row lock, a
    replayed or concurrent event finds it succeeded and records nothing. A year already paid (at the
    desk meanwhile) is refunded in full instead (Stripe key `membership_refund:<id>`).
    Returns the outcome. Flushes, never commits.
    """
    row = db.session.scalar(select(MembershipCardPayment).where(
        MembershipCardPayment.stripe_payment_intent_id == intent.id).with_for_update())
    if row is None:
        return "unknown_payment"
    if row.status == CardPaymentStatus.SUCCEEDED:
        return "already_succeeded"
    row.status = CardPaymentStatus.SUCCEEDED
    row.succeeded_at = utcnow()
    db.session.flush()
    user = db.session.get(User, row.user_id)
    try:
        members.record_fee(row.user_id, user.name if user is not None else "", year=row.year,
                           fee_cents=intent.amount_received_cents, actor_id=None, method=FeeMethod.CARD,
                           payment_intent_id=intent.id)
    except members.FeeAlreadyPaid:
        log.warning("membership fee paid twice, refunded", extra={"payment_intent": intent.id})
        gateway.create_refund(intent.id, intent.amount_received_cents,
                              gateway.idempotency_key("membership_refund", row.id),
                              {"membership_card_payment_id": str(row.id)})
        return "refunded_already_paid"
    return "membership_fee_recorded"


def fee_of_intent(payment_intent_id: str) -> MembershipFee | None:
    return db.session.scalar(select(MembershipFee).where(MembershipFee.stripe_payment_intent_id == payment_intent_id))
