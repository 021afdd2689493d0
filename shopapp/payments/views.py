"""The Stripe webhook endpoint (the only CSRF-exempt route besides bearer API calls)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from shopapp.accounts.access import public
from shopapp.errors import json_error
from shopapp.payments import gateway, webhooks

bp = Blueprint("payments", __name__)


@bp.post("/webhooks/stripe")
@public
def stripe_webhook() -> Response:
    result = webhooks.receive(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    return jsonify({"received": True, "duplicate": result.is_duplicate})


@bp.errorhandler(gateway.GatewayNotConfigured)
def payments_not_configured(error: gateway.GatewayNotConfigured) -> Response:
    # Stripe retries a non-2xx answer, so nothing is lost while the secret is being set.
    response = json_error(503, "payments_not_configured", "Les paiements par carte ne sont pas configurés.")
    response.headers["Retry-After"] = "60"
    return response
