"""`python -m bench`: run every bench module (bench/<name>.py with a `main()`), in name order."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    folder = Path(__file__).resolve().parent
    failures = 0
    for module in sorted(pkgutil.iter_modules([str(folder)]), key=lambda m: m.name):
        if module.name.startswith("_") or module.name in ("floor", "soak"):  # soak: `make soak`
            continue
        loaded = importlib.import_module(f"bench.{module.name}")
        if hasattr(loaded, "main"):
            print(f"\n===== bench: {module.name} =====", flush=True)
            failures += int(loaded.main() or 0)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
