"""Absolute links for e-mails and feeds, built without a request (the worker has none)."""

from __future__ import annotations

from flask import current_app


def public_url(endpoint: str, **values: object) -> str:
    """PUBLIC_URL + the path of `endpoint`, e.g. a password-reset link in an e-mail."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return str(current_app.config["PUBLIC_URL"]).rstrip("/") + path
