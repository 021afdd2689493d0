"""Every user-facing text in the code and the templates is in the catalogue, translated into English.

Source strings are the French text itself (French first); `shopapp/translations/en` holds the English.
`python scripts/i18n.py update` refreshes the catalogue after a change.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2"), ("**/templates/**.txt", "jinja2")]


def _source_messages() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT / "shopapp"), method_map=METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return {m for m in found if m}


def _english() -> dict[str, str]:
    with (ROOT / "shopapp/translations/en/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    return {
        str(m.id if isinstance(m.id, str) else m.id[0]): (m.string if isinstance(m.string, str) else m.string[0])
        for m in catalog if m.id and not m.fuzzy
    }


def test_every_text_has_an_english_translation():
    english = _english()

    missing = sorted(m for m in _source_messages() if not english.get(m))

    assert missing == [], f"{len(missing)} texts lack an English translation: run scripts/i18n.py update"


def test_english_pages_render_in_english(client):
    from tests.conftest import csrf_token

    client.post("/langue", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/connexion")})

    html = client.get("/connexion").get_data(as_text=True)

    assert '<html lang="en">' in html
    assert "Mot de passe" not in html
