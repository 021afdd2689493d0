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
import threading
from collections import OrderedDict
from collections.abc import Callable
from time import time
from typing import Any, TypeVar

from flask import current_app, g, request, session
from flask_babel import get_locale
from flask_caching.backends import NullCache
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from shopapp.core.cache import carries_credentials, keep, near_cache
from shopapp.core.lru import NearCache
from shopapp.extensions import cache

# Session keys an anonymous page may ignore: the CSRF secret (the hole), the language (in the key) and
# Flask-Login's "_fresh" mark (set on any anonymous session by its session protection). Any other key
# (basket token, flashes, a signed-in user…) means the page may differ: full rendering.
NEUTRAL_SESSION_KEYS = frozenset({"csrf_token", "lang", "_fresh"})
# Entries are keyed by the data they show, so they never go stale: they only take memory. They are
# kept longer than the public API answers (CACHE_DEFAULT_TIMEOUT), bounded by CACHE_THRESHOLD.
PAGE_TIMEOUT_SECONDS = 600
# A version read for a kept copy past its recheck reads those of so many of the process's copies at most.
RECHECK_TOGETHER = 100

K = TypeVar("K")


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


def anonymous_page(name: str, version: str, render: Callable[[], str], held_as: Any = None) -> str:
    """The page for this anonymous visitor, from the cache when `version` was rendered already.

    `render()` renders the page for the current request from the very data `version` was made of
    (not from a second read, which could see newer data and keep it under this version's key). The
    page must depend on nothing but the URL path, the language and that data.
    `held_as`: the page's key for `kept_copy_for_visitor` (a product id), when it answers this kind of page
    early: a visitor without a session then leaves the copy held by this process, as that early answer
    would (the version was just read), so that this process's next visitors get it without a round trip.
    """
    hole = _hole(current_app.config["SECRET_KEY"])
    key = _key(name, version)
    # The early answer of this request found no copy under this very key a moment ago: not asked again.
    page = None if g.get("page_cache_missed") == key else cache.get(key)
    if page is None:
        g.csrf_hole = hole  # `csrf_token()` writes the marker: the cached copy holds nobody's token
        try:
            page = render()
        finally:
            g.pop("csrf_hole", None)
        cache.set(key, page, timeout=PAGE_TIMEOUT_SECONDS)
    token = csrf_token()
    html = str(page).replace(hole, token)
    if held_as is not None and not token and not carries_credentials():
        _hold_for_visitors(name, held_as, version, html)
    return html


def _hold_for_visitors(name: str, key: Any, version: str, html: str) -> None:
    """This process holds a page a visitor without a session just got, as `kept_copy_for_visitor` holds
    the copies it serves (in the default language only: the one such visitors get)."""
    near = near_cache()
    locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    if near is not None and str(get_locale()) == locale:
        _hold(near, name, key, _key(name, "", locale), version, html.encode(), time())


def _hold(near: NearCache, name: str, key: Any, held_key: str, version: str, body: bytes, read_at: float) -> None:
    """This process's copy of a page for visitors without a session, with the version read at `read_at`:
    served as is until PRODUCT_PAGE_RECHECK_SECONDS later (see `kept_copy_for_visitor`)."""
    recheck = current_app.config["PRODUCT_PAGE_RECHECK_SECONDS"]
    near.set(held_key, (version, body, read_at + recheck), size=len(body))
    if recheck > 0:
        _reads_of(name, near).held(key, held_key)


