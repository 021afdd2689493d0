"""Pickup slots: generated from the venue's weekly hours, listed with why they are (not) bookable,
and their capacity taken or given back by conditional SQL updates.

Slots are local wall-clock times (the venue's zone) stored in UTC: a 17:30 slot stays at 17:30 local
on both sides of a daylight-saving change, its UTC value moves by an hour.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from shopapp.catalog.models import Shop
from shopapp.core import outbox
from shopapp.core.clock import as_utc, utcnow, venue_today
from shopapp.errors import NotFoundError, SlotFull, ValidationFailed
from shopapp.extensions import db
from shopapp.orders import events
from shopapp.orders.models import Order, PickupSlot
from shopapp.orders.states import OrderStatus
from shopapp.venue.holidays import is_public_holiday
from shopapp.venue.models import Venue
from shopapp.venue.queries import current_venue, current_venue_and

# How far ahead the beat task, and the venue's calendar changes, keep slots generated.
SLOT_WEEKS_AHEAD = 6
# How many days of slots a picker (checkout, changing an order's slot) offers.
PICKER_DAYS = 14


class SlotRefusal(enum.StrEnum):
    FULL = "full"
    TOO_SOON = "too_soon"

ALL_WEEKDAYS = frozenset(range(1, 8))


@dataclass(frozen=True)
class SlotView:
    slot: PickupSlot
    remaining: int
    refusal: SlotRefusal | None

    @property
    def is_bookable(self) -> bool:
        return self.refusal is None



def local_starts(venue: Venue, first_day: date, days: int) -> list[tuple[datetime, datetime]]:
    """(starts_at, ends_at) in UTC of every slot the opening hours give over `days` days from `first_day`,
    skipping closed days and (if the venue says so) public holidays. Pure: reads no clock."""
    zone = ZoneInfo(venue.timezone)
    closed = {row.day for row in venue.closed_days}
    step = timedelta(minutes=venue.slot_minutes)
    windows: list[tuple[datetime, datetime]] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        if day in closed or (venue.closed_on_public_holidays and is_public_holiday(day)):
            continue
        for hours in venue.opening_hours:
            if hours.weekday != day.isoweekday():
                continue
            start = datetime.combine(day, hours.opens)
            end_of_day = datetime.combine(day, hours.closes)
            while start + step <= end_of_day:
                windows.append((_to_utc(start, zone), _to_utc(start + step, zone)))
                start += step
    # A wall-clock time that does not exist (spring-forward gap) maps onto its neighbour: keep one.
    return sorted({w for w in windows if w[0] < w[1]})


def _to_utc(naive_local: datetime, zone: ZoneInfo) -> datetime:
    return naive_local.replace(tzinfo=zone).astimezone(UTC)


def generate_slots(weeks: int, *, today: date | None = None) -> int:
    """Create the missing slots for the next `weeks` weeks from the venue's hours. Idempotent: an
    existing slot (same venue and start) is left as it is, bookings included. Flushes; returns how many
    were created.

    :raise ValidationFailed: weeks outside 1..52.
    """
    if not 1 <= weeks <= 52:
        raise ValidationFailed("Le nombre de semaines doit être entre 1 et 52.", fields={"weeks": "1 à 52"})
    venue = current_venue()
    if venue is None:
        return 0
    zone = ZoneInfo(venue.timezone)
    first = today or venue_today(zone=zone)
    windows = local_starts(venue, first, weeks * 7)
    if not windows:
        return 0
    rows = [
        {"venue_id": venue.id, "starts_at": s, "ends_at": e, "capacity": venue.slot_capacity, "booked": 0}
        for s, e in windows
    ]
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # ON CONFLICT DO NOTHING: the CLI and the beat task may run at the same time without clashing.
    before = db.session.scalar(select(func.count(PickupSlot.id)).where(PickupSlot.venue_id == venue.id)) or 0
    db.session.execute(insert(PickupSlot).values(rows).on_conflict_do_nothing(index_elements=["venue_id", "starts_at"]))
    after = db.session.scalar(select(func.count(PickupSlot.id)).where(PickupSlot.venue_id == venue.id)) or 0
    db.session.flush()
    return int(after - before)


@dataclass(frozen=True)
class CalendarChange:
    """What `follow_calendar` did: slots created, deleted (nobody had booked them), withdrawn (kept for
    the orders that point at them), offered again; and the open orders whose slot is now withdrawn."""

    created: int = 0
    removed: int = 0
    withdrawn: int = 0
    reopened: int = 0
    orders_to_tell: tuple[str, ...] = ()


def follow_calendar(weeks: int = SLOT_WEEKS_AHEAD, *, now: datetime | None = None) -> CalendarChange:
    """Bring the future slots of the next `weeks` weeks in line with the venue's hours, closed days and
    holidays, after one of them changed. Flushes.

    A slot the calendar no longer has is deleted when no order points at it, else withdrawn (its orders
    keep it, nobody else can book it); a withdrawn slot the calendar has again is offered again; the
    missing slots are created. Slots that have started are never touched.
    """
    venue = current_venue()
    if venue is None:
        return CalendarChange()
    zone = ZoneInfo(venue.timezone)
    moment = as_utc(now or utcnow())
    first = venue_today(moment, zone=zone)
    windows = set(local_starts(venue, first, weeks * 7))
    horizon = datetime.combine(first + timedelta(days=weeks * 7), time(0), tzinfo=zone).astimezone(UTC)
    future = db.session.scalars(
        select(PickupSlot).where(
            PickupSlot.venue_id == venue.id, PickupSlot.starts_at >= moment, PickupSlot.starts_at < horizon
        )
    ).all()
    stale = {s.id for s in future if (as_utc(s.starts_at), as_utc(s.ends_at)) not in windows}
    back = [s.id for s in future if s.withdrawn and s.id not in stale]
    booked = set(db.session.scalars(select(Order.pickup_slot_id).where(Order.pickup_slot_id.in_(stale)).distinct()))
    unused = stale - booked
    to_withdraw = [s.id for s in future if s.id in booked and not s.withdrawn]
    if unused:
        db.session.execute(delete(PickupSlot).where(PickupSlot.id.in_(unused)).execution_options(
            synchronize_session=False))
    if to_withdraw:
        db.session.execute(update(PickupSlot).where(PickupSlot.id.in_(to_withdraw)).values(withdrawn=True)
                           .execution_options(synchronize_session=False))
    if back:
        db.session.execute(update(PickupSlot).where(PickupSlot.id.in_(back)).values(withdrawn=False)
                           .execution_options(synchronize_session=False))
    db.session.expire_all()
    created = generate_slots(weeks, today=first)
    open_statuses = (OrderStatus.PENDING_PAYMENT, OrderStatus.CONFIRMED, OrderStatus.READY_FOR_PICKUP)
    to_tell = db.session.execute(
        select(Order.id, Order.number, Order.status, Order.pickup_slot_id)
        .where(Order.pickup_slot_id.in_(booked), Order.status.in_([s.value for s in open_statuses]))
        .order_by(Order.number)
    ).all()
    newly_withdrawn = set(to_withdraw)
    for order_id, _number, status, slot_id in to_tell:
        # Residents whose order waits for that slot are asked to choose another one (once per slot).
        if slot_id in newly_withdrawn and status != OrderStatus.PENDING_PAYMENT:
            outbox.enqueue(events.SLOT_WITHDRAWN_TASK, order_id=order_id, slot_id=slot_id)
    return CalendarChange(created=created, removed=len(unused), withdrawn=len(to_withdraw), reopened=len(back),
                          orders_to_tell=tuple(row.number for row in to_tell))


def lead_minutes_for_shops(shop_ids: Iterable[int]) -> int:
    """The longest preparation lead time among these shops (0 for none)."""
    ids = sorted(set(shop_ids))
    if not ids:
        return 0
    return int(db.session.scalar(select(func.max(Shop.preparation_minutes)).where(Shop.id.in_(ids))) or 0)


def closed_weekdays_of(shops: Iterable[Shop]) -> frozenset[int]:
    """`closed_weekdays_for_shops` of shops already loaded (no query)."""
    closed: set[int] = set()
    for shop in shops:
        if shop.opening_days:
            closed |= ALL_WEEKDAYS - {int(day) for day in shop.opening_days}
    return frozenset(closed)


def closed_weekdays_for_shops(shop_ids: Iterable[int]) -> frozenset[int]:
    """The ISO weekdays (1 = Monday) on which at least one of these shops does not prepare orders. A shop
    with no opening days recorded is taken as preparing every day."""
    ids = sorted(set(shop_ids))
    if not ids:
        return frozenset()
    closed: set[int] = set()
    for days in db.session.scalars(select(Shop.opening_days).where(Shop.id.in_(ids))):
        if days:
            closed |= ALL_WEEKDAYS - {int(day) for day in days}
    return frozenset(closed)


def _local_weekday(slot: PickupSlot, venue: Venue) -> int:
    return as_utc(slot.starts_at).astimezone(ZoneInfo(venue.timezone)).isoweekday()


def earliest_start(venue: Venue, lead_minutes: int, now: datetime) -> datetime:
    """A slot must start after the longest preparation time and after the booking cut-off."""
    return as_utc(now) + timedelta(minutes=max(lead_minutes, venue.booking_cutoff_minutes))


def refusal_for(slot: PickupSlot, venue: Venue, lead_minutes: int, now: datetime) -> SlotRefusal | None:
    if as_utc(slot.starts_at) < earliest_start(venue, lead_minutes, now):
        return SlotRefusal.TOO_SOON
    if slot.booked >= slot.capacity:
        return SlotRefusal.FULL
    return None


def list_slots(start: datetime, end: datetime, *, lead_minutes: int, now: datetime | None = None,
               closed_weekdays: frozenset[int] = frozenset()) -> list[SlotView]:
    """Slots starting in [start, end), each with its room left and the reason it cannot be booked. Slots
    on `closed_weekdays` (a shop of the basket does not prepare orders that day) are not offered at all."""
    venue = current_venue()
    if venue is None:
        return []
    moment = now or utcnow()
    slots = db.session.scalars(
        select(PickupSlot)
        .where(
            PickupSlot.venue_id == venue.id,
            PickupSlot.starts_at >= start,
            PickupSlot.starts_at < end,
            PickupSlot.withdrawn.is_(False),
        )
        .order_by(PickupSlot.starts_at)
    ).all()
    return [SlotView(slot, slot.remaining, refusal_for(slot, venue, lead_minutes, moment)) for slot in slots
            if _local_weekday(slot, venue) not in closed_weekdays]


@dataclass(frozen=True)
class SlotDay:
    """The slots of one local day, for a picker that shows a day at a time."""

    day: date
    views: list[SlotView]

    @property
    def free(self) -> int:
        return sum(1 for view in self.views if view.is_bookable)


def by_local_day(views: list[SlotView]) -> list[SlotDay]:
    """Group listed slots (in start order) by the venue's local calendar day."""
    venue = current_venue()
    if venue is None or not views:
        return []
    zone = ZoneInfo(venue.timezone)
    days: dict[date, list[SlotView]] = {}
    for view in views:
        days.setdefault(as_utc(view.slot.starts_at).astimezone(zone).date(), []).append(view)
    return [SlotDay(day, day_views) for day, day_views in days.items()]


