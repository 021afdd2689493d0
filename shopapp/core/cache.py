"""Whole answers kept for a few seconds (CACHE_DEFAULT_TIMEOUT), served before the rest of the request's work.

Two audiences:
- `public_cached` (everyone): public, read-only API answers that depend on nothing but the URL (no user,
  no session, no language);
- `page_cache.for_visitors_without_session` (visitors): public HTML pages, as they are for a visitor who
  carries no session, no remember-me cookie and no token (such a visitor's page holds no CSRF token and is
  in the default language, so it is the same bytes for all).

A marked view keeps its 200 answer (body, content type and ETag) in the app's cache, keyed by path and
query. With the shared cache (Redis), each web process also keeps the answers it served in its own memory
(`near_cache`) until the deadline of the shared copy, never longer: a visit then costs no round trip.
`serve_kept()` runs first among the request hooks: when the answer is kept and the request is of the
audience, it answers straight away (or 304 when the client holds those bytes), without the rate limiter,
the log-in, the locale or the database; the request boundary still adds its headers (request id, security
headers).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from time import time
from typing import Any, Literal, TypeVar

from cachelib.redis import RedisCache
from flask import Response, current_app, make_response, request, session

from shopapp.core.conditional import etag_of, finish
from shopapp.core.lru import NearCache
from shopapp.extensions import cache

F = TypeVar("F", bound=Callable[..., Any])
Audience = Literal["everyone", "visitors"]
AUDIENCE = "_kept_for"  # the mark on a view (functools.wraps carries it to the outer decorators)
EARLY = "_answered_early"  # the early answer of a view (see `answered_early`)


def _key() -> str:
    return f"kept:{request.script_root}{request.full_path}"


def carries_credentials() -> bool:
    """The request carries a session, a remember-me cookie or a token: its answer may be personal."""
    config = current_app.config
    return ("Authorization" in request.headers or config["SESSION_COOKIE_NAME"] in request.cookies
            or config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies)


def keep(audience: Audience) -> Callable[[F], F]:
    """Keep the view's 200 answer to a GET for its audience (see the module's docstring)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            response = make_response(view(*args, **kwargs))
            if (request.method == "GET" and response.status_code == 200 and not response.direct_passthrough
                    and (audience == "everyone" or _left_nothing_personal(response))):
                body = response.get_data()
                tag = etag_of(body)
                response.set_etag(tag)
                timeout = current_app.config["CACHE_DEFAULT_TIMEOUT"]
                key, kept = _key(), (body, response.content_type, tag, time() + timeout if timeout else None)
                cache.set(key, kept)
                _keep_near(key, kept)
            return response

        setattr(wrapper, AUDIENCE, audience)
        return wrapper  # type: ignore[return-value]

    return decorate


def _left_nothing_personal(response: Response) -> bool:
    # A visitor's page: asked without credentials, and rendering left no session (so no token, no message).
    return not carries_credentials() and not session and "Set-Cookie" not in response.headers


public_cached = keep("everyone")


def answered_early(answer: Callable[..., tuple[bytes, str] | None]) -> Callable[[F], F]:
    """Mark a view: `answer(**view_args)` may give (body, content type) for a visitor without credentials
    before the request's other work, or None (then the view runs as usual). The answer must be exactly what
    the view would render for such a visitor."""

    def decorate(view: F) -> F:
        setattr(view, EARLY, answer)
        return view

    return decorate


def serve_kept() -> Response | None:
    """The first request hook: the kept answer, when there is one for this request."""
    if request.method not in ("GET", "HEAD") or request.endpoint is None:
        return None
    view = current_app.view_functions.get(request.endpoint)
    audience = getattr(view, AUDIENCE, None)
    if audience is None:
        answer = getattr(view, EARLY, None)
        if answer is None or carries_credentials():
            return None
        early = answer(**(request.view_args or {}))
        if early is None:
            return None
        body, content_type = early
        return finish(current_app.response_class(body, content_type=content_type), etag_of(body), personal=False)
    if audience == "visitors" and carries_credentials():
        return None
    key = _key()
    near = near_cache()
    kept = near.get(key) if near is not None else None
    if kept is None:
        kept = cache.get(key)
        if kept is None or len(kept) != 4:  # missing, or kept by an earlier release in another shape
            return None
        _keep_near(key, kept)
    body, content_type, tag, _deadline = kept
    return finish(current_app.response_class(body, content_type=content_type), tag,
                  personal=audience == "everyone" and carries_credentials())


def _keep_near(key: str, kept: tuple[bytes, str, str, float | None]) -> None:
    """This process's copy of a kept answer, until the deadline of the shared copy (none without one)."""
    near = near_cache()
    if near is not None and kept[3] is not None:
        near.set(key, kept, deadline=kept[3], size=len(kept[0]))


def near_cache() -> NearCache | None:
    """This process's copies in front of a shared cache (Redis), at most PAGE_NEAR_CACHE_ENTRIES of them
    and PAGE_NEAR_CACHE_MB of pages; None when the cache is off or is itself in this process (the embedded
    default)."""
    if not isinstance(cache.cache, RedisCache):
        return None
    near = current_app.extensions.get("page_near_cache")
    if near is None:
        config = current_app.config
        near = current_app.extensions.setdefault("page_near_cache", NearCache(
            config["PAGE_NEAR_CACHE_ENTRIES"], config["PAGE_NEAR_CACHE_MB"] * 1024 * 1024))
    return near  # type: ignore[no-any-return]
