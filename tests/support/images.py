"""Real image bytes for upload tests: a valid PNG, and the uploads that must be refused."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image


def png(width: int = 640, height: int = 480) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def bomb() -> bytes:
    """A tiny PNG that claims 20 000 × 20 000 pixels: 400 megapixels once decoded."""
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, "PNG")
    return buffer.getvalue()


# (test id, bytes, the French message the page must show). Oversized: above the 5 MB default,
# below the request limit, so the image check (not the 413 handler) is what refuses it.
BAD_UPLOADS = [
    ("not-an-image", b"%PDF-1.4 pas une image", "Ce fichier n'est pas une image lisible."),
    ("oversized", b"\xff\xd8" + b"x" * (6 * 1024 * 1024), "L'image dépasse la taille autorisée (5 Mo)."),
    ("decompression-bomb", bomb(), "L'image a trop de pixels (image piégée ou trop grande)."),
]


def media_files(instance_path: str) -> set[str]:
    """Every file under the media folder, to show a refused upload wrote nothing."""
    root = Path(instance_path) / "media"
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()
