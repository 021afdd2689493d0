"""Absolute links for e-mails and feeds, built without a request (the worker has none)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from werkzeug.routing import IntegerConverter, Map

from shopapp.core.db import MAX_ROW_ID


def public_url(endpoint: str, **values: object) -> str:
    """PUBLIC_URL + the path of `endpoint`, e.g. a password-reset link in an e-mail."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return str(current_app.config["PUBLIC_URL"]).rstrip("/") + path


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` in every route: a row id, so at most PostgreSQL's INTEGER. A larger number in a URL
    matches no route (404) instead of overflowing the database driver (a 500)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)
