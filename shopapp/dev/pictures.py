"""Illustrations for the demo town, drawn with Pillow (nothing fetched): a calm background per category
family, a simple pictogram drawn from shapes, and the product's or shop's name.

They go through the same pipeline as uploaded photos (`shopapp.catalog.images`), so the demo shows
exactly what a shop with photos looks like.
"""

from __future__ import annotations

import io
import textwrap
import unicodedata
import zlib
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from shopapp.catalog import images
from shopapp.catalog.models import Category, Product, Shop
from shopapp.extensions import db

WIDTH, HEIGHT = 1200, 900

# (background, pictogram, text) per top-level category; contrast of text on background ≥ 4.5:1.
PALETTES: dict[str, tuple[str, str, str]] = {
    "boulangerie-patisserie": ("#f5e6cc", "#b9773a", "#4a2e12"),
    "fromages-cremerie": ("#fbf1c7", "#e0b53c", "#4d3b05"),
    "boucherie-charcuterie": ("#f6dcd6", "#b8524a", "#55201b"),
    "fruits-legumes": ("#dff0d8", "#5d9c45", "#24421a"),
    "vins-spiritueux": ("#eadcea", "#8a3d6e", "#3f1634"),
    "livres": ("#dde6f2", "#4a6fa5", "#1c2f4d"),
    "fleurs-plantes": ("#f7dfe9", "#c45587", "#53203a"),
    "epicerie-fine": ("#efe8d6", "#a08030", "#44361a"),
    "cafe-the": ("#eadfd5", "#7a5238", "#3a2417"),
    "chocolats-confiserie": ("#eddcd2", "#6b3b26", "#3b1f12"),
}
DEFAULT_PALETTE = ("#e8ebe4", "#6d7f68", "#2b3328")

Box = tuple[int, int, int, int]


