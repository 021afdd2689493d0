"""Monthly statements per shop (from the ledger), the commission invoice, the association's view."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from shopapp.catalog.models import Shop
from shopapp.core.clock import venue_zone
from shopapp.errors import ValidationFailed
from shopapp.extensions import db
from shopapp.orders.models import Order
from shopapp.payments.models import MEMO_KINDS, LedgerEntry, LedgerKind

# The statement's columns, in order, with the kinds each sums (signed from the shop's side).
COLUMNS: tuple[tuple[str, tuple[LedgerKind, ...]], ...] = (
    ("sales", (LedgerKind.SALE, LedgerKind.PICKUP_RECEIPT)),
    ("commission", (LedgerKind.COMMISSION,)),
    ("commission_vat", (LedgerKind.COMMISSION_VAT,)),
    ("refunds", (LedgerKind.REFUND,)),
    ("payouts", (LedgerKind.PAYOUT,)),
    ("transfer_reversals", (LedgerKind.TRANSFER_REVERSAL,)),
    ("receivables", (LedgerKind.RECEIVABLE,)),
)


@dataclass(frozen=True)
class OrderAmount:
    """One order's share of a statement total."""

    order_id: int
    number: str
    amount_cents: int


@dataclass(frozen=True)
class Statement:
    shop: Shop
    month: date
    totals: dict[str, int]
    opening_balance_cents: int
    closing_balance_cents: int
    entries: list[LedgerEntry]
    # Per column, the orders behind its total (by order number); their amounts add up to the total.
    orders_by_column: dict[str, list[OrderAmount]]

    @property
    def commission_net_cents(self) -> int:
        """Commission invoiced for the month (commission taken less commission given back)."""
        return -self.totals["commission"]

    @property
    def commission_vat_cents(self) -> int:
        return -self.totals["commission_vat"]


def parse_month(value: str | None, *, today: date) -> date:
    """`YYYY-MM` → the first day of that month; empty → the current month. :raise ValidationFailed:"""
    if not value:
        return today.replace(day=1)
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise ValidationFailed(str(_l("Mois invalide (AAAA-MM).")), fields={"month": "AAAA-MM"})


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month's start and end as naive UTC datetimes (stored form), from the venue's local midnight."""
    zone = venue_zone()
    following = date(month.year + (month.month == 12), month.month % 12 + 1, 1)

    def utc(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC).replace(tzinfo=None)

    return utc(month), utc(following)


def _balance_before(shop_id: int, moment: datetime) -> int:
    return int(db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.shop_id == shop_id, LedgerEntry.created_at < moment,
            LedgerEntry.kind.not_in([str(k) for k in MEMO_KINDS]))
    ) or 0)


def statement_for(shop: Shop, month: date) -> Statement:
    """The shop's statement for one month: totals per column, balances before and after, entries."""
    start, end = month_bounds(month)
    entries = list(db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.shop_id == shop.id, LedgerEntry.created_at >= start,
                                  LedgerEntry.created_at < end).order_by(LedgerEntry.id)))
    totals = {name: sum(e.amount_cents for e in entries if e.kind in {str(k) for k in kinds})
              for name, kinds in COLUMNS}
    opening = _balance_before(shop.id, start)
    closing = _balance_before(shop.id, end)
    return Statement(shop, month, totals, opening, closing, entries, _orders_by_column(entries))


def _orders_by_column(entries: list[LedgerEntry]) -> dict[str, list[OrderAmount]]:
    numbers = dict(db.session.execute(
        select(Order.id, Order.number).where(Order.id.in_({e.order_id for e in entries} or {-1}))).tuples().all())
    result: dict[str, list[OrderAmount]] = {}
    for name, kinds in COLUMNS:
        wanted = {str(k) for k in kinds}
        sums: dict[int, int] = defaultdict(int)
        for entry in entries:
            if entry.kind in wanted:
                sums[entry.order_id] += entry.amount_cents
        result[name] = sorted((OrderAmount(order_id, numbers.get(order_id, str(order_id)), cents)
                               for order_id, cents in sums.items()), key=lambda row: (row.number, row.order_id))
    return result


@dataclass(frozen=True)
class CommissionRow:
    month: str
    shop_id: int
    shop_name: str
    commission_cents: int
    commission_vat_cents: int


def commissions_by_month() -> list[CommissionRow]:
    """Commission earned by the association per month (venue time) and per shop, newest month first."""
    zone = venue_zone()
    rows = db.session.execute(
        select(LedgerEntry.shop_id, Shop.name, LedgerEntry.kind, LedgerEntry.amount_cents, LedgerEntry.created_at)
        .join(Shop, Shop.id == LedgerEntry.shop_id)
        .where(LedgerEntry.kind.in_([str(LedgerKind.COMMISSION), str(LedgerKind.COMMISSION_VAT)]))
    ).all()
    sums: dict[tuple[str, int, str], list[int]] = defaultdict(lambda: [0, 0])
    for shop_id, name, kind, amount, created in rows:
        month = created.replace(tzinfo=UTC).astimezone(zone).strftime("%Y-%m")
        sums[(month, shop_id, name)][0 if kind == LedgerKind.COMMISSION else 1] -= amount
    return [CommissionRow(m, sid, name, c, v)
            for (m, sid, name), (c, v) in sorted(sums.items(), key=lambda kv: (kv[0][0], kv[0][2]), reverse=False)
            ][::-1]
