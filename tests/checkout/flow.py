"""Steps of the card flow as the outside world performs them: the resident's API calls, Stripe.js on
localstripe, Stripe's signed webhook delivery, the shops and the desk."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.orders import fulfilment
from shopapp.orders.models import Order, OrderPart
from tests.payments.conftest import event_payload, sign


def token_headers(client: Any, email: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": "motdepasse1"})
    return {"Authorization": f"Bearer {response.json['token']}"}


def order_by_api(client: Any, headers: dict[str, str], slot_id: int, lines: list[tuple[int, int]],
                 method: str = "card", key: str = "k1") -> Any:
    for product_id, quantity in lines:
        assert client.post("/api/v1/basket/lines", json={"product_id": product_id, "quantity": quantity},
                           headers=headers).status_code == 200
    return client.post("/api/v1/orders", json={"pickup_slot_id": slot_id, "payment_method": method},
                       headers={**headers, "Idempotency-Key": key})


def deliver(client: Any, event_id: str, event_type: str, intent_id: str) -> Any:
    """POST the signed event to /webhooks/stripe as Stripe does."""
    payload = event_payload(event_id, event_type, intent_id)
    return client.post("/webhooks/stripe", data=payload,
                       headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload)})


def intent_of(app: Any, order_id: int) -> str:
    from shopapp.payments.models import Payment

    with app.app_context():
        intent = db.session.scalar(select(Payment.stripe_payment_intent_id).where(Payment.order_id == order_id))
        assert intent is not None
        return intent


def order_status(app: Any, order_id: int) -> tuple[str, str]:
    with app.app_context():
        db.session.remove()
        order = db.session.get(Order, order_id)
        assert order is not None
        return order.status, order.payment_status


def bring_to_venue_and_collect(app: Any, order_id: int, paid_via: str | None = None) -> None:
    with app.app_context():
        parts = db.session.scalars(select(OrderPart).where(OrderPart.order_id == order_id)).all()
        for part in parts:
            for status in ("preparing", "ready", "at_venue"):
                fulfilment.set_part_status(part.id, status, shop_id=part.shop_id, actor_id=None)
        commit()
        fulfilment.collect_order(order_id, actor_id=None, paid_via=paid_via)
        commit()
