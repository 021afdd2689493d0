"""Links: absolute ones for e-mails and feeds, built without a request (the worker has none), the `int`
route converter, and the check on where a form may send the browser back to."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

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


def safe_next(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, else `default`: a `next` field never sends the browser to
    another site. Refused: absolute URLs, `//host` and anything with a backslash (browsers read `/\\host`
    as `//host`)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    try:
        netloc = urlsplit(target).netloc  # "/\t/host": urlsplit drops the tab, as browsers do
    except ValueError:  # e.g. an unclosed "[" where a host would be
        return default
    return target if netloc == "" else default
