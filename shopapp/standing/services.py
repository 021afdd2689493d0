"""Standing orders: made from a basket or a past order, then skipped, paused, resumed, ended.

The resident picks weekly or fortnightly and a first pickup slot; the slot gives the weekday and the
local time of every later pickup. Each service flushes and never commits (the request commits).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from shopapp.accounts.models import User
from shopapp.catalog.models import Product, Shop, ShopStatus
from shopapp.core.clock import as_utc, utcnow
from shopapp.errors import DomainError, InvalidTransition, NotFoundError, ValidationFailed
from shopapp.extensions import db
from shopapp.orders import basket as baskets
from shopapp.orders import queries as order_queries
from shopapp.orders import slots
from shopapp.orders.models import Order, PickupSlot
from shopapp.orders.states import PaymentMethod
from shopapp.payments import saved_cards
from shopapp.standing import schedule
from shopapp.standing.models import (
    OccurrenceOutcome,
    StandingOccurrence,
    StandingOrder,
    StandingOrderLine,
    StandingStatus,
)
from shopapp.venue.queries import current_venue

MAX_LINES = 40

# Why a date handled by the beat made no order (the occurrence's outcome), as the resident is told it.
NO_ORDER_REASONS = {
    OccurrenceOutcome.NOTHING_AVAILABLE: _l("aucun produit n'était disponible"),
    OccurrenceOutcome.NO_SLOT: _l("aucun créneau n'était libre ce jour-là"),
    OccurrenceOutcome.PAYMENT_FAILED: _l("le paiement n'a pas pu être fait"),
}


class CardUnavailable(DomainError):
    status = 422
    code = "payment_unavailable"


@dataclass(frozen=True)
class LineRequest:
    product_id: int
    quantity: int


@dataclass(frozen=True)
class NextPickup:
    day: date
    starts_at: datetime
    pickup_slot_id: int | None
    order_id: int | None


@dataclass(frozen=True)
class Created:
    standing_order: StandingOrder
    # Card: the SetupIntent's client secret, for Stripe.js to save the card in the browser.
    card_setup_client_secret: str | None = None


def card_enabled() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def _check_lines(lines: list[LineRequest]) -> list[LineRequest]:
    merged: dict[int, int] = defaultdict(int)
    for line in lines:
        if not 1 <= line.quantity <= baskets.MAX_QUANTITY:
            raise ValidationFailed("La quantité doit être entre 1 et 99.", fields={"quantity": "entre 1 et 99"})
        merged[line.product_id] += line.quantity
    if not merged:
        raise ValidationFailed("Votre panier de la semaine est vide.", fields={"lines": "au moins un produit"})
    if len(merged) > MAX_LINES:
        raise ValidationFailed("Trop de produits.", fields={"lines": f"{MAX_LINES} au plus"})
    sellable = set(db.session.scalars(
        select(Product.id).join(Shop, Shop.id == Product.shop_id)
        .where(Product.id.in_(list(merged)), Product.is_active.is_(True), Shop.status == ShopStatus.APPROVED)
    ))
    missing = sorted(set(merged) - sellable)
    if missing:
        raise NotFoundError("Ce produit n'est pas disponible.", fields={"product_id": str(missing[0])})
    return [LineRequest(pid, min(qty, baskets.MAX_QUANTITY)) for pid, qty in merged.items()]


def create(user_id: int, lines: list[LineRequest], *, every_weeks: int, first_pickup_slot_id: int,
           payment_method: str, now: datetime | None = None) -> Created:
    """Make a standing order for the user. Flushes, never commits.

    The first slot must be bookable for these products (lead time, cut-off, the shops' days); its local
    weekday and time become the standing order's. A card standing order also creates a Stripe customer
    and a SetupIntent whose client secret the browser (or app) confirms to save the card.
    :raise ValidationFailed: every_weeks other than 1 or 2, bad quantities, no line (422).
    :raise NotFoundError: a product that cannot be sold, an unknown slot (404).
    :raise SlotFull: the first slot is too soon or on a day a shop does not prepare orders (409).
    :raise CardUnavailable: card asked while card payments are off (422).
    :raise RetryablePaymentError, TerminalPaymentError: Stripe could not save the card (nothing is kept).
    """
    moment = now or utcnow()
    if every_weeks not in (1, 2):
        raise ValidationFailed("Choisissez chaque semaine ou toutes les deux semaines.",
                               fields={"every_weeks": "1 ou 2"})
    if payment_method not in tuple(PaymentMethod):
        raise ValidationFailed("Mode de paiement inconnu.", fields={"payment_method": "at_pickup ou card"})
    if payment_method == PaymentMethod.CARD and not card_enabled():
        raise CardUnavailable("Le paiement en ligne n'est pas disponible : choisissez le paiement au retrait.",
                              fields={"payment_method": "indisponible"})
    checked = _check_lines(lines)
    shop_ids = set(db.session.scalars(select(Product.shop_id).where(Product.id.in_([x.product_id for x in checked]))))
    slot = slots.check_bookable(first_pickup_slot_id, lead_minutes=slots.lead_minutes_for_shops(shop_ids),
                                now=moment, closed_weekdays=slots.closed_weekdays_for_shops(shop_ids))
    local = as_utc(slot.starts_at).astimezone(schedule.zone())
    standing = StandingOrder(user_id=user_id, status=StandingStatus.ACTIVE, every_weeks=every_weeks,
                             weekday=local.isoweekday(), pickup_time=local.time().replace(tzinfo=None),
                             anchor_date=local.date(), payment_method=payment_method, created_at=moment)
    standing.lines = [StandingOrderLine(product_id=x.product_id, quantity=x.quantity) for x in checked]
    db.session.add(standing)
    db.session.flush()
    secret = None
    if payment_method == PaymentMethod.CARD:
        user = db.session.get_one(User, user_id)
        setup = saved_cards.start_card_setup(email=user.email, name=user.name, reference=f"standing:{standing.id}")
        standing.stripe_customer_id = setup.customer_id
        standing.stripe_setup_intent_id = setup.setup_intent_id
        secret = setup.client_secret
        db.session.flush()
    return Created(standing, secret)


def create_from_order(user_id: int, order_id: int, **options: object) -> Created:
    """A standing order with the products of the user's own past order (quantities of a product bought
    twice added up; products no longer sold left out). :raise NotFoundError: someone else's order, or
    nothing of it is still sold. Otherwise as `create`."""
    order = order_queries.order_for_user(order_id, user_id)
    wanted: dict[int, int] = defaultdict(int)
    for part in order.parts:
        for line in part.active_lines:
            if line.product_id is not None:
                wanted[line.product_id] += line.quantity
    sellable = set(db.session.scalars(
        select(Product.id).join(Shop, Shop.id == Product.shop_id)
        .where(Product.id.in_(list(wanted)), Product.is_active.is_(True), Shop.status == ShopStatus.APPROVED)
    )) if wanted else set()
    lines = [LineRequest(pid, min(qty, baskets.MAX_QUANTITY)) for pid, qty in wanted.items() if pid in sellable]
    if not lines:
        raise NotFoundError("Aucun produit de cette commande n'est encore vendu.", fields={"order_id": "indisponible"})
    return create(user_id, lines, **options)  # type: ignore[arg-type]


def lines_of_basket(user_id: int) -> list[LineRequest]:
    """The user's basket as standing-order lines (what it shows: products still sold)."""
    view = baskets.view_basket(baskets.BasketOwner(user_id, None))
    return [LineRequest(line.product.id, line.quantity) for line in view.lines]


