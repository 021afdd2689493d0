"""JSON: `POST /api/v1/orders` (API.md: 201 first, 200 for a repeated Idempotency-Key)."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user

from shopapp.accounts.access import login_required
from shopapp.checkout import services
from shopapp.core.api import documented, parse_body, respond
from shopapp.orders.schemas import OrderIn, OrderOut, order_out

bp = Blueprint("checkout_api", __name__, url_prefix="/api/v1")


@bp.post("/orders")
@login_required
@documented("Check the basket out into an order (Idempotency-Key header honoured); card orders carry the "
            "PaymentIntent's client_secret", body=OrderIn, response=OrderOut, status=201, auth="bearer")
def create_order():  # type: ignore[no-untyped-def]
    data = parse_body(OrderIn)
    key = (request.headers.get("Idempotency-Key") or "").strip()[:80] or None
    result = services.submit(services.SubmitRequest(current_user.id, data.pickup_slot_id, data.payment_method, key,
                                                    tuple(data.join_animation_ids)))
    out = order_out(result.order)
    out.payment.client_secret = result.payment.client_secret
    return respond(out, 201 if result.created else 200)
