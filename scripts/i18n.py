"""Translation catalogues. Source strings are the French text; `en` is the translation.

    python scripts/i18n.py update   # extract strings from code and templates, merge into the catalogues
    python scripts/i18n.py missing  # list English entries still untranslated (exit 1 if any)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "shopapp" / "translations"
POT = TRANSLATIONS / "messages.pot"
BIN = Path(sys.executable).parent


def update() -> None:
    subprocess.check_call([  # noqa: S603
        str(BIN / "pybabel"), "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
        "--no-location", "--sort-output", "--omit-header", "-o", str(POT), ".",
    ], cwd=ROOT)
    subprocess.check_call([  # noqa: S603
        str(BIN / "pybabel"), "update", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", "en",
        "--no-fuzzy-matching", "--omit-header",
    ], cwd=ROOT)


def missing() -> list[str]:
    with (TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    # A plural entry's translation is a tuple of forms: each form must be filled.
    return [str(m.id) for m in catalog
            if m.id and (m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string))]


if __name__ == "__main__":
    if sys.argv[1:] == ["update"]:
        update()
    elif sys.argv[1:] == ["missing"]:
        todo = missing()
        print("\n".join(todo))
        sys.exit(1 if todo else 0)
    else:
        print(__doc__)
        sys.exit(2)