def lines_of_basket_view(user_id: int) -> list[baskets.LineView]:
    """The user's basket lines (products still sold), for the page that proposes a standing order."""
    return baskets.view_basket(baskets.BasketOwner(user_id, None)).lines


def lines_of_order(user_id: int, order_id: int) -> list[tuple[Product, int]]:
    """What a standing order made from this past order would hold (for the page that proposes it)."""
    order = order_queries.order_for_user(order_id, user_id)
    wanted: dict[int, int] = defaultdict(int)
    for part in order.parts:
        for line in part.active_lines:
            if line.product_id is not None:
                wanted[line.product_id] += line.quantity
    products = db.session.scalars(
        select(Product).join(Shop, Shop.id == Product.shop_id)
        .where(Product.id.in_(list(wanted)), Product.is_active.is_(True), Shop.status == ShopStatus.APPROVED)
        .order_by(Product.name)
    ).all() if wanted else []
    return [(product, min(wanted[product.id], baskets.MAX_QUANTITY)) for product in products]


# -- reading -----------------------------------------------------------------------------------------

def for_user(user_id: int) -> list[StandingOrder]:
    """The user's standing orders, the ended ones last."""
    rows = db.session.scalars(select(StandingOrder).where(StandingOrder.user_id == user_id)
                              .order_by(StandingOrder.id)).all()
    return sorted(rows, key=lambda s: (s.status == StandingStatus.ENDED, s.id))


