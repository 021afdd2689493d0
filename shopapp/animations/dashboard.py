"""The venue's weekly dashboard: pickups per slot, registrations and attendance per animation (checked-in
seats plus the desk's walk-ins), and how many residents checked in at an animation placed an order after
it (walk-ins have no account: never buyers); with SVG bar charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import exists, func, select

from shopapp.animations import charts
from shopapp.animations.models import Animation, AnimationStatus, Registration, RegistrationStatus, WalkIn
from shopapp.core.clock import as_utc, venue_zone
from shopapp.extensions import db
from shopapp.orders.models import Order, PickupSlot
from shopapp.orders.states import OrderStatus


@dataclass(frozen=True)
class AnimationRow:
    title: str
    starts_at: datetime
    capacity: int
    registered_seats: int
    attended_seats: int
    walk_in_seats: int = 0

    @property
    def present(self) -> int:
        """People present: checked-in seats and walk-ins."""
        return self.attended_seats + self.walk_in_seats


@dataclass(frozen=True)
class WeekReport:
    monday: date
    pickups_by_slot: list[tuple[datetime, int]]
    animations: list[AnimationRow]
    attendees: int
    attendee_accounts: int
    attendees_who_bought: int
    pickups_chart: str
    animations_chart: str

    @property
    def total_pickups(self) -> int:
        return sum(n for _s, n in self.pickups_by_slot)


def week_report(monday: date) -> WeekReport:
    """Figures of the local week starting on `monday` (orders not cancelled count as pickups)."""
    zone = venue_zone()
    start = datetime.combine(monday, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone).astimezone(UTC)
    pickups = db.session.execute(
        select(PickupSlot.starts_at, func.count(Order.id))
        .join(Order, Order.pickup_slot_id == PickupSlot.id)
        .where(PickupSlot.starts_at >= start, PickupSlot.starts_at < end, Order.status != OrderStatus.CANCELLED)
        .group_by(PickupSlot.id, PickupSlot.starts_at).order_by(PickupSlot.starts_at)
    ).all()
    animations = db.session.scalars(
        select(Animation).where(Animation.starts_at >= start, Animation.starts_at < end,
                                Animation.status == AnimationStatus.PUBLISHED).order_by(Animation.starts_at)
    ).all()
    rows = []
    for animation in animations:
        registered = db.session.scalar(select(func.coalesce(func.sum(Registration.seats), 0)).where(
            Registration.animation_id == animation.id, Registration.status == RegistrationStatus.REGISTERED))
        attended = db.session.scalar(select(func.coalesce(func.sum(Registration.seats), 0)).where(
            Registration.animation_id == animation.id, Registration.status != RegistrationStatus.CANCELLED,
            Registration.checked_in_at.is_not(None)))
        walk_ins = db.session.scalar(select(func.coalesce(func.sum(WalkIn.seats), 0)).where(
            WalkIn.animation_id == animation.id))
        rows.append(AnimationRow(animation.title, animation.starts_at, animation.capacity, int(registered or 0),
                                 int(attended or 0), int(walk_ins or 0)))
    in_week = (Animation.starts_at >= start, Animation.starts_at < end, Animation.status == AnimationStatus.PUBLISHED,
               Registration.status != RegistrationStatus.CANCELLED, Registration.checked_in_at.is_not(None))
    attendee_ids = set(db.session.scalars(select(Registration.user_id).join(Animation).where(*in_week)))
    # Residents who placed an order (not cancelled) after the end of an animation they were checked in at.
    buyers = set(db.session.scalars(
        select(Registration.user_id).join(Animation).where(
            *in_week, exists().where(Order.user_id == Registration.user_id, Order.created_at >= Animation.ends_at,
                                     Order.status != OrderStatus.CANCELLED))
    ))
    local = [(as_utc(s).astimezone(zone), int(n)) for s, n in pickups]
    return WeekReport(
        monday=monday, pickups_by_slot=local, animations=rows, attendees=sum(r.present for r in rows),
        attendee_accounts=len(attendee_ids), attendees_who_bought=len(buyers),
        pickups_chart=charts.bar_chart([(f"{s:%d/%m %H:%M}", n) for s, n in local], title="Retraits par créneau"),
        animations_chart=charts.grouped_bar_chart(
            [(r.title[:24], r.registered_seats, r.present) for r in rows],
            title="Inscrits et présents par animation", legend=("Inscrits", "Présents")),
    )


# -- occupancy: pickup slots and animations against their capacity ---------------------------------------


@dataclass(frozen=True)
class SlotOccupancy:
    starts_at: datetime  # local time
    capacity: int
    orders: int

    @property
    def percent(self) -> int | None:
        """Whole percent, rounded half up; None for a slot without capacity."""
        return (self.orders * 200 + self.capacity) // (2 * self.capacity) if self.capacity else None


@dataclass(frozen=True)
class AnimationOccupancy:
    title: str
    starts_at: datetime  # local time
    capacity: int
    registered_seats: int
    walk_in_seats: int

    @property
    def seats(self) -> int:
        return self.registered_seats + self.walk_in_seats

    @property
    def percent(self) -> int | None:
        return (self.seats * 200 + self.capacity) // (2 * self.capacity) if self.capacity else None


@dataclass(frozen=True)
class OccupancyReport:
    monday: date
    slots: list[SlotOccupancy]
    animations: list[AnimationOccupancy]
    slots_chart: str
    animations_chart: str


def occupancy_report(monday: date) -> OccupancyReport:
    """Each pickup slot of the local week starting on `monday` (not withdrawn) with its orders (not
    cancelled) against its capacity, and each published animation with its registered seats and
    walk-ins against its capacity. Works for past and coming weeks alike. Reads only."""
    zone = venue_zone()
    start = datetime.combine(monday, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone).astimezone(UTC)
    counted = (select(Order.pickup_slot_id.label("slot_id"), func.count(Order.id).label("n"))
               .where(Order.status != OrderStatus.CANCELLED).group_by(Order.pickup_slot_id).subquery())
    slots = [SlotOccupancy(as_utc(starts_at).astimezone(zone), capacity, int(n or 0)) for starts_at, capacity, n in
             db.session.execute(
                 select(PickupSlot.starts_at, PickupSlot.capacity, counted.c.n)
                 .outerjoin(counted, counted.c.slot_id == PickupSlot.id)
                 .where(PickupSlot.starts_at >= start, PickupSlot.starts_at < end, PickupSlot.withdrawn.is_(False))
                 .order_by(PickupSlot.starts_at, PickupSlot.id)).all()]
    registered = (select(Registration.animation_id.label("animation_id"), func.sum(Registration.seats).label("n"))
                  .where(Registration.status == RegistrationStatus.REGISTERED)
                  .group_by(Registration.animation_id).subquery())
    walked_in = (select(WalkIn.animation_id.label("animation_id"), func.sum(WalkIn.seats).label("n"))
                 .group_by(WalkIn.animation_id).subquery())
    animations = [
        AnimationOccupancy(title, as_utc(starts_at).astimezone(zone), capacity, int(reg or 0), int(walk or 0))
        for title, starts_at, capacity, reg, walk in db.session.execute(
            select(Animation.title, Animation.starts_at, Animation.capacity, registered.c.n, walked_in.c.n)
            .outerjoin(registered, registered.c.animation_id == Animation.id)
            .outerjoin(walked_in, walked_in.c.animation_id == Animation.id)
            .where(Animation.starts_at >= start, Animation.starts_at < end,
                   Animation.status == AnimationStatus.PUBLISHED)
            .order_by(Animation.starts_at, Animation.id)).all()]
    return OccupancyReport(
        monday=monday, slots=slots, animations=animations,
        slots_chart=charts.grouped_bar_chart(
            [(f"{s.starts_at:%d/%m %H:%M}", s.orders, s.capacity) for s in slots],
            title="Commandes et capacité par créneau", legend=("Commandes", "Capacité"), outline_second=True),
        animations_chart=charts.grouped_bar_chart(
            [(a.title[:24], a.seats, a.capacity) for a in animations],
            title="Places occupées (inscrits et entrées) et capacité par animation", legend=("Occupées", "Capacité"),
            outline_second=True),
    )