def kept_copy_for_visitor(name: str, key: K, read_versions: Callable[[list[K]], dict[K, str]]) -> bytes | None:
    """The kept copy of the page as a visitor without a session gets it (in the default language, forms
    without a token: see `defer_csrf_token`), or None when its version was not rendered yet, or when
    `read_versions` does not give it (the view then answers, 404 for a page that is gone). For an early
    answer (shopapp.core.cache.answered_early), before the locale or the session are looked at.
    `key` names the page's data among the pages of `name` (a product id); `read_versions(keys)` reads the
    version of each, in one statement, and leaves out those not to be shown.

    With a shared cache (Redis), each process keeps the copies it served last in its own memory
    (`near_cache`, PAGE_NEAR_CACHE_ENTRIES), each with its version and the time that version was read. For
    PRODUCT_PAGE_RECHECK_SECONDS after that read, the copy is served as is: no statement, no round trip
    to Redis; a change (price, stock, text) shows to such visitors within those seconds, and at once to
    anyone with a session, whose page is rendered anew. Past them the version is read again: the same
    version serves the same copy, a new one goes to the shared cache, or to the view when not rendered yet.
    That statement also reads the versions of up to RECHECK_TOGETHER - 1 other copies of this process whose
    seconds are over (the oldest reads first): an unchanged one is held for the next seconds, a changed or
    hidden one is dropped. Without it a page asked less often than every few seconds cost a statement
    at almost every visit.
    With 0 (or without a near cache: the embedded default) the version is read on every visit. With the
    cache off (CACHE_TYPE=NullCache) no copy is ever kept: no version is read, the view answers."""
    if isinstance(cache.cache, NullCache):
        return None
    locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    near, held_key = near_cache(), _key(name, "", locale)  # this process's copy: by path, whatever the version
    held = near.get(held_key) if near is not None else None
    now = time()
    if held is not None and now < held[2]:
        return held[1]  # type: ignore[no-any-return]
    recheck = current_app.config["PRODUCT_PAGE_RECHECK_SECONDS"]
    reads = _reads_of(name, near) if near is not None and recheck > 0 else None
    others = reads.due(key, now) if reads is not None else []
    versions = read_versions([key, *others])
    if reads is not None:
        reads.refresh(others, versions, now + recheck)
    version = versions.get(key)
    if version is None:  # gone (withdrawn, its shop suspended…): the view answers; no copy stays held
        if near is not None:
            near.change(held_key, lambda _copy: None)
        if reads is not None:
            reads.forget(key)
        return None
    if held is not None and held[0] == version:
        body: bytes = held[1]
    else:
        shared_key = _key(name, version, locale)
        page = cache.get(shared_key)
        if page is None:
            g.page_cache_missed = shared_key  # the view renders it: `anonymous_page` need not ask again
            return None
        body = str(page).replace(_hole(current_app.config["SECRET_KEY"]), "").encode()
    if near is not None:
        _hold(near, name, key, held_key, version, body, now)
    return body


class _Reads:
    """For one kind of page, this process's copies held in `near` in the order their versions were read (so
    in the order their recheck falls due): key -> held key in the near cache."""

    def __init__(self, near: NearCache, bound: int) -> None:
        self._near = near
        self._order: OrderedDict[Any, str] = OrderedDict()
        self._bound = max(1, bound)
        self._lock = threading.Lock()

    def held(self, key: Any, held_key: str) -> None:
        with self._lock:
            self._order[key] = held_key
            self._order.move_to_end(key)
            while len(self._order) > self._bound:
                self._order.popitem(last=False)

    def due(self, asked: Any, now: float) -> list[Any]:
        """Up to RECHECK_TOGETHER - 1 keys other than `asked` whose held copy's recheck is due, oldest first
        (copies the near cache let go are forgotten on the way)."""
        found: list[Any] = []
        gone: list[Any] = []
        with self._lock:
            for key, held_key in self._order.items():
                if len(found) >= RECHECK_TOGETHER - 1:
                    break
                if key == asked:
                    continue
                copy = self._near.peek(held_key)
                if copy is None:
                    gone.append(key)
                elif copy[2] > now:
                    break  # the rest were read later
                else:
                    found.append(key)
            for key in gone:
                del self._order[key]
        return found

    def refresh(self, keys: list[Any], versions: dict[Any, str], until: float) -> None:
        """After their versions were read: an unchanged copy is held until `until`; another is dropped (in one
        step each, so a newer copy another thread just held is never replaced by an older one)."""
        def renewed(version: str | None) -> Callable[[tuple[str, bytes, float]], tuple[str, bytes, float] | None]:
            return lambda copy: (copy[0], copy[1], until) if copy[0] == version else None

        with self._lock:
            for key in keys:
                held_key = self._order.pop(key, None)
                if held_key is not None and self._near.change(held_key, renewed(versions.get(key))):
                    self._order[key] = held_key  # at the end: read last

    def forget(self, key: Any) -> None:
        with self._lock:
            self._order.pop(key, None)


def _reads_of(name: str, near: NearCache) -> _Reads:
    every = current_app.extensions.setdefault("page_cache_reads", {})
    reads = every.get(name)
    if reads is None:
        reads = every[name] = _Reads(near, current_app.config["PAGE_NEAR_CACHE_ENTRIES"])
    return reads  # type: ignore[no-any-return]


def clear() -> None:
    """Empty the shared cache and this process's copies (tests, and `flask` shell use)."""
    cache.clear()
    near = near_cache()
    if near is not None:
        near.clear()
    current_app.extensions.pop("page_cache_reads", None)


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