def get_for_user(standing_id: int, user_id: int, *, lock: bool = False) -> StandingOrder:
    """The user's own standing order. :raise NotFoundError: missing, or someone else's (404 either way)."""
    stmt = select(StandingOrder).where(StandingOrder.id == standing_id, StandingOrder.user_id == user_id)
    standing = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if standing is None:
        raise NotFoundError("Ce panier de la semaine n'existe pas.")
    return standing


def _occurrences(standing_id: int) -> dict[date, StandingOccurrence]:
    return {o.pickup_date: o for o in db.session.scalars(
        select(StandingOccurrence).where(StandingOccurrence.standing_order_id == standing_id))}


def handled_dates(standing: StandingOrder) -> dict[date, StandingOccurrence]:
    """The dates already handled (ordered, skipped, or given up by the beat), with what became of each."""
    return _occurrences(standing.id)


def no_order_reason(occurrence: StandingOccurrence) -> str:
    """Why the beat made no order that date, in the resident's language ("" for an order or a skip)."""
    reason = NO_ORDER_REASONS.get(OccurrenceOutcome(occurrence.outcome))
    return str(reason) if reason is not None and occurrence.order_id is None else ""


def slot_at(starts: datetime) -> PickupSlot | None:
    venue = current_venue()
    if venue is None:
        return None
    return db.session.scalar(select(PickupSlot).where(PickupSlot.venue_id == venue.id,
                                                      PickupSlot.starts_at == starts,
                                                      PickupSlot.withdrawn.is_(False)))


def next_pickup(standing: StandingOrder, *, now: datetime | None = None) -> NextPickup | None:
    """The next date the resident can expect a pickup: the first future date of the series neither
    skipped nor given up (an occurrence already placed shows its order's slot). None once paused or ended."""
    if standing.status != StandingStatus.ACTIVE:
        return None
    moment = as_utc(now or utcnow())
    tz = schedule.zone()
    done = _occurrences(standing.id)
    today = moment.astimezone(tz).date()
    for day in schedule.dates_between(standing.anchor_date, standing.every_weeks, today - timedelta(days=1),
                                      today + timedelta(days=7 * 2 * 30)):
        occurrence = done.get(day)
        if occurrence is not None and occurrence.order_id is not None:
            order = db.session.get(Order, occurrence.order_id)
            if order is not None and as_utc(order.pickup_slot.ends_at) > moment:
                return NextPickup(day, as_utc(order.pickup_slot.starts_at), order.pickup_slot_id, order.id)
            continue
        starts = schedule.starts_at(day, standing.pickup_time, tz)
        if occurrence is not None or starts <= moment:
            continue
        slot = slot_at(starts)
        return NextPickup(day, starts, slot.id if slot is not None else None, None)
    return None


def skipped_dates(standing: StandingOrder, *, now: datetime | None = None) -> list[date]:
    """The coming dates the resident skipped."""
    today = as_utc(now or utcnow()).astimezone(schedule.zone()).date()
    return sorted(o.pickup_date for o in standing.occurrences
                  if o.outcome == OccurrenceOutcome.SKIPPED_BY_RESIDENT and o.pickup_date >= today)


