"""Town-centre impact figures, per month: what the association reports to its members, the town and funders.

Read-only queries. Month boundaries are Europe/Paris calendar months (the venue's time zone), turned into
UTC instants with zoneinfo so that daylight-saving changes are exact. Every figure of a range of months is
computed by one grouped query: the month of a row is a CASE over the month boundaries, which works the same
on SQLite and PostgreSQL (no date functions that differ between them).

Which date puts a row in a month (the method notes of the report say the same in French):
- orders, baskets, active shops, turnover, no-shows: the time the order was placed;
- pickups per slot: the start of the pickup slot;
- commission: the time the ledger entry was posted;
- animations: the start of the animation. People present are the checked-in seats plus the desk's
  walk-ins; "then bought": a resident's account checked in at an animation that placed an order (not
  cancelled) after that animation ended. Walk-ins have no account and never count as buyers; the order
  collected at the pickup where the resident was checked in was placed before, so it does not count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, SQLColumnExpression, case, distinct, exists, func, or_, select

from shopapp.animations.models import Animation, AnimationStatus, Registration, RegistrationStatus, WalkIn
from shopapp.catalog.models import Shop, ShopStatus
from shopapp.core.clock import utcnow, venue_zone
from shopapp.errors import ValidationFailed
from shopapp.extensions import db
from shopapp.orders.models import Order, OrderPart, PickupSlot
from shopapp.orders.states import OrderPaymentStatus, OrderStatus, PartStatus
from shopapp.payments.models import LedgerEntry, LedgerKind

# Pickups per slot, grouped for the distribution chart: (lowest, highest or None for "and more").
PICKUP_BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 9), (10, None))
# The public page shows money for a month only when at least this many shops share it (no shop's
# takings can be read from the total).
MIN_SHOPS_FOR_PUBLIC_MONEY = 3
MAX_MONTHS = 60


@dataclass(frozen=True)
class Month:
    """A calendar month in the venue's time zone, with its bounds as UTC instants (`start` ≤ t < `end`)."""

    year: int
    month: int
    start: datetime
    end: datetime

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)


