"""The fee kept on a card-paid order nobody collected ("refund minus a fee"), as the association's income.

Decision: the association sells the click-and-collect service, so the fee it keeps when a paid order is
not collected is its own income ("frais de commande non retirée"), not a shop's sale: no shop part is
credited and no shop is paid for it. It carries VAT like the commission (COMMISSION_VAT_BPS, 20 %): the
fee is a price with taxes set in euros, so its VAT is the VAT included (`core.money.vat_within`) and its
net amount the rest (HT + VAT = TTC to the cent). One row per order (`NoShowFee`, unique order), written
by the worker when it applies the policy; the FEC export posts it in its own journal (`NR`: card
receipts debited, the fee account and collected VAT credited), the resident's receipt shows it, and the
association's commissions page sums it per month.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select

from shopapp.core.clock import utcnow, venue_zone
from shopapp.core.money import vat_within
from shopapp.extensions import db
from shopapp.orders.models import Order
from shopapp.orders.states import NoShowPolicy, OrderStatus, PaymentMethod
from shopapp.payments import commission
from shopapp.payments.ledger import insert_ignoring_duplicates
from shopapp.payments.models import NoShowFee


def split_fee(amount_cents: int, vat_bps: int) -> tuple[int, int]:
    """A fee with taxes → `(ht_cents, vat_cents)`, VAT included rounded half-up, HT the rest."""
    vat = vat_within(amount_cents, vat_bps)
    return amount_cents - vat, vat


def record_fee(order_id: int, kept_cents: int) -> NoShowFee | None:
    """Record, once, the fee kept on a card-paid no-show under the "refund minus a fee" policy.

    `kept_cents` is what is kept of the payment (the policy's fee, never more than what was paid and not
    refunded yet). Any other order, policy or a zero fee records nothing. A repeat (second beat, retry,
    two workers) inserts nothing: the row is unique per order (INSERT … ON CONFLICT DO NOTHING).
    Returns the order's fee row, or None. Flushes, never commits.
    """
    order = db.session.get(Order, order_id)
    if (order is None or order.status != OrderStatus.NO_SHOW or order.no_show_policy != NoShowPolicy.FEE
            or order.payment_method != PaymentMethod.CARD):
        return None
    if kept_cents > 0:
        vat_bps = commission.commission_vat_bps()
        ht, vat = split_fee(kept_cents, vat_bps)
        insert_ignoring_duplicates(NoShowFee, [{
            "order_id": order_id, "amount_cents": kept_cents, "ht_cents": ht, "vat_cents": vat,
            "vat_rate_bps": vat_bps, "currency": order.currency, "created_at": utcnow()}])
    return fee_of(order_id)


def fee_of(order_id: int) -> NoShowFee | None:
    """The fee kept on this order, if any."""
    return db.session.scalar(select(NoShowFee).where(NoShowFee.order_id == order_id))


@dataclass(frozen=True)
class FeeRow:
    fee: NoShowFee
    order_number: str


def fees_of_year(year: int) -> list[FeeRow]:
    """The fees kept in `year` (venue time), oldest first, with their order's number."""
    zone = venue_zone()

    def utc(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)

    rows = db.session.execute(
        select(NoShowFee, Order.number).join(Order, Order.id == NoShowFee.order_id)
        .where(NoShowFee.created_at >= utc(date(year, 1, 1)), NoShowFee.created_at < utc(date(year + 1, 1, 1)))
        .order_by(NoShowFee.created_at, NoShowFee.id)
    ).all()
    return [FeeRow(fee, number) for fee, number in rows]


@dataclass(frozen=True)
class MonthFees:
    month: str
    count: int
    ht_cents: int
    vat_cents: int
    amount_cents: int


def fees_by_month() -> list[MonthFees]:
    """The fees kept per month (venue time), newest month first."""
    zone = venue_zone()
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for fee in db.session.scalars(select(NoShowFee)):
        month = fee.created_at.replace(tzinfo=fee.created_at.tzinfo or UTC).astimezone(zone).strftime("%Y-%m")
        row = sums[month]
        row[0] += 1
        row[1] += fee.ht_cents
        row[2] += fee.vat_cents
        row[3] += fee.amount_cents
    return [MonthFees(month, *values) for month, values in sorted(sums.items(), reverse=True)]