def coming_dates(standing: StandingOrder, count: int = 6, *, now: datetime | None = None) -> list[date]:
    """The next `count` dates of the series (skipped ones included), for the page's skip buttons."""
    moment = as_utc(now or utcnow())
    tz = schedule.zone()
    today = moment.astimezone(tz).date()
    days = schedule.dates_between(standing.anchor_date, standing.every_weeks, today,
                                  today + timedelta(days=7 * standing.every_weeks * (count + 1)))
    return [d for d in days if schedule.starts_at(d, standing.pickup_time, tz) > moment][:count]


# -- changing ----------------------------------------------------------------------------------------

def insert_occurrence(values: dict[str, object]) -> int | None:
    """INSERT … ON CONFLICT (standing_order_id, pickup_date) DO NOTHING; the new id, or None."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (insert(StandingOccurrence).values(**values)
            .on_conflict_do_nothing(index_elements=["standing_order_id", "pickup_date"])
            .returning(StandingOccurrence.id))
    return db.session.execute(stmt).scalar()


def skip(standing_id: int, user_id: int, day: date, *, now: datetime | None = None) -> StandingOrder:
    """Skip one coming date: no order will be made for it. Skipping a date twice changes nothing.

    :raise NotFoundError: not the user's. :raise ValidationFailed: not a date of the series, or past (422).
    :raise InvalidTransition: the standing order is ended, that date's order is already placed (cancel the
    order instead, `already_placed`), or the date was already handled without an order, which says why
    (`no_order_that_date`) (409). Flushes.
    """
    moment = as_utc(now or utcnow())
    standing = get_for_user(standing_id, user_id, lock=True)
    if standing.status == StandingStatus.ENDED:
        raise InvalidTransition("Ce panier de la semaine est arrêté.")
    if not schedule.is_in_series(standing.anchor_date, standing.every_weeks, day):
        raise ValidationFailed("Cette date n'est pas une date de retrait de ce panier.", fields={"date": "hors série"})
    if schedule.starts_at(day, standing.pickup_time, schedule.zone()) <= moment:
        raise ValidationFailed("Cette date est passée.", fields={"date": "passée"})
    inserted = insert_occurrence({"standing_order_id": standing.id, "pickup_date": day,
                                   "outcome": str(OccurrenceOutcome.SKIPPED_BY_RESIDENT), "detail": {},
                                   "created_at": moment})
    if inserted is None:
        existing = _occurrences(standing.id)[day]
        if existing.outcome != OccurrenceOutcome.SKIPPED_BY_RESIDENT and existing.order_id is None:
            why = no_order_reason(existing)
            message = (_l("Il n'y a déjà pas de commande pour cette date (%(why)s) : rien à sauter.", why=why) if why
                       else _l("Il n'y a déjà pas de commande pour cette date : rien à sauter."))
            raise InvalidTransition(str(message), code="no_order_that_date", fields={"date": "sans commande"})
        if existing.outcome != OccurrenceOutcome.SKIPPED_BY_RESIDENT:
            raise InvalidTransition("La commande de cette date est déjà passée : annulez-la depuis vos commandes.",
                                    code="already_placed", fields={"date": "déjà commandée"})
    db.session.flush()
    db.session.expire(standing, ["occurrences"])
    return standing


def _move(standing_id: int, user_id: int, allowed: tuple[StandingStatus, ...], to: StandingStatus,
          message: str) -> StandingOrder:
    standing = get_for_user(standing_id, user_id, lock=True)
    if standing.status == to:
        return standing
    if standing.status not in allowed:
        raise InvalidTransition(message)
    standing.status = to
    if to == StandingStatus.ENDED:
        standing.ended_at = utcnow()
    db.session.flush()
    return standing


def pause(standing_id: int, user_id: int) -> StandingOrder:
    """Pause: no order is made until resumed (an order already placed stays). Idempotent.
    :raise NotFoundError, InvalidTransition: (ended). Flushes."""
    return _move(standing_id, user_id, (StandingStatus.ACTIVE,), StandingStatus.PAUSED,
                 "Ce panier de la semaine est arrêté.")


def resume(standing_id: int, user_id: int) -> StandingOrder:
    """Resume from the next coming date (dates passed while paused are not made up). Idempotent.
    :raise NotFoundError, InvalidTransition: (ended). Flushes."""
    return _move(standing_id, user_id, (StandingStatus.PAUSED,), StandingStatus.ACTIVE,
                 "Ce panier de la semaine est arrêté.")


def end(standing_id: int, user_id: int) -> StandingOrder:
    """End for good (orders already placed stay; cancel them from their page). Idempotent.
    :raise NotFoundError. Flushes."""
    return _move(standing_id, user_id, (StandingStatus.ACTIVE, StandingStatus.PAUSED), StandingStatus.ENDED, "")


def refresh_saved_card(standing: StandingOrder) -> bool:
    """Record the card the SetupIntent saved, once the resident confirmed it. Returns whether a card is
    saved. :raise RetryablePaymentError, TerminalPaymentError: Stripe could not be read. Flushes."""
    if standing.stripe_payment_method_id:
        return True
    if standing.payment_method != PaymentMethod.CARD or not standing.stripe_setup_intent_id:
        return False
    method = saved_cards.saved_payment_method(standing.stripe_setup_intent_id)
    if method is None:
        return False
    standing.stripe_payment_method_id = method
    db.session.flush()
    return True


def card_setup_secret(standing: StandingOrder) -> str | None:
    """The client secret of the SetupIntent still waiting for the resident's card, for Stripe.js; None once
    the card is saved (or for a standing order paid at pickup).
    :raise RetryablePaymentError, TerminalPaymentError: Stripe could not be read."""
    if standing.stripe_payment_method_id or not standing.stripe_setup_intent_id:
        return None
    return saved_cards.setup_client_secret(standing.stripe_setup_intent_id)


# -- the shops' view ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class WeekQuantity:
    product: Product
    quantities: list[int]  # one per coming week

    @property
    def total(self) -> int:
        return sum(self.quantities)


@dataclass(frozen=True)
class ShopForecast:
    weeks: list[date]  # the Monday of each coming week
    rows: list[WeekQuantity]


def shop_forecast(shop_id: int, *, weeks: int = 4, now: datetime | None = None) -> ShopForecast:
    """The quantities of the shop's products that active standing orders will ask for, week by week
    (Monday to Sunday, the venue's weeks), from this week on, skipped dates left out: what to bake or
    order for them. Orders already placed count in their week too (they are on the preparation page);
    dates on a weekday the shop does not prepare orders are left out (its lines are left out of those orders)."""
    moment = as_utc(now or utcnow())
    tz = schedule.zone()
    today = moment.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    week_starts = [monday + timedelta(days=7 * i) for i in range(weeks)]
    last = week_starts[-1] + timedelta(days=6)
    rows = db.session.execute(
        select(StandingOrder, StandingOrderLine, Product)
        .join(StandingOrderLine, StandingOrderLine.standing_order_id == StandingOrder.id)
        .join(Product, Product.id == StandingOrderLine.product_id)
        .where(Product.shop_id == shop_id, StandingOrder.status == StandingStatus.ACTIVE)
    ).all()
    closed = slots.closed_weekdays_for_shops([shop_id])
    skipped: dict[int, set[date]] = defaultdict(set)
    standing_ids = {standing.id for standing, _line, _product in rows}
    if standing_ids:
        for sid, day in db.session.execute(
            select(StandingOccurrence.standing_order_id, StandingOccurrence.pickup_date)
            .where(StandingOccurrence.standing_order_id.in_(standing_ids),
                   StandingOccurrence.order_id.is_(None))
        ):
            skipped[sid].add(day)
    by_product: dict[int, WeekQuantity] = {}
    for standing, line, product in rows:
        row = by_product.setdefault(product.id, WeekQuantity(product, [0] * weeks))
        for day in schedule.dates_between(standing.anchor_date, standing.every_weeks, today, last):
            if day in skipped[standing.id] or day.isoweekday() in closed:
                continue
            if schedule.starts_at(day, standing.pickup_time, tz) <= moment:
                continue
            row.quantities[(day - monday).days // 7] += line.quantity
    return ShopForecast(week_starts, sorted(by_product.values(), key=lambda r: r.product.name))
