"""Language choice (French first, English available) and French formats for money and dates."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, request, session
from flask_babel import force_locale
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
