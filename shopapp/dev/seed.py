"""Seed a demo town: the venue, categories, shops with products and stock, and demo accounts."""

from __future__ import annotations

import re
import unicodedata
from datetime import time

from sqlalchemy import select

from shopapp.accounts.models import Role
from shopapp.accounts.services import get_user_by_email, register_user
from shopapp.catalog.models import Category, Product, Shop, ShopStaff, ShopStatus, StockRecord
from shopapp.dev import demo_data
from shopapp.extensions import db
from shopapp.venue.models import OpeningHours, Venue

DEMO_PASSWORD = "demo1234"  # noqa: S105 - published demo password, documented in the README


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def demo_accounts() -> list[tuple[str, str]]:
    """(e-mail, role) of every demo account, for `make demo` to print."""
    accounts = [
        ("resident@example.org", "resident"),
        ("venue@example.org", "venue"),
        ("admin@example.org", "admin"),
    ]
    accounts += [(f"{shop['slug']}@example.org", f"shopkeeper · {shop['name']}") for shop in demo_data.SHOPS]
    return accounts


def _user(email: str, name: str, roles: tuple[str, ...]) -> None:
    if get_user_by_email(email) is None:
        register_user(email, DEMO_PASSWORD, name, roles=roles, send_welcome=False)


def seed_demo() -> bool:
    """Create the demo town unless it exists. Returns False when it was already there. Flushes."""
    if db.session.scalar(select(Venue.id).limit(1)) is not None:
        return False
    venue_data = dict(demo_data.VENUE)
    hours = venue_data.pop("opening_hours")
    venue = Venue(**venue_data)
    venue.opening_hours = [
        OpeningHours(weekday=day, opens=time.fromisoformat(opens), closes=time.fromisoformat(closes))
        for day, opens, closes in hours
    ]
    db.session.add(venue)

    categories: dict[str, Category] = {}
    for position, (slug, name, parent) in enumerate(demo_data.CATEGORIES):
        category = Category(slug=slug, name=name, parent=categories.get(parent) if parent else None,
                            position=position)
        categories[slug] = category
        db.session.add(category)

    _user("resident@example.org", "Camille Martin", (Role.RESIDENT,))
    _user("venue@example.org", "Équipe de La Halle Commune", (Role.VENUE,))
    _user("admin@example.org", "Association des commerçants", (Role.ADMIN,))
    db.session.flush()

    for shop_data in demo_data.SHOPS:
        shop = Shop(
            slug=shop_data["slug"], name=shop_data["name"], trade=shop_data["trade"],
            description=shop_data["description"], address=shop_data["address"], phone=shop_data["phone"],
            email=f"{shop_data['slug']}@example.org", opening_days=shop_data["opening_days"],
            preparation_minutes=shop_data["preparation_minutes"], status=ShopStatus.APPROVED,
        )
        db.session.add(shop)
        owner_email = f"{shop_data['slug']}@example.org"
        _user(owner_email, f"{shop_data['trade']} — {shop_data['name']}", (Role.SHOPKEEPER,))
        db.session.flush()
        owner = get_user_by_email(owner_email)
        assert owner is not None
        db.session.add(ShopStaff(shop_id=shop.id, user_id=owner.id, is_owner=True))
        for sku, name, unit, price, category, vat, labels, allergens, stock, description in shop_data["products"]:
            product = Product(
                shop=shop, sku=sku, name=name, slug=slugify(name), unit=unit, price_cents=price,
                category=categories[category], vat_rate_bp=vat, labels=list(labels),
                allergens=list(allergens), description=description,
            )
            product.stock = StockRecord(on_hand=stock, allocated=0)
            db.session.add(product)
    db.session.flush()
    return True
