"""What the payment pages show: the payment's state, and the localstripe stand-in's card confirmation.

Where Stripe.js comes from is payments configuration (`shopapp.payments.stripe_js`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from shopapp.extensions import db
from shopapp.orders.models import Order
from shopapp.orders.states import OrderStatus
from shopapp.payments import gateway
from shopapp.payments.models import CardPaymentStatus, Payment


@dataclass(frozen=True)
class PaymentState:
    order_status: str
    payment_status: str | None
    client_secret: str | None
    hold_expires_at: object | None

    @property
    def is_confirmed(self) -> bool:
        return self.order_status in (OrderStatus.CONFIRMED, OrderStatus.READY_FOR_PICKUP, OrderStatus.COLLECTED)

    @property
    def is_settled(self) -> bool:
        """Nothing left to pay: paid, or ended (expired, cancelled)."""
        return self.payment_status != CardPaymentStatus.PENDING or self.order_status != OrderStatus.PENDING_PAYMENT


def payment_state(order_id: int) -> PaymentState:
    """The order's status and its card payment's, with the client secret while still payable."""
    order_status = db.session.scalar(select(Order.status).where(Order.id == order_id)) or ""
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
    secret = None
    if payment is not None and payment.status == CardPaymentStatus.PENDING and payment.stripe_payment_intent_id:
        secret = gateway.retrieve_payment_intent(payment.stripe_payment_intent_id).client_secret
    return PaymentState(order_status, payment.status if payment else None, secret,
                        payment.hold_expires_at if payment else None)


def confirm_with_test_token(order_id: int, token: str) -> str:
    """localstripe only: confirm the order's PaymentIntent with a card token made by its Stripe.js.

    Returns the intent's status (`succeeded`, `requires_action` for 3-D Secure). The order is still
    confirmed only by the webhook. :raise PaymentDeclined, PaymentRequestRejected: card refused.
    """
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
    if payment is None or not payment.stripe_payment_intent_id or payment.status != CardPaymentStatus.PENDING:
        raise gateway.PaymentRequestRejected("Ce paiement n'est plus en attente.")
    return gateway.confirm_with_test_card(payment.stripe_payment_intent_id, token).status
