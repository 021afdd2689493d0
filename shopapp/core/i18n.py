"""Language choice (French first, English available) and French formats for money and dates."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import tzinfo

from babel import Locale
from flask import current_app, g, has_app_context, request, session
from flask_babel import force_locale, get_locale, get_timezone
from flask_login import current_user


def select_locale() -> str:
    """The signed-in user's language, else the one chosen in this session, else French."""
    if current_user and current_user.is_authenticated:
        return str(current_user.locale)
    chosen = session.get("lang") if request else None
    if chosen in current_app.config["LANGUAGES"]:
        return str(chosen)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


@contextmanager
def force_locale_for(locale: str | None) -> Iterator[None]:
    """Render e-mails in the recipient's language, outside or inside a request."""
    with force_locale(locale if locale in ("fr", "en") else "fr"):
        yield


def _babel_state() -> object | None:
    """flask-babel's state for the request or task (None outside an app context or before its first use)."""
    return g._get_current_object().__dict__.get("_flask_babel") if has_app_context() else None  # type: ignore[attr-defined]


def current_locale() -> Locale | None:
    """flask-babel's `get_locale()`: the language in force (the request's, or the one forced for an
    e-mail), read straight from its state on `g` once chosen. Its own lookup goes through the `g` proxy
    three times (1.9 µs against 0.25), and a notice asks some fifteen times."""
    locale = getattr(_babel_state(), "babel_locale", None)
    return locale if locale is not None else get_locale()


def current_timezone() -> tzinfo:
    """flask-babel's `get_timezone()`, read the same way as `current_locale`."""
    zone = getattr(_babel_state(), "babel_tzinfo", None)
    return zone if zone is not None else get_timezone()  # type: ignore[no-any-return]