def slots_of_local_day(day: date) -> list[PickupSlot]:
    """The venue's slots that start on this local calendar day."""
    venue = current_venue()
    if venue is None:
        return []
    zone = ZoneInfo(venue.timezone)
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return list(db.session.scalars(
        select(PickupSlot).where(PickupSlot.venue_id == venue.id, PickupSlot.starts_at >= start,
                                 PickupSlot.starts_at < end).order_by(PickupSlot.starts_at)
    ))


def check_bookable(slot_id: int, *, lead_minutes: int, now: datetime,
                   closed_weekdays: frozenset[int] = frozenset()) -> PickupSlot:
    """The slot, if it can be booked for a basket with this lead time and whose shops prepare orders on
    that weekday (room is re-checked by `take_place`).

    :raise NotFoundError: no such slot.
    :raise SlotFull: (409 `shop_closed`) a shop of the basket does not prepare orders on that day.
    :raise SlotFull: (409 `slot_too_soon`) it starts too soon for the preparation time or the cut-off.
    """
    venue, slot = current_venue_and(PickupSlot, slot_id)  # one statement when the venue is not read yet
    if slot is None or venue is None or slot.venue_id != venue.id:
        raise NotFoundError("Ce créneau de retrait n'existe pas.", fields={"pickup_slot_id": "inconnu"})
    if slot.withdrawn:
        raise SlotFull(
            "Ce créneau n'est plus proposé : le lieu a changé ses horaires. Choisissez un autre créneau.",
            code="slot_withdrawn", fields={"pickup_slot_id": "retiré"},
        )
    if _local_weekday(slot, venue) in closed_weekdays:
        raise SlotFull(
            "Une boutique de votre panier ne prépare pas de commandes ce jour-là. Choisissez un créneau un "
            "autre jour.",
            code="shop_closed", fields={"pickup_slot_id": "boutique fermée ce jour-là"},
        )
    if refusal_for(slot, venue, lead_minutes, now) is SlotRefusal.TOO_SOON:
        raise SlotFull(
            "Ce créneau est trop proche : les commerçants n'auront pas le temps de préparer votre commande. "
            "Choisissez un créneau plus tardif.",
            code="slot_too_soon", fields={"pickup_slot_id": "trop proche"},
        )
    return slot


