"""Text helpers shared by the domain packages."""

from __future__ import annotations

import re
import unicodedata


def slugify(value: str, *, max_length: int | None = None, fallback: str = "") -> str:
    """`Fromagerie Lucas & Fils` → `fromagerie-lucas-fils`: ASCII lower case, runs of anything else as one
    dash. Cut to `max_length` characters when given; `fallback` when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length] or fallback


def count_fr(n: int, singular: str, plural: str) -> str:
    """`n` followed by the French words agreeing with it, for the few messages that stay in French
    (command-line output, import reports; pages and e-mails use `ngettext`): 0 and 1 take the singular,
    `count_fr(0, "erreur", "erreurs")` → "0 erreur"."""
    return f"{n} {singular if -2 < n < 2 else plural}"
