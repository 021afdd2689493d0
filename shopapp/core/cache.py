"""A few seconds of caching for public, read-only API answers that are the same for everyone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import request

from shopapp.extensions import cache

F = TypeVar("F", bound=Callable[..., Any])


def _cache_key() -> str:
    return f"public:{request.full_path}"


def public_cached(view: F) -> F:
    """Cache a public GET view's response for CACHE_DEFAULT_TIMEOUT seconds, keyed by path + query.

    Only for answers that depend on nothing but the URL (no user, no session, no language); the
    request boundary still adds its headers (request id, security headers) to every reply.
    """
    return cache.cached(  # type: ignore[no-any-return]
        key_prefix=_cache_key,
        unless=lambda: request.method != "GET",
        response_filter=lambda response: response.status_code == 200,
    )(view)