_TAKE_PLACE = (  # built once: every checkout runs it
    update(PickupSlot)
    .where(PickupSlot.id == bindparam("slot_id"), PickupSlot.booked < PickupSlot.capacity,
           PickupSlot.withdrawn.is_(False))
    .values(booked=PickupSlot.booked + 1)
    .returning(PickupSlot.booked)
    .execution_options(synchronize_session=False)
)


def take_place(slot_id: int) -> None:
    """Book one order into the slot: `booked + 1` only while below capacity. Flushes.

    :raise SlotFull: the slot has no room left (perhaps filled while the resident was choosing).
    """
    booked = db.session.scalar(_TAKE_PLACE, {"slot_id": slot_id})
    if booked is None:
        raise SlotFull(
            "Ce créneau vient d'être complet : choisissez un autre créneau de retrait.",
            fields={"pickup_slot_id": "complet"},
        )
    # Keep a slot this session holds in step, without reading it again.
    held = db.session.identity_map.get(identity_key(PickupSlot, slot_id))
    if held is not None:
        set_committed_value(held, "booked", booked)


def give_back_place(slot_id: int) -> None:
    """Free one place in the slot (cancellation). Flushes."""
    db.session.execute(
        update(PickupSlot)
        .where(PickupSlot.id == slot_id, PickupSlot.booked > 0)
        .values(booked=PickupSlot.booked - 1)
        .execution_options(synchronize_session=False)
    )

