"""The Stripe webhook endpoint (the only CSRF-exempt route besides bearer API calls)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from shopapp.accounts.access import public
from shopapp.payments import webhooks

bp = Blueprint("payments", __name__)


@bp.post("/webhooks/stripe")
@public
def stripe_webhook() -> Response:
    result = webhooks.receive(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    return jsonify({"received": True, "duplicate": result.is_duplicate})
