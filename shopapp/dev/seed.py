"""Seed a demo town: the venue, categories, shops with products and stock, and demo accounts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from shopapp.accounts.models import Role
from shopapp.accounts.services import get_user_by_email, register_user
from shopapp.animations.models import Animation
from shopapp.animations.registrations import add_walk_in
from shopapp.animations.services import AnimationData, create_animation, publish_animation
from shopapp.catalog.categories import create_default_categories
from shopapp.catalog.models import Category, Product, Shop, ShopStaff, ShopStatus, StockRecord
from shopapp.core.clock import local_to_utc, utcnow, venue_time, venue_today
from shopapp.core.text import slugify
from shopapp.dev import demo_data
from shopapp.extensions import db
from shopapp.members.services import join as join_membership
from shopapp.orders import slots
from shopapp.orders.models import Order, OrderLine, OrderPart, PickupSlot
from shopapp.orders.states import OrderPaymentStatus, OrderStatus, PartStatus, PaymentMethod
from shopapp.payments import commission, invoices
from shopapp.payments.models import CardPaymentStatus, CommissionInvoice, LedgerEntry, Payment
from shopapp.standing import services as standing
from shopapp.standing.models import StandingOrder
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
        register_user(email, DEMO_PASSWORD, name, roles=roles, send_welcome=False, confirmed=True)


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
            product.net_quantity, product.net_unit = demo_data.NET_QUANTITIES.get(sku, (None, None))
            product.is_perishable = category in demo_data.PERISHABLE_CATEGORIES
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


def _siret_for(n: int) -> str:
    """A fictitious SIRET with a right Luhn key, and its French intra-EU VAT number."""
    body = f"9{n:07d}1000"  # 12 digits: SIREN without its key would be wrong, so key the whole SIRET
    for key in range(100):
        candidate = f"{body}{key:02d}"
        total = 0
        for position, char in enumerate(reversed(candidate)):
            digit = int(char) * (2 if position % 2 else 1)
            total += digit - 9 if digit > 9 else digit
        if total % 10 == 0:
            return candidate
    raise AssertionError("no Luhn key")  # pragma: no cover


def _vat_for(siret: str) -> str:
    siren = int(siret[:9])
    return f"FR{(12 + 3 * (siren % 97)) % 97:02d}{siret[:9]}"


def seed_invoices() -> int:
    """Legal identities for the association and every demo shop, a few sales collected last month, and
    last month's commission invoices issued, so the admin can open them. Flushes; returns how many."""
    if db.session.scalar(select(CommissionInvoice.id).limit(1)) is not None:
        return 0
    venue = db.session.scalar(select(Venue))
    resident = get_user_by_email("resident@example.org")
    if venue is None or resident is None:
        return 0
    invoices.save_identity(None, **demo_data.ASSOCIATION_IDENTITY)
    shops = {shop.slug: shop for shop in db.session.scalars(select(Shop).order_by(Shop.id))}
    for n, shop in enumerate(shops.values(), start=1):
        siret = _siret_for(n)
        invoices.save_identity(shop.id, name=f"{shop.name} SARL", address=shop.address or venue.address,
                               siret=siret, vat_number=_vat_for(siret))
    month = invoices.previous_month()
    for n, (slug, cents) in enumerate(demo_data.LAST_MONTH_SALES, start=1):
        seller = shops.get(slug)
        if seller is None:
            continue
        day = month + timedelta(days=7 * n)
        at = local_to_utc(datetime.combine(day, time(17)))
        slot = PickupSlot(venue_id=venue.id, starts_at=at, ends_at=at + timedelta(minutes=venue.slot_minutes),
                          capacity=venue.slot_capacity, booked=0)
        db.session.add(slot)
        db.session.flush()
        order = Order(number=f"AMC-DEMO-{n:03d}", pickup_code=f"DEMO{n:04d}", user_id=resident.id,
                      pickup_slot_id=slot.id, status=OrderStatus.COLLECTED, payment_method=PaymentMethod.AT_PICKUP,
                      payment_status=OrderPaymentStatus.PAID, paid_via="card_terminal", paid_cents=cents, paid_at=at,
                      total_cents=cents, currency="EUR", collected_at=at)
        part = OrderPart(shop_id=seller.id, subtotal_cents=cents, currency="EUR", status=PartStatus.AT_VENUE,
                         commission_rate_bps=commission.rate_for_shop(seller))
        # One line, so the resident's receipt of this sale has something to list.
        product = db.session.scalar(select(Product).where(Product.shop_id == seller.id).order_by(Product.id).limit(1))
        if product is not None:
            part.lines.append(OrderLine(product_id=product.id, sku=product.sku, name=product.name, unit=product.unit,
                                        unit_price_cents=cents, vat_rate_bp=product.vat_rate_bp, quantity=1,
                                        line_total_cents=cents))
        order.parts.append(part)
        db.session.add(order)
        db.session.flush()
        db.session.add(Payment(order_id=order.id, order_ref=order.number, method=PaymentMethod.AT_PICKUP,
                                status=CardPaymentStatus.SUCCEEDED, amount_cents=cents, amount_captured_cents=cents,
                                succeeded_at=at))
        db.session.flush()
        commission.settle_paid_part(order.parts[0].id)
        db.session.execute(update(LedgerEntry).where(LedgerEntry.order_id == order.id).values(created_at=at))
    return len(invoices.issue_month(month).issued)


def seed_standing_order() -> int:
    """The demo resident's weekly basket, so their "Mon panier de la semaine" page and the shops' "Paniers
    de la semaine" show something: bread, croissants, Comté and apples every Saturday at 10:00, paid at
    pickup, from the first such slot that can still be booked (run after the slots are generated).
    Idempotent: a resident who has one keeps it. Flushes; returns how many were created (0 or 1)."""
    resident = get_user_by_email("resident@example.org")
    if resident is None or db.session.scalar(select(StandingOrder.id).where(StandingOrder.user_id == resident.id)
                                             .limit(1)) is not None:
        return 0
    wanted = dict(demo_data.STANDING_ORDER_LINES)
    products = db.session.execute(select(Product.sku, Product.id, Product.shop_id)
                                  .where(Product.sku.in_(list(wanted)))).all()
    if not products:
        return 0
    shop_ids = {shop_id for _sku, _id, shop_id in products}
    now = utcnow()
    usual = time.fromisoformat(demo_data.STANDING_ORDER_TIME)
    views = slots.list_slots(now, now + timedelta(days=slots.PICKER_DAYS),
                             lead_minutes=slots.lead_minutes_for_shops(shop_ids), now=now,
                             closed_weekdays=slots.closed_weekdays_for_shops(shop_ids))
    first = next((view.slot for view in views if view.is_bookable
                  and venue_time(view.slot.starts_at).isoweekday() == demo_data.STANDING_ORDER_WEEKDAY
                  and venue_time(view.slot.starts_at).time() == usual), None)
    if first is None:
        return 0
    standing.create(resident.id, [standing.LineRequest(pid, wanted[sku]) for sku, pid, _shop in products],
                    every_weeks=1, first_pickup_slot_id=first.id, payment_method=PaymentMethod.AT_PICKUP, now=now)
    return 1
