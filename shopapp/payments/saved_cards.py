"""A card saved for later (Stripe SetupIntent) and the off-session payments made with it.

Used by standing orders: at creation the resident saves a card (a Stripe customer and a SetupIntent,
confirmed in the browser by Stripe.js); each occurrence then charges it without the resident
(`off_session=True, confirm=True`). When the bank wants the resident anyway (3-D Secure:
`authentication_required`, or `requires_action` on localstripe) the order waits as `pending_payment` with
its hold, and the resident confirms on the order's ordinary payment page. The requests go through the
gateway's client and error translation, so Stripe's failures are the usual two kinds.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

import stripe
from sqlalchemy import select

from shopapp.core.clock import utcnow
from shopapp.extensions import db
from shopapp.orders.states import PaymentMethod
from shopapp.payments import gateway, webhooks
from shopapp.payments.ledger import insert_ignoring_duplicates
from shopapp.payments.models import CardPaymentStatus, Payment


class OffSessionOutcome(enum.StrEnum):
    SUCCEEDED = "succeeded"
    NEEDS_AUTHENTICATION = "needs_authentication"


@dataclass(frozen=True)
class CardSetup:
    customer_id: str
    setup_intent_id: str
    client_secret: str | None


def start_card_setup(*, email: str, name: str, reference: str) -> CardSetup:
    """Create the Stripe customer and the SetupIntent that saves a card for off-session payments.

    `reference` names what the card is for (`standing:42`): it keys both requests, so a retry gets the
    same objects back. No database effect. :raise RetryablePaymentError, TerminalPaymentError:
    """
    with gateway._stripe_errors():
        client = gateway._client()
        customer = client.v1.customers.create(
            params={"email": email, "name": name, "metadata": {"reference": reference}},
            options=gateway._options(gateway.idempotency_key("customer", reference)),
        )
        setup = client.v1.setup_intents.create(
            params={"customer": customer.id, "usage": "off_session", "payment_method_types": ["card"],
                    "metadata": {"reference": reference}},  # type: ignore[arg-type]
            options=gateway._options(gateway.idempotency_key("setup_intent", reference)),
        )
    return CardSetup(str(customer.id), str(setup.id), setup.client_secret)


def saved_payment_method(setup_intent_id: str) -> str | None:
    """The card saved by this SetupIntent once it succeeded, else None (still waiting for the resident).

    :raise RetryablePaymentError, TerminalPaymentError:
    """
    with gateway._stripe_errors():
        setup = gateway._client().v1.setup_intents.retrieve(setup_intent_id)
    if setup.status != "succeeded" or not setup.payment_method:
        return None
    method = setup.payment_method
    return str(method if isinstance(method, str) else method.id)


def setup_client_secret(setup_intent_id: str) -> str | None:
    """The SetupIntent's client secret, for Stripe.js to confirm it in the browser.
    :raise RetryablePaymentError, TerminalPaymentError:"""
    with gateway._stripe_errors():
        setup = gateway._client().v1.setup_intents.retrieve(setup_intent_id)
    return setup.client_secret


def charge_off_session(*, order_id: int, order_ref: str, amount_cents: int, currency: str, customer_id: str,
                       payment_method_id: str, hold_expires_at: datetime) -> OffSessionOutcome:
    """Charge the saved card for an order placed without the resident (`pending_payment`).

    Records the order's card Payment (one per order) with its PaymentIntent. Succeeded: the payment and
    the order are confirmed now, as the webhook would (which then finds them done). Needs the resident:
    the order waits, pending, until `hold_expires_at` (the expiry sweep releases it then).
    :raise PaymentDeclined: the card was refused (the caller undoes the order).
    :raise RetryablePaymentError, TerminalPaymentError: Stripe could not be asked. Flushes, never commits.
    """
    insert_ignoring_duplicates(Payment, [{
        "order_id": order_id, "order_ref": order_ref, "method": str(PaymentMethod.CARD),
        "status": str(CardPaymentStatus.PENDING), "amount_cents": amount_cents, "amount_captured_cents": 0,
        "amount_refunded_cents": 0, "currency": currency, "hold_expires_at": hold_expires_at, "created_at": utcnow(),
    }])
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id).with_for_update())
    assert payment is not None
    params = {
        "amount": amount_cents, "currency": currency.lower(), "customer": customer_id,
        "payment_method": payment_method_id, "payment_method_types": ["card"],
        "off_session": True, "confirm": True,
        "transfer_group": gateway.transfer_group_for(order_ref),
        "description": f"Adopte mon commerçant — commande {order_ref}",
        "metadata": {"order_id": str(order_id), "order_ref": order_ref},
    }
    with gateway._stripe_errors():
        try:
            obj = gateway._client().v1.payment_intents.create(
                params=gateway._for_backend(params),  # type: ignore[arg-type]
                options=gateway._options(gateway.idempotency_key("off_session_intent", order_ref)),
            )
        except stripe.CardError as exc:
            # Real Stripe answers 402 `authentication_required` and leaves the intent waiting for the
            # customer: keep that intent, the resident confirms it on the payment page.
            intent = getattr(getattr(exc, "error", None), "payment_intent", None)
            if exc.code != "authentication_required" or intent is None:
                raise
            obj = intent
    intent_view = gateway._intent(obj)
    payment.stripe_payment_intent_id = intent_view.id
    db.session.flush()
    if intent_view.is_succeeded:
        webhooks.handle_payment_succeeded(intent_view.id)
        return OffSessionOutcome.SUCCEEDED
    return OffSessionOutcome.NEEDS_AUTHENTICATION
