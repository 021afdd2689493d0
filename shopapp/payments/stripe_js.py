"""Where Stripe.js comes from and what the pages must allow for it: its address (the real one or
localstripe's stand-in), the Content-Security-Policy sources it needs, and whether Stripe is in test mode."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

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


def stripe_form_origins(config: Mapping[str, Any]) -> str:
    """Extra CSP form-action sources, " origin" or "": Connect onboarding posts a form that redirects to
    Stripe's Account Link (connect.stripe.com), and browsers check form-action on that redirect."""
    if not config.get("STRIPE_SECRET_KEY"):
        return ""
    if config.get("STRIPE_CONNECT_API_BASE"):
        return f" {_origin(str(config['STRIPE_CONNECT_API_BASE']))}"
    return " https://connect.stripe.com"


def is_test_mode(config: Mapping[str, Any]) -> bool:
    """Stripe in test mode (an sk_test_ key, or localstripe): every page says no real money moves."""
    key = str(config.get("STRIPE_SECRET_KEY") or "")
    return bool(config.get("STRIPE_LOCALSTRIPE")) or key.startswith("sk_test_")
