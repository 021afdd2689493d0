"""Whole HTML pages cached for anonymous visitors, with the per-visitor part filled in per request.

A public page (a product page, say) is the same for every anonymous visitor but for its CSRF token
(the add-to-basket and language forms carry one per visitor). The page is rendered once with the
visitor's token, the token is swapped for a marker ("hole"), and that text is kept in the app's cache
(`shopapp.extensions.cache`); each later visitor gets it with the marker replaced by their own token.

Freshness does not rely on expiry or on invalidation: the caller passes a `version` made of the data
the page shows, read in one cheap statement, so a change to that data (price, stock, deactivation…)
gives a new key and the next request renders anew. The page is rendered from the very values the
version was made of, so a copy is never kept under the key of other data. (A web process in front of
Redis reads a version it holds again only every PRODUCT_PAGE_RECHECK_SECONDS for visitors without a
session: see `kept_copy_for_visitor`.)

Only anonymous visitors whose session holds nothing that a page can show are served from it; anyone
signed in (or with a basket, a flash message, an "act for" shop…) gets the normal full rendering.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from time import time

from flask import current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from shopapp.core.cache import keep, near_cache
from shopapp.extensions import cache

# Session keys an anonymous page may ignore: the CSRF secret (the hole), the language (in the key) and
# Flask-Login's "_fresh" mark (set on any anonymous session by its session protection). Any other key
# (basket token, flashes, a signed-in user…) means the page may differ: full rendering.
NEUTRAL_SESSION_KEYS = frozenset({"csrf_token", "lang", "_fresh"})
# Entries are keyed by the data they show, so they never go stale: they only take memory. They are
# kept longer than the public API answers (CACHE_DEFAULT_TIMEOUT), bounded by CACHE_THRESHOLD.
PAGE_TIMEOUT_SECONDS = 600


def serves_anonymous_copy() -> bool:
    """True when this request may get the shared anonymous copy of a page."""
    return (
        request.method == "GET"
        and not current_user.is_authenticated
        and NEUTRAL_SESSION_KEYS.issuperset(session.keys())
    )


@functools.lru_cache(maxsize=8)
def _hole(secret_key: str) -> str:
    # Derived from the secret key: the same in every process sharing a cache, and not guessable by
    # someone who writes product text (a marker typed into a description would otherwise be filled).
    digest = hmac.new(secret_key.encode(), b"page-cache:csrf-hole", "sha256").hexdigest()
    return f"csrf-hole-{digest[:32]}"


def _key(name: str, version: str, locale: str | None = None) -> str:
    return f"page:{name}:{request.script_root}{request.path}:{locale or get_locale()}:{version}"


def anonymous_page(name: str, version: str, render: Callable[[], str]) -> str:
    """The page for this anonymous visitor, from the cache when `version` was rendered already.

    `render()` renders the page for the current request from the very data `version` was made of
    (not from a second read, which could see newer data and keep it under this version's key). The
    page must depend on nothing but the URL path, the language and that data.
    """
    hole = _hole(current_app.config["SECRET_KEY"])
    key = _key(name, version)
    page = cache.get(key)
    if page is None:
        g.csrf_hole = hole  # `csrf_token()` writes the marker: the cached copy holds nobody's token
        try:
            page = render()
        finally:
            g.pop("csrf_hole", None)
        cache.set(key, page, timeout=PAGE_TIMEOUT_SECONDS)
    return str(page).replace(hole, csrf_token())


def kept_copy_for_visitor(name: str, read_version: Callable[[], str]) -> bytes | None:
    """The kept copy of the page as a visitor without a session gets it (in the default language, forms
    without a token: see `defer_csrf_token`), or None when its version was not rendered yet. For an early
    answer (shopapp.core.cache.answered_early), before the locale or the session are looked at.
    `read_version()` reads the version of the page's data (one statement; it may raise, e.g. NotFoundError).

    With a shared cache (Redis), each process keeps the copies it served last in its own memory
    (`near_cache`, PAGE_NEAR_CACHE_ENTRIES), each with its version and the time that version was read. For
    PRODUCT_PAGE_RECHECK_SECONDS after that read, the copy is served as is: no statement, no round trip
    to Redis; a change (price, stock, text) shows to such visitors within those seconds, and at once to
    anyone with a session, whose page is rendered anew. Past them the version is read again: the same
    version serves the same copy, a new one goes to the shared cache, or to the view when not rendered yet.
    With 0 (or without a near cache: the embedded default) the version is read on every visit."""
    locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    near, held_key = near_cache(), _key(name, "", locale)  # this process's copy: by path, whatever the version
    held = near.get(held_key) if near is not None else None
    now = time()
    if held is not None and now < held[2]:
        return held[1]  # type: ignore[no-any-return]
    version = read_version()
    if held is not None and held[0] == version:
        body: bytes = held[1]
    else:
        page = cache.get(_key(name, version, locale))
        if page is None:
            return None
        body = str(page).replace(_hole(current_app.config["SECRET_KEY"]), "").encode()
    if near is not None:
        near.set(held_key, (version, body, now + current_app.config["PRODUCT_PAGE_RECHECK_SECONDS"]), size=len(body))
    return body


def clear() -> None:
    """Empty the shared cache and this process's copies (tests, and `flask` shell use)."""
    cache.clear()
    near = near_cache()
    if near is not None:
        near.clear()


# -- CSRF tokens only when a form is used -------------------------------------------------------------


def defer_csrf_token() -> None:
    """Called by a public catalog page: a visitor who has no session yet gets its forms without a CSRF
    token, and so no session cookie either (the page is the same bytes for every such visitor: cacheable,
    and answered 304 when unchanged). The token comes when a form is used: static/js/csrf.js asks
    `GET /jeton-csrf` for one just before the form is sent; without JavaScript, the form's POST without
    a token and without a session gets a page to confirm, which carries a token (app.py)."""
    g.csrf_deferrable = True


def token_deferred() -> bool:
    return (bool(g.get("csrf_deferrable")) and request.method in ("GET", "HEAD") and not session
            and not current_user.is_authenticated)


def csrf_token() -> str:
    """The `csrf_token()` of templates: the visitor's token, the page cache's marker while a shared copy
    is rendered, or nothing yet on a deferring page for a visitor without a session."""
    hole = g.get("csrf_hole")
    if hole is not None:
        return str(hole)
    if token_deferred():
        return ""
    return str(generate_csrf())


# -- the same bytes for every visitor without a session, for a few seconds ---------------------------

# A public page listing products (home, list, search, category, shop) is kept whole for
# CACHE_DEFAULT_TIMEOUT seconds (10 by default, as the public API answers), keyed by path and query, and
# served as is to every visitor who has no session, no remember-me cookie and no token (such a visitor's
# page carries no CSRF token, see `defer_csrf_token`, and is in the default language, so it is the same
# bytes for all); it is answered before the rest of the request's work (shopapp.core.cache.serve_kept).
# A price or a stock count may so lag by those few seconds on these lists; the product page, the basket
# and the checkout always read them anew, and anyone with a session (signed in, a basket, a message…)
# gets the page rendered anew.
for_visitors_without_session = keep("visitors")