def _shift(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


def month_of(year: int, month: int) -> Month:
    """The month `year-month`, its bounds taken at local midnight (DST-safe through zoneinfo)."""
    zone = venue_zone()
    next_year, next_month = _shift(year, month, 1)
    start = datetime(year, month, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(next_year, next_month, 1, tzinfo=zone).astimezone(UTC)
    return Month(year, month, start, end)


def current_month(now: datetime | None = None) -> Month:
    """The venue's current month."""
    local = (now or utcnow()).astimezone(venue_zone())
    return month_of(local.year, local.month)


def parse_month(text: str | None, *, field_name: str = "month") -> Month:
    """`"2025-03"` → that month.

    :raise ValidationFailed: not a `YYYY-MM` month between the years 2000 and 2100.
    """
    value = (text or "").strip()
    try:
        year_text, month_text = value.split("-")
        if len(year_text) != 4 or len(month_text) != 2:
            raise ValueError(value)
        year, month = int(year_text), int(month_text)
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise ValueError(value)
    except ValueError:
        raise ValidationFailed(_l("Indiquez un mois au format AAAA-MM."),
                               fields={field_name: str(_l("Indiquez un mois au format AAAA-MM."))}) from None
    return month_of(year, month)


def months_between(first: Month, last: Month) -> list[Month]:
    """Every month from `first` to `last`, both included.

    :raise ValidationFailed: `last` before `first`, or more than MAX_MONTHS months.
    """
    count = (last.year * 12 + last.month) - (first.year * 12 + first.month) + 1
    if count < 1:
        raise ValidationFailed(_l("Le mois de fin précède le mois de début."),
                               fields={"to": str(_l("Le mois de fin précède le mois de début."))})
    if count > MAX_MONTHS:
        message = _l("Choisissez au plus %(n)s mois.", n=MAX_MONTHS)
        raise ValidationFailed(message, fields={"to": str(message)})
    return [month_of(*_shift(first.year, first.month, i)) for i in range(count)]


def months_ending(last: Month, count: int = 12) -> list[Month]:
    """The `count` months up to and including `last`."""
    return [month_of(*_shift(last.year, last.month, i - count + 1)) for i in range(count)]


@dataclass(frozen=True)
class Ratio:
    """A share kept as its two counts, so that reports show exact numbers; `percent_tenths` rounds half up."""

    part: int
    whole: int

    @property
    def percent_tenths(self) -> int | None:
        """The share in tenths of a percent (`1/3` → 333), or None when there is nothing to share."""
        if self.whole == 0:
            return None
        return (self.part * 2000 + self.whole) // (2 * self.whole)


@dataclass
class MonthFigures:
    """Everything the dashboard shows for one month."""

    month: Month
    active_shops: int = 0
    orders: int = 0
    multi_shop_orders: int = 0
    turnover_cents: int = 0
    commission_cents: int = 0
    slots_used: int = 0
    pickups: int = 0
    pickups_per_slot: list[int] = field(default_factory=lambda: [0] * len(PICKUP_BUCKETS))
    animation_attendees: int = 0
    walk_in_attendees: int = 0
    attendee_accounts: int = 0
    attendees_who_bought: int = 0
    collected_orders: int = 0
    no_shows: int = 0

    @property
    def multi_shop_share(self) -> Ratio:
        return Ratio(self.multi_shop_orders, self.orders)

    @property
    def attended_then_bought(self) -> Ratio:
        """Residents' accounts present at an animation that ordered afterwards, among those present."""
        return Ratio(self.attendees_who_bought, self.attendee_accounts)

    @property
    def no_show_rate(self) -> Ratio:
        return Ratio(self.no_shows, self.collected_orders + self.no_shows)

    @property
    def average_pickups_tenths(self) -> int | None:
        """Average pickups per slot used, in tenths (`5 / 2` → 25), rounded half up."""
        if self.slots_used == 0:
            return None
        return (self.pickups * 20 + self.slots_used) // (2 * self.slots_used)

    @property
    def public_turnover_cents(self) -> int | None:
        """The turnover, or None when too few shops share it to publish it."""
        return self.turnover_cents if self.active_shops >= MIN_SHOPS_FOR_PUBLIC_MONEY else None


def _month_index(column: SQLColumnExpression[Any], months: Sequence[Month]) -> ColumnElement[int]:
    return case(*[(column < month.end, index) for index, month in enumerate(months)])


def _in_range(column: SQLColumnExpression[Any], months: Sequence[Month]) -> ColumnElement[bool]:
    return (column >= months[0].start) & (column < months[-1].end)


def _grouped(inner: Select[Any], *aggregates: Callable[[Any], ColumnElement[Any]]) -> list[tuple[Any, ...]]:
    """Group an inner select (which has an `m` column, the month index) by month.

    The CASE lives in a subquery so that GROUP BY names a plain column: PostgreSQL with server-side
    parameters would not see two copies of the same CASE as one expression.
    """
    sub = inner.subquery()
    rows = db.session.execute(select(sub.c.m, *[agg(sub) for agg in aggregates]).group_by(sub.c.m)).all()
    return [tuple(row) for row in rows if row[0] is not None]


def monthly_figures(months: Sequence[Month]) -> list[MonthFigures]:
    """The figures of each month in `months` (consecutive, oldest first). Reads only; no flush."""
    figures = [MonthFigures(month) for month in months]
    if not months:
        return figures
    placed = _month_index(Order.created_at, months)
    counted = Order.status != OrderStatus.CANCELLED

    part_counts = (select(OrderPart.order_id, func.count().label("n")).group_by(OrderPart.order_id).subquery())
    orders = (select(placed.label("m"), part_counts.c.n.label("n"), Order.status.label("status"))
              .join(part_counts, part_counts.c.order_id == Order.id)
              .where(_in_range(Order.created_at, months), counted))
    for m, count, multi, collected, no_show in _grouped(
        orders,
        lambda s: func.count(),
        lambda s: func.sum(case((s.c.n >= 2, 1), else_=0)),
        lambda s: func.sum(case((s.c.status == OrderStatus.COLLECTED, 1), else_=0)),
        lambda s: func.sum(case((s.c.status == OrderStatus.NO_SHOW, 1), else_=0)),
    ):
        figures[m].orders, figures[m].multi_shop_orders = count, int(multi or 0)
        figures[m].collected_orders, figures[m].no_shows = int(collected or 0), int(no_show or 0)

    shops = (select(placed.label("m"), OrderPart.shop_id.label("shop_id"))
             .join(OrderPart, OrderPart.order_id == Order.id).join(Shop, Shop.id == OrderPart.shop_id)
             .where(_in_range(Order.created_at, months), counted, Shop.status == ShopStatus.APPROVED))
    for m, count in _grouped(shops, lambda s: func.count(distinct(s.c.shop_id))):
        figures[m].active_shops = count

    # Money that reached the shops: orders collected or paid, without the parts a shop turned down.
    turnover = (select(placed.label("m"), OrderPart.subtotal_cents.label("cents"))
                .join(OrderPart, OrderPart.order_id == Order.id)
                .where(_in_range(Order.created_at, months), counted,
                       or_(Order.status == OrderStatus.COLLECTED, Order.payment_status == OrderPaymentStatus.PAID),
                       OrderPart.status.not_in((PartStatus.REJECTED, PartStatus.CANCELLED))))
    for m, cents in _grouped(turnover, lambda s: func.sum(s.c.cents)):
        figures[m].turnover_cents = int(cents or 0)

    # Commission entries are signed from the shop's side (− taken, + given back on a refund).
    commission = (select(_month_index(LedgerEntry.created_at, months).label("m"),
                         LedgerEntry.amount_cents.label("cents"))
                  .where(LedgerEntry.kind == LedgerKind.COMMISSION, _in_range(LedgerEntry.created_at, months)))
    for m, cents in _grouped(commission, lambda s: func.sum(s.c.cents)):
        figures[m].commission_cents = -int(cents or 0)

    _add_pickups(figures, months)
    for m, attendance in animation_attendance(months).items():
        figures[m].animation_attendees, figures[m].walk_in_attendees = attendance.people, attendance.walk_ins
        figures[m].attendee_accounts, figures[m].attendees_who_bought = attendance.accounts, attendance.bought_after
    return figures


def _add_pickups(figures: list[MonthFigures], months: Sequence[Month]) -> None:
    """Slots used in each month (at least one order booked on them, not cancelled) and their pickups."""

    per_slot = (select(_month_index(PickupSlot.starts_at, months).label("m"), PickupSlot.id,
                       func.sum(case((Order.status == OrderStatus.COLLECTED, 1), else_=0)).label("pickups"))
                .join(Order, Order.pickup_slot_id == PickupSlot.id)
                .where(_in_range(PickupSlot.starts_at, months), Order.status != OrderStatus.CANCELLED)
                .group_by(PickupSlot.id, PickupSlot.starts_at))
    for m, _slot_id, pickups in db.session.execute(per_slot).all():
        if m is None:
            continue
        pickups = int(pickups or 0)
        figures[m].slots_used += 1
        figures[m].pickups += pickups
        figures[m].pickups_per_slot[_bucket_of(pickups)] += 1


def _bucket_of(pickups: int) -> int:
    for index, (low, high) in enumerate(PICKUP_BUCKETS):
        if pickups >= low and (high is None or pickups <= high):
            return index
    raise ValueError(pickups)


@dataclass(frozen=True)
class Attendance:
    """One month's animations: people present (checked-in seats and walk-ins), of which walk-ins;
    residents' accounts checked in, and how many of them placed an order after the animation."""

    people: int = 0
    walk_ins: int = 0
    accounts: int = 0
    bought_after: int = 0


def animation_attendance(months: Sequence[Month]) -> dict[int, Attendance]:
    """Per month index (the month the animation started in), the attendance figures."""
    if not months:
        return {}
    held = _month_index(Animation.starts_at, months)
    counted = (_in_range(Animation.starts_at, months), Animation.status != AnimationStatus.CANCELLED)
    checked_in = (Registration.status != RegistrationStatus.CANCELLED, Registration.checked_in_at.is_not(None))
    # An order placed after the end of the animation the account was checked in at.
    ordered_after = exists().where(Order.user_id == Registration.user_id, Order.created_at >= Animation.ends_at,
                                   Order.status != OrderStatus.CANCELLED)
    present = (select(held.label("m"), Registration.user_id.label("user_id"), Registration.seats.label("seats"),
                      case((ordered_after, 1), else_=0).label("bought"))
               .join(Animation, Animation.id == Registration.animation_id).where(*counted, *checked_in))
    seats: dict[int, int] = {}
    accounts: dict[int, set[int]] = {}
    buyers: dict[int, set[int]] = {}
    for m, user_id, count, bought in db.session.execute(present).all():
        if m is None:
            continue
        seats[m] = seats.get(m, 0) + count
        accounts.setdefault(m, set()).add(user_id)
        if bought:
            buyers.setdefault(m, set()).add(user_id)
    walk_ins = dict(_grouped(
        select(held.label("m"), WalkIn.seats.label("seats")).join(Animation, Animation.id == WalkIn.animation_id)
        .where(*counted),
        lambda s: func.sum(s.c.seats)))
    return {
        m: Attendance(people=seats.get(m, 0) + int(walk_ins.get(m) or 0), walk_ins=int(walk_ins.get(m) or 0),
                      accounts=len(accounts.get(m, ())), bought_after=len(buyers.get(m, ())))
        for m in set(seats) | set(walk_ins)
    }


def headline(figures: Sequence[MonthFigures]) -> MonthFigures:
    """The sum of several months' counts and money. `active_shops` stays 0: shops are counted once over a
    period by `distinct_active_shops`, not summed."""
    total = MonthFigures(figures[-1].month if figures else month_of(2000, 1))
    for item in figures:
        for name in ("orders", "multi_shop_orders", "turnover_cents", "commission_cents", "slots_used", "pickups",
                     "animation_attendees", "walk_in_attendees", "attendee_accounts",
                     "attendees_who_bought", "collected_orders", "no_shows"):
            setattr(total, name, getattr(total, name) + getattr(item, name))
        total.pickups_per_slot = [a + b for a, b in zip(total.pickups_per_slot, item.pickups_per_slot, strict=True)]
    return total


def distinct_active_shops(months: Sequence[Month]) -> int:
    """Approved shops with at least one order part (order not cancelled) placed in any of `months`."""
    if not months:
        return 0
    return db.session.scalar(
        select(func.count(distinct(OrderPart.shop_id))).join(Order, Order.id == OrderPart.order_id)
        .join(Shop, Shop.id == OrderPart.shop_id)
        .where(_in_range(Order.created_at, months), Order.status != OrderStatus.CANCELLED,
               Shop.status == ShopStatus.APPROVED)
    ) or 0


@dataclass(frozen=True)
class PublicSummary:
    """The town's view: the last complete months, with money only where enough shops share it."""

    months: list[MonthFigures]
    totals: MonthFigures
    shops_over_period: int

    @property
    def has_figures(self) -> bool:
        """Anything happened over the period (an order or someone at an animation): else the page says
        there are no figures yet rather than showing zeros."""
        return bool(self.totals.orders or self.totals.animation_attendees)

    @property
    def public_total_turnover_cents(self) -> int | None:
        # A month whose turnover is withheld must not be readable as "total minus the shown months".
        if self.shops_over_period < MIN_SHOPS_FOR_PUBLIC_MONEY:
            return None
        if any(item.orders and item.public_turnover_cents is None for item in self.months):
            return None
        return self.totals.turnover_cents


def public_summary(now: datetime | None = None, count: int = 12) -> PublicSummary:
    """The `count` complete months before the current one, their totals and how many shops took part."""
    this_month = current_month(now)
    last = month_of(*_shift(this_month.year, this_month.month, -1))
    months = months_ending(last, count)
    figures = monthly_figures(months)
    return PublicSummary(months=figures, totals=headline(figures), shops_over_period=distinct_active_shops(months))
