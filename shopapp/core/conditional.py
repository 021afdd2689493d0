"""Conditional GET for public pages and API answers: an `ETag` on every 200, `304 Not Modified` when
the client already holds those bytes.

The tag is a hash of the body itself, so it can never claim that different bytes are the same: a page
is answered 304 only when it would be byte for byte what the client has. `Cache-Control: no-cache` lets
the browser keep the copy and makes it ask again each time (it pays a round trip, not the page).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, make_response, request
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])


def etag_of(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def finish(response: Response, tag: str, *, personal: bool) -> Response:
    """The 200 `response` with its ETag, or 304 with an empty body when `If-None-Match` names it."""
    response.set_etag(tag)
    response.headers["Cache-Control"] = "private, no-cache" if personal else "no-cache"
    if not request.if_none_match.contains(tag):
        return response
    not_modified = Response(status=304)
    not_modified.set_etag(tag)
    not_modified.headers["Cache-Control"] = response.headers["Cache-Control"]
    for name, value in response.headers.items():
        if name == "Set-Cookie":
            not_modified.headers.add(name, value)
    return not_modified


def conditional_get(view: F) -> F:
    """Answer a GET with an ETag, or 304 with an empty body when `If-None-Match` names it."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        response = make_response(view(*args, **kwargs))
        if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.direct_passthrough:
            return response
        tag, _weak = response.get_etag()
        if tag is None:
            tag = etag_of(response.get_data())
        personal = current_user.is_authenticated or "Set-Cookie" in response.headers
        return finish(response, tag, personal=personal)

    return wrapper  # type: ignore[return-value]
