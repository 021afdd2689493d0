"""French plurals: no "(s)" left in what residents, shops and the association read, and counts agree."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest
from flask_babel import force_locale, ngettext

from shopapp.core.text import count_fr

SOURCE = Path(__file__).resolve().parents[2] / "shopapp"
BRACKETED_PLURAL = re.compile(r"\w\((?:s|x|e|es)\)")


def test_no_bracketed_plural_is_left_in_pages_emails_or_messages():
    found = []
    for path in SOURCE.rglob("*"):
        if path.suffix not in {".py", ".html", ".txt"} or "translations" in path.parts:
            continue
        for number, text in _texts(path):
            if BRACKETED_PLURAL.search(text.replace("http(s)", "")):
                found.append(f"{path.relative_to(SOURCE)}:{number}")

    assert found == []


def _texts(path: Path) -> list[tuple[int, str]]:
    """The lines of a template, or the string literals of a Python module (its code may call `f(s)`)."""
    source = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        return list(enumerate(source.splitlines(), 1))
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [(token.start[0], token.string) for token in tokens
            if token.type in (tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING))]


@pytest.mark.parametrize(("n", "expected"), [(0, "0 erreur"), (1, "1 erreur"), (2, "2 erreurs"), (12, "12 erreurs")])
def test_french_counts_take_the_singular_for_zero_and_one(n, expected):
    assert count_fr(n, "erreur", "erreurs") == expected


@pytest.mark.parametrize(("locale", "n", "expected"), [("fr", 1, "1 place"), ("fr", 12, "12 places"),
                                                      ("en", 1, "1 place"), ("en", 3, "3 places")])
def test_pages_count_places_in_each_language(app, locale, n, expected):
    with app.test_request_context(), force_locale(locale):
        assert ngettext("%(num)d place", "%(num)d places", n) == expected
