"""Seed a demo town: the venue, categories, shops with products and stock, and demo accounts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from shopapp.accounts.models import Role
from shopapp.accounts.services import get_user_by_email, register_user
from shopapp.animations.models import Animation
from shopapp.animations.registrations import add_walk_in
from shopapp.animations.services import AnimationData, create_animation, publish_animation
from shopapp.catalog.categories import create_default_categories
from shopapp.catalog.models import Category, Product, Shop, ShopStaff, ShopStatus, StockRecord
from shopapp.core.clock import venue_today
from shopapp.core.text import slugify
from shopapp.dev import demo_data
from shopapp.extensions import db
from shopapp.members.services import join as join_membership
from shopapp.venue.models import OpeningHours, Venue

DEMO_PASSWORD = "demo1234"  # noqa: S105 - published demo password, documented in the README


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

    create_default_categories()
    categories = {c.slug: c for c in db.session.scalars(select(Category))}

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


def _next_local(weekday: int, hour: int, minute: int, zone: str, *, min_days: int = 2) -> datetime:
    """The next `weekday` (ISO) at least `min_days` ahead, at local `hour:minute`, in UTC."""
    tz = ZoneInfo(zone)
    day = venue_today(zone=tz) + timedelta(days=min_days)
    while day.isoweekday() != weekday:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def seed_animations() -> int:
    """Two published animations at the venue during opening hours: a cheese tasting on Thursday
    evening and a bread workshop on Saturday morning, where the desk already let a family in without a
    booking; the demo resident is a member of the association. Flushes; returns how many were created."""

    if db.session.scalar(select(Animation.id).limit(1)) is not None:
        return 0
    venue_staff = get_user_by_email("venue@example.org")
    venue = db.session.scalar(select(Venue))
    if venue_staff is None or venue is None:
        return 0
    shops = {shop.slug: shop for shop in db.session.scalars(select(Shop))}
    cheese, bakery = shops.get("fromagerie-la-cave-d-affinage"), shops.get("boulangerie-du-marche")
    plans = [
        ("Dégustation : fromages d'hiver de la Cave d'Affinage", "tasting", 4, 17, 30, 18, 30, 20, cheese,
         "Comté, Sainte-Maure, Crottin de Chavignol : venez goûter la sélection de la saison en retirant "
         "votre commande."),
        ("Atelier pain au levain avec la Boulangerie du Marché", "cooking_workshop", 6, 10, 0, 11, 30, 12, bakery,
         "Pétrissage, façonnage et secrets du levain : repartez avec votre pâton à cuire chez vous."),
    ]
    created = 0
    for title, kind, weekday, h1, m1, h2, m2, capacity, shop, description in plans:
        starts = _next_local(weekday, h1, m1, venue.timezone)
        ends = _next_local(weekday, h2, m2, venue.timezone)
        data = AnimationData(title=title, kind=kind, starts_at=starts, ends_at=ends, capacity=capacity,
                             description=description, shop_ids=[shop.id] if shop else [])
        animation = create_animation(data, actor_id=venue_staff.id)
        publish_animation(animation.id, actor_id=venue_staff.id)
        if kind == "cooking_workshop":
            add_walk_in(animation.id, 2, name="Famille Morel", actor_id=venue_staff.id)
        created += 1
    resident = get_user_by_email("resident@example.org")
    if resident is not None:
        join_membership(resident.id, consent=True, venue=venue.name)
    return created
