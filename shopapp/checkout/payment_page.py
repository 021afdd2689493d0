"""What the payment pages show: the payment's state, Stripe.js's address, the localstripe stand-in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from shopapp.extensions import db
from shopapp.orders.models import Order
from shopapp.orders.states import OrderStatus
from shopapp.payments import gateway
from shopapp.payments.models import CardPaymentStatus, Payment

REAL_STRIPE_JS = "https://js.stripe.com/v3/"


def stripe_js_url() -> str:
    """Stripe.js: the real one, or localstripe's stand-in served at `<API base>/js.stripe.com/v3/`."""
    configured = current_app.config.get("STRIPE_JS_URL")
    if configured:
        return str(configured)
    base = current_app.config.get("STRIPE_API_BASE")
    if current_app.config.get("STRIPE_LOCALSTRIPE") and base:
        return f"{str(base).rstrip('/')}/js.stripe.com/v3/"
    return REAL_STRIPE_JS


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def stripe_origins(config: Mapping[str, Any]) -> tuple[str, str, str]:
    """Extra CSP sources (script, connect, frame), each " origin…" or "", from the Stripe settings."""
    if not config.get("STRIPE_SECRET_KEY"):
        return "", "", ""
    base = config.get("STRIPE_API_BASE")
    if config.get("STRIPE_JS_URL"):
        script = _origin(str(config["STRIPE_JS_URL"]))
    elif config.get("STRIPE_LOCALSTRIPE") and base:
        script = _origin(str(base))
    else:
        script = _origin(REAL_STRIPE_JS)
    api = _origin(str(base)) if base else "https://api.stripe.com"
    frames = " https://js.stripe.com https://hooks.stripe.com" if script == _origin(REAL_STRIPE_JS) else ""
    return f" {script}", f" {api}", frames


def is_test_mode(config: Mapping[str, Any]) -> bool:
    """Stripe in test mode (an sk_test_ key, or localstripe): every page says no real money moves."""
    key = str(config.get("STRIPE_SECRET_KEY") or "")
    return bool(config.get("STRIPE_LOCALSTRIPE")) or key.startswith("sk_test_")


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