def _bread(draw: ImageDraw.ImageDraw, box: Box, colour: str) -> None:
    x0, y0, x1, y1 = box
    draw.ellipse((x0, y0 + (y1 - y0) // 4, x1, y1 - (y1 - y0) // 6), fill=colour)
    step = (x1 - x0) // 5
    for i in range(1, 5):
        x = x0 + i * step
        draw.line((x - step // 3, y0 + (y1 - y0) // 2 + 20, x + step // 3, y0 + (y1 - y0) // 2 - 20),
                  fill="#ffffff", width=10)


def _cheese(draw: ImageDraw.ImageDraw, box: Box, colour: str) -> None:
    x0, y0, x1, y1 = box
    draw.polygon([(x0, y1), (x1, y1), (x1, y0 + (y1 - y0) // 5)], fill=colour)
    for cx, cy, r in ((0.72, 0.72, 0.07), (0.86, 0.55, 0.05), (0.55, 0.86, 0.05)):
        x, y, radius = x0 + cx * (x1 - x0), y0 + cy * (y1 - y0), r * (x1 - x0)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill="#ffffff")


def _meat(draw: ImageDraw.ImageDraw, box: Box, colour: str) -> None:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    draw.ellipse((x0, y0 + h // 5, x0 + w * 3 // 4, y1 - h // 10), fill=colour)
    draw.rounded_rectangle((x0 + w * 3 // 5, y0 + h * 2 // 5, x1, y0 + h * 3 // 5), radius=h // 10, fill="#ffffff")
    draw.ellipse((x0 + w // 4, y0 + h * 2 // 5, x0 + w // 2, y0 + h * 3 // 5), fill="#ffffff")


def _fruit(draw: ImageDraw.ImageDraw, box: Box, colour: str) -> None:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    draw.ellipse((x0 + w // 8, y0 + h // 4, x1 - w // 8, y1), fill=colour)
    draw.line((x0 + w // 2, y0 + h // 4, x0 + w // 2, y0 + h // 12), fill="#6b4a2a", width=max(6, w // 30))
    draw.ellipse((x0 + w // 2, y0, x0 + w * 3 // 4, y0 + h // 6), fill="#4f8a3a")


def _bottle(draw: ImageDraw.ImageDraw, box: Box, colour: str) -> None:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cx = x0 + w // 2
    draw.rounded_rectangle((cx - w // 6, y0 + h * 2 // 5, cx + w // 6, y1), radius=w // 12, fill=colour)
    draw.polygon([(cx - w // 6, y0 + h * 2 // 5 + 2), (cx - w // 16, y0 + h // 4),
                  (cx + w // 16, y0 + h // 4), (cx + w // 6, y0 + h * 2 // 5 + 2)], fill=colour)
    draw.rectangle((cx - w // 16, y0, cx + w // 16, y0 + h // 4), fill=colour)
    draw.rectangle((cx - w // 8, y0 + h * 3 // 5, cx + w // 8, y0 + h * 4 // 5), fill="#ffffff")


def _book(draw: ImageDraw.ImageDraw, box: Box, colour: str) -> None:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    draw.rounded_rectangle((x0 + w // 6, y0 + h // 10, x1 - w // 6, y1), radius=w // 30, fill=colour)
    draw.rectangle((x0 + w // 6, y0 + h // 10, x0 + w // 4, y1), fill="#ffffff")
    for i in range(3):
        y = y0 + h * (3 + i) // 10
        draw.line((x0 + w // 3, y, x1 - w // 4, y), fill="#ffffff", width=max(5, h // 50))


def _flower(draw: ImageDraw.ImageDraw, box: Box, colour: str) -> None:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cx, cy, r = x0 + w // 2, y0 + h * 2 // 5, min(w, h) // 7
    draw.line((cx, cy, cx, y1), fill="#4f8a3a", width=max(6, w // 30))
    for dx, dy in ((0, -1), (1, 0), (0, 1), (-1, 0), (0.7, 0.7), (-0.7, 0.7), (0.7, -0.7), (-0.7, -0.7)):
        px, py = cx + dx * r * 1.3, cy + dy * r * 1.3
        draw.ellipse((px - r, py - r, px + r, py + r), fill=colour)
    draw.ellipse((cx - r * 0.8, cy - r * 0.8, cx + r * 0.8, cy + r * 0.8), fill="#f4c542")


def _jar(draw: ImageDraw.ImageDraw, box: Box, colour: str) -> None:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    draw.rounded_rectangle((x0 + w // 5, y0 + h // 5, x1 - w // 5, y1), radius=w // 10, fill=colour)
    draw.rounded_rectangle((x0 + w // 4, y0, x1 - w // 4, y0 + h // 5), radius=w // 30, fill="#6b4a2a")
    draw.rectangle((x0 + w // 4, y0 + h // 2, x1 - w // 4, y0 + h * 3 // 4), fill="#ffffff")


def _cup(draw: ImageDraw.ImageDraw, box: Box, colour: str) -> None:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    draw.pieslice((x0, y0 - h // 3, x1 - w // 5, y1), start=0, end=180, fill=colour)
    draw.ellipse((x1 - w // 3, y0 + h // 3, x1, y0 + h * 2 // 3), outline=colour, width=max(8, w // 20))
    for i in range(3):
        x = x0 + w * (1 + i) // 5
        draw.arc((x - w // 20, y0 - h // 6, x + w // 20, y0 + h // 6), start=270, end=90, fill=colour,
                 width=max(4, w // 60))


def _chocolate(draw: ImageDraw.ImageDraw, box: Box, colour: str) -> None:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    draw.rounded_rectangle((x0 + w // 8, y0 + h // 8, x1 - w // 8, y1), radius=w // 20, fill=colour)
    for col in range(1, 3):
        x = x0 + w // 8 + col * (w * 3 // 4) // 3
        draw.line((x, y0 + h // 8, x, y1), fill="#ffffff", width=max(4, w // 60))
    for row in range(1, 4):
        y = y0 + h // 8 + row * (h * 7 // 8) // 4
        draw.line((x0 + w // 8, y, x1 - w // 8, y), fill="#ffffff", width=max(4, w // 60))


def _basket(draw: ImageDraw.ImageDraw, box: Box, colour: str) -> None:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    draw.arc((x0 + w // 5, y0, x1 - w // 5, y0 + h * 4 // 5), start=180, end=360, fill=colour, width=max(8, w // 20))
    draw.polygon([(x0, y0 + h * 2 // 5), (x1, y0 + h * 2 // 5), (x1 - w // 8, y1), (x0 + w // 8, y1)], fill=colour)


PICTOGRAMS: dict[str, Callable[[ImageDraw.ImageDraw, Box, str], None]] = {
    "boulangerie-patisserie": _bread,
    "fromages-cremerie": _cheese,
    "boucherie-charcuterie": _meat,
    "fruits-legumes": _fruit,
    "vins-spiritueux": _bottle,
    "livres": _book,
    "fleurs-plantes": _flower,
    "epicerie-fine": _jar,
    "cafe-the": _cup,
    "chocolats-confiserie": _chocolate,
}


def _family(category: Category | None) -> str:
    """The slug of the category's top-level parent ('' without a category)."""
    while category is not None and category.parent is not None:
        category = category.parent
    return category.slug if category is not None else ""


def _shade(hex_colour: str, seed: str) -> str:
    """The background, moved a little per product so neighbours are not identical."""
    shift = zlib.crc32(seed.encode()) % 17 - 8
    channels = [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{max(0, min(255, c + shift)):02x}" for c in channels)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans where the system has it (accents included), else Pillow's own font."""
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def _printable(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> str:
    """Pillow's own font has no accents: fall back to plain letters with it."""
    if isinstance(font, ImageFont.FreeTypeFont) and "DejaVu" in (font.getname()[0] or ""):
        return text
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _initials(name: str) -> str:
    words = [w for w in name.replace("'", " ").replace("-", " ").split() if len(w) > 2 or w[:1].isupper()]
    return "".join(w[0] for w in words[:2]).upper() or name[:1].upper()


def _encode(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, "PNG", compress_level=1)
    return out.getvalue()


def draw_product(name: str, family: str) -> bytes:
    """A 4:3 illustration: the family's pictogram, the product's initials and name (PNG bytes)."""
    background, ink, text = PALETTES.get(family, DEFAULT_PALETTE)
    picture = Image.new("RGB", (WIDTH, HEIGHT), _shade(background, name))
    draw = ImageDraw.Draw(picture)
    PICTOGRAMS.get(family, _basket)(draw, (420, 110, 780, 470), ink)
    small, large = _font(90), _font(84)
    draw.text((WIDTH - 70, 60), _printable(_initials(name), small), font=small, fill=text, anchor="ra")
    for i, line in enumerate(textwrap.wrap(_printable(name, large), width=22)[:2]):
        draw.text((WIDTH // 2, 600 + i * 110), line, font=large, fill=text, anchor="mm")
    return _encode(picture)


def draw_shop(name: str, trade: str, family: str) -> bytes:
    """A 4:3 illustration for a shop (PNG bytes): its trade's pictogram and its name, kept within the
    middle band so that the shop page's 2:1 banner, cut from the middle, shows all of it."""
    background, ink, text = PALETTES.get(family, DEFAULT_PALETTE)
    picture = Image.new("RGB", (WIDTH, HEIGHT), background)
    draw = ImageDraw.Draw(picture)
    PICTOGRAMS.get(family, _basket)(draw, (110, 300, 410, 600), ink)
    large, small = _font(78), _font(50)
    lines = textwrap.wrap(_printable(name, large), width=16)[:2]
    top = 450 - 50 * len(lines)
    for i, line in enumerate(lines):
        draw.text((790, top + i * 95), line, font=large, fill=text, anchor="mm")
    draw.text((790, top + len(lines) * 95 + 20), _printable(trade, small), font=small, fill=text, anchor="mm")
    return _encode(picture)


def seed_pictures() -> int:
    """Give every product and shop without a picture an illustration. Flushes; returns how many were made."""
    made = 0
    families: dict[int, list[str]] = {}
    for product in db.session.scalars(select(Product).where(Product.image_path.is_(None)).order_by(Product.id)):
        family = _family(product.category)
        families.setdefault(product.shop_id, []).append(family)
        product.image_path = images.store_image(draw_product(product.name, family), "products")
        made += 1
    for shop in db.session.scalars(select(Shop).where(Shop.logo_path.is_(None)).order_by(Shop.id)):
        shop_families = families.get(shop.id) or [_family(p.category) for p in db.session.scalars(
            select(Product).where(Product.shop_id == shop.id).limit(20))]
        family = max(set(shop_families), key=shop_families.count) if shop_families else ""
        shop.logo_path = images.store_image(draw_shop(shop.name, shop.trade, family), "shops")
        made += 1
    db.session.flush()
    return made
