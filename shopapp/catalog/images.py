"""Uploaded images (product photos, shop logos, animation images): checked by content, re-encoded,
resized, stored under the instance.

An upload is trusted for nothing: its name and declared type are ignored, Pillow must recognise a
JPEG, PNG, WebP or GIF, the pixel count is bounded before decoding (decompression bombs), and the
image is decoded and re-encoded as JPEG (which also drops metadata such as GPS positions). Files are
named by content hash, so their URLs can be cached forever.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from shopapp.catalog.models import Product, Shop
from shopapp.errors import ValidationFailed
from shopapp.extensions import db

SIZES = (200, 400, 1200)
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000


class ImageRejected(ValidationFailed):
    code = "invalid_image"


def media_root() -> Path:
    return Path(current_app.instance_path) / "media"


def store_image(data: bytes, folder: str) -> str:
    """Validate and store an image in every size; returns its base path (`folder/<hash>`).

    :raise ImageRejected: too big, not an image, an unsupported format, or too many pixels.
    """
    max_bytes = int(current_app.config.get("IMAGE_MAX_BYTES", DEFAULT_MAX_BYTES))
    max_pixels = int(current_app.config.get("IMAGE_MAX_PIXELS", DEFAULT_MAX_PIXELS))
    if not data:
        raise ImageRejected("Aucun fichier reçu.", fields={"image": "Choisissez une image."})
    if len(data) > max_bytes:
        raise ImageRejected(
            f"L'image dépasse la taille autorisée ({max_bytes // (1024 * 1024)} Mo).",
            fields={"image": "Fichier trop volumineux."},
        )
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: make it an error too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in ACCEPTED_FORMATS:
                    raise ImageRejected("Format d'image non accepté : JPEG, PNG, WebP ou GIF.",
                                        fields={"image": "Format non accepté."})
                if image.width * image.height > max_pixels:
                    raise ImageRejected("L'image a trop de pixels (image piégée ou trop grande).",
                                        fields={"image": "Dimensions trop grandes."})
                image.load()
                picture = ImageOps.exif_transpose(image).convert("RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("L'image a trop de pixels (image piégée ou trop grande).",
                            fields={"image": "Dimensions trop grandes."})
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageRejected("Ce fichier n'est pas une image lisible.", fields={"image": "Image illisible."})
    digest = hashlib.sha256(data).hexdigest()[:32]
    base = f"{folder}/{digest}"
    target = media_root() / folder
    target.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        copy = picture.copy()
        copy.thumbnail((size, size), Image.Resampling.LANCZOS)
        copy.save(target / f"{digest}-{size}.jpg", "JPEG", quality=82, optimize=True, progressive=True)
    return base


def set_product_image(product: Product, data: bytes) -> None:
    """Store a new photo for the product. Flushes. :raise ImageRejected: see `store_image`."""
    product.image_path = store_image(data, "products")
    db.session.flush()


def set_shop_logo(shop: Shop, data: bytes) -> None:
    """Store a new logo for the shop. Flushes. :raise ImageRejected: see `store_image`."""
    shop.logo_path = store_image(data, "shops")
    db.session.flush()


def set_shop_banner(shop: Shop, data: bytes) -> None:
    """Store a new banner for the shop (the wide picture of its page, apart from the logo). Flushes.
    :raise ImageRejected: see `store_image`."""
    shop.banner_path = store_image(data, "shops")
    db.session.flush()
