"""Turning a standing order's coming date into an ordinary order, once, through checkout's placement.

Run by the beat (every 15 minutes): a date is due when its pickup starts within the longest preparation
lead time of its shops (or the venue's booking cut-off) plus a margin (`STANDING_ORDER_MARGIN_MINUTES`).
For each due date, in one transaction:

1. Claim the date: INSERT the occurrence row ON CONFLICT (standing_order_id, pickup_date) DO NOTHING.
   A second beat handling the same date waits on that unique key until the first commits, then inserts
   nothing and moves on: one occurrence, one order, however many beats run.
2. Stock: each line is taken as far as the stock allows (reduced), a product sold out or no longer sold
   is left out, and so are the lines of a shop that does not prepare orders on that weekday (its opening
   days); when nothing is left there is no order (`nothing_available`).
3. Slot: the slot of that date at the usual time; if it is full, withdrawn or too soon, the nearest
   other slot the same day that takes the order; if none, no order (`no_slot`).
4. The order is placed by `orders.placement.place_order`, the very code of checkout (stock, slot, lead
   time, shops' days, idempotency key `standing:<id>:<date>`): it works from the resident's basket, so the
   standing order's lines stand in the basket for the length of the transaction, under the basket's row
   lock, and the resident's own lines are put back before commit — no one ever sees the exchange.
5. Payment: at pickup, as at checkout; by card, an off-session charge of the saved card. A card the
   bank wants confirmed by the resident leaves the order pending (`awaiting_payment`) with a link to
   pay; a declined card undoes the order (`payment_failed`).
6. Anything other than a full order at the usual slot is told to the resident once (outbox job keyed by
   the occurrence; e-mail, and SMS when they opted in). That one message per date also confirms the
   order when there is one (its lines, pickup code and .ics), instead of the ordinary confirmation.

Each attempt at a slot runs in a savepoint, so a slot that fills meanwhile (or stock taken meanwhile)
is rolled back alone and the next slot (or a fresh reading of the stock) is tried.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from shopapp.catalog.models import Product, Shop, ShopStatus, StockRecord
from shopapp.core import outbox
from shopapp.core.clock import as_utc, utcnow
from shopapp.errors import InsufficientStock, SlotFull
from shopapp.extensions import db
from shopapp.orders import basket as baskets
from shopapp.orders import events, placement, slots
from shopapp.orders.models import Basket, BasketLine, Order, PickupSlot
from shopapp.orders.states import OrderStatus, PaymentMethod
from shopapp.payments import card, commission, saved_cards
from shopapp.payments.gateway import PaymentDeclined
from shopapp.standing import schedule
from shopapp.standing.models import OccurrenceOutcome, StandingOccurrence, StandingOrder, StandingStatus
from shopapp.standing.services import card_enabled, insert_occurrence, refresh_saved_card
from shopapp.venue.queries import current_venue

OCCURRENCE_NOTICE_TASK = "notices.standing_occurrence"  # occurrence_id: tell the resident what happened
STOCK_ATTEMPTS = 3


@dataclass(frozen=True)
class Due:
    standing_order_id: int
    pickup_date: date


@dataclass
class _Plan:
    lines: list[tuple[int, int]] = field(default_factory=list)
    reduced: list[dict[str, Any]] = field(default_factory=list)
    left_out: list[dict[str, Any]] = field(default_factory=list)


def margin() -> timedelta:
    return timedelta(minutes=int(current_app.config["STANDING_ORDER_MARGIN_MINUTES"]))


def _lead(standing: StandingOrder) -> timedelta:
    shop_ids = {line.product.shop_id for line in standing.lines}
    venue = current_venue()
    cutoff = venue.booking_cutoff_minutes if venue is not None else 0
    return timedelta(minutes=max(slots.lead_minutes_for_shops(shop_ids), cutoff))


def due(now: datetime | None = None) -> list[Due]:
    """The (standing order, date) pairs whose pickup starts within lead time + margin and that have no
    occurrence yet, oldest first. Reads only."""
    moment = as_utc(now or utcnow())
    tz = schedule.zone()
    found: list[Due] = []
    actives = db.session.scalars(select(StandingOrder).where(StandingOrder.status == StandingStatus.ACTIVE)
                                 .order_by(StandingOrder.id)).all()
    first = moment.astimezone(tz).date() - timedelta(days=1)
    handled: dict[int, set[date]] = {}
    for standing_id, day in db.session.execute(
            select(StandingOccurrence.standing_order_id, StandingOccurrence.pickup_date)
            .join(StandingOrder, StandingOrder.id == StandingOccurrence.standing_order_id)
            .where(StandingOrder.status == StandingStatus.ACTIVE, StandingOccurrence.pickup_date >= first)):
        handled.setdefault(standing_id, set()).add(day)
    for standing in actives:
        horizon = moment + _lead(standing) + margin()
        done = handled.get(standing.id, set())
        for day in schedule.dates_between(standing.anchor_date, standing.every_weeks, first,
                                          horizon.astimezone(tz).date()):
            starts = schedule.starts_at(day, standing.pickup_time, tz)
            if day not in done and moment < starts <= horizon:
                found.append(Due(standing.id, day))
    return found


def _available(product_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        select(Product.id, StockRecord.on_hand - StockRecord.allocated)
        .join(Shop, Shop.id == Product.shop_id)
        .outerjoin(StockRecord, StockRecord.product_id == Product.id)
        .where(Product.id.in_(product_ids), Product.is_active.is_(True), Shop.status == ShopStatus.APPROVED)
    ).all()
    return {pid: max(0, int(left or 0)) for pid, left in rows}


def _shops_closed_on(standing: StandingOrder, day: date) -> set[int]:
    """The shops of the standing order that do not prepare orders on that day's weekday (a shop with no
    opening days recorded prepares every day)."""
    return {line.product.shop_id for line in standing.lines
            if line.product.shop.opening_days
            and day.isoweekday() not in {int(d) for d in line.product.shop.opening_days}}


def _plan(standing: StandingOrder, day: date) -> _Plan:
    closed = _shops_closed_on(standing, day)
    available = _available([line.product_id for line in standing.lines if line.product.shop_id not in closed])
    plan = _Plan()
    for line in standing.lines:
        name = line.product.name
        if line.product.shop_id in closed:
            # Like a sold-out product: this shop's lines wait for a day it prepares; the others are ordered.
            plan.left_out.append({"product_id": line.product_id, "name": name, "wanted": line.quantity,
                                  "reason": "shop_closed", "shop_id": line.product.shop_id,
                                  "shop": line.product.shop.name})
            continue
        left = available.get(line.product_id)
        if not left:
            plan.left_out.append({"product_id": line.product_id, "name": name, "wanted": line.quantity,
                                  "reason": "sold_out" if left == 0 else "withdrawn"})
            continue
        quantity = min(line.quantity, left)
        plan.lines.append((line.product_id, quantity))
        if quantity < line.quantity:
            plan.reduced.append({"product_id": line.product_id, "name": name, "wanted": line.quantity,
                                 "quantity": quantity})
    return plan


def _candidate_slots(day: date, target: datetime) -> list[PickupSlot]:
    """The day's slots, the usual one first, then by distance from it (earlier first on a tie)."""
    day_slots = [s for s in slots.slots_of_local_day(day) if not s.withdrawn]
    return sorted(day_slots, key=lambda s: (abs((as_utc(s.starts_at) - target).total_seconds()),
                                            as_utc(s.starts_at)))


def _place_with_lines(standing: StandingOrder, lines: list[tuple[int, int]], slot_id: int, key: str,
                      method: str, moment: datetime) -> Order:
    """place_order on these lines, lent to the resident's basket for this transaction (see module doc)."""
    owner = baskets.BasketOwner(standing.user_id, None)
    basket = baskets.lock_basket(owner)
    if basket is None:
        basket = Basket(user_id=standing.user_id)
        db.session.add(basket)
        db.session.flush()
    own = [(line.product_id, line.quantity) for line in basket.lines]
    basket.lines.clear()
    db.session.flush()  # deletes before inserts: (basket, product) is unique
    basket.lines.extend(BasketLine(product_id=pid, quantity=qty) for pid, qty in lines)
    db.session.flush()
    result = placement.place_order(
        placement.CheckoutRequest(standing.user_id, slot_id, method, key), now=moment,
        card_enabled=card_enabled(),
        commission_rate=lambda shop_id: commission.rate_for_shop(db.session.get_one(Shop, shop_id)),
    )
    basket.lines.extend(BasketLine(product_id=pid, quantity=qty) for pid, qty in own)
    db.session.flush()
    order = result.order
    order.standing_order_id = standing.id
    db.session.flush()
    return order


def run(standing_id: int, day: date, *, now: datetime | None = None) -> StandingOccurrence | None:
    """Handle one due date of one standing order (see the module doc). Returns the occurrence, or None
    when there was nothing to do (another beat did it, or the standing order is no longer active).

    :raise RetryablePaymentError, TerminalPaymentError: Stripe could not be asked (the caller rolls back;
    the next beat tries again while the date is still due). Flushes, never commits.
    """
    moment = as_utc(now or utcnow())
    standing = db.session.get(StandingOrder, standing_id)
    if standing is None or standing.status != StandingStatus.ACTIVE:
        return None
    occurrence_id = insert_occurrence({"standing_order_id": standing.id, "pickup_date": day,
                                        "outcome": str(OccurrenceOutcome.NO_SLOT), "detail": {},
                                        "created_at": moment})
    if occurrence_id is None:
        return None
    occurrence = db.session.get_one(StandingOccurrence, occurrence_id)
    tz = schedule.zone()
    target = schedule.starts_at(day, standing.pickup_time, tz)
    detail: dict[str, Any] = {"usual_starts_at": target.isoformat()}
    is_card = standing.payment_method == PaymentMethod.CARD
    if is_card and not card_enabled():
        return _finish(occurrence, OccurrenceOutcome.PAYMENT_FAILED, {**detail, "reason": "card_unavailable"})
    if is_card and not refresh_saved_card(standing):
        return _finish(occurrence, OccurrenceOutcome.PAYMENT_FAILED, {**detail, "reason": "no_card"})
    key = f"standing:{standing.id}:{day.isoformat()}"
    order: Order | None = None
    paid: saved_cards.OffSessionOutcome | None = None
    declined = False
    plan = _Plan()
    for _attempt in range(STOCK_ATTEMPTS):
        plan = _plan(standing, day)
        if not plan.lines:
            break
        short = False
        for slot in _candidate_slots(day, target):
            savepoint = db.session.begin_nested()
            try:
                order = _place_with_lines(standing, plan.lines, slot.id, key, standing.payment_method, moment)
                if is_card:
                    paid = _charge(standing, order, moment)
            except SlotFull:
                savepoint.rollback()
                order = None
                continue
            except InsufficientStock:
                savepoint.rollback()
                order, short = None, True
                break
            except PaymentDeclined:
                # The order never happens: placement and payment row go with the savepoint.
                savepoint.rollback()
                order, declined = None, True
                break
            savepoint.commit()
            break
        if order is not None or not short:
            break
    detail.update({"reduced": plan.reduced, "left_out": plan.left_out})
    if declined:
        return _finish(occurrence, OccurrenceOutcome.PAYMENT_FAILED, {**detail, "reason": "declined"})
    if order is None:
        outcome = OccurrenceOutcome.NOTHING_AVAILABLE if not plan.lines else OccurrenceOutcome.NO_SLOT
        return _finish(occurrence, outcome, detail)
    if as_utc(order.pickup_slot.starts_at) != target:
        detail["moved_to"] = as_utc(order.pickup_slot.starts_at).isoformat()
    if not is_card:
        card.open_pickup_payment(order.id, order.number, order.total_cents, order.currency)
    if paid == saved_cards.OffSessionOutcome.NEEDS_AUTHENTICATION:
        return _finish(occurrence, OccurrenceOutcome.AWAITING_PAYMENT, detail, order)
    return _finish(occurrence, OccurrenceOutcome.PLACED, detail, order)


def _charge(standing: StandingOrder, order: Order, moment: datetime) -> saved_cards.OffSessionOutcome:
    """Charge the saved card; an order waiting for the resident is held until the shops' lead time
    before its slot (at least the usual payment hold)."""
    hold = max(as_utc(order.pickup_slot.starts_at) - _lead(standing),
               moment + timedelta(minutes=int(current_app.config["PAYMENT_HOLD_MINUTES"])))
    return saved_cards.charge_off_session(
        order_id=order.id, order_ref=order.number, amount_cents=order.total_cents, currency=order.currency,
        customer_id=standing.stripe_customer_id or "", payment_method_id=standing.stripe_payment_method_id or "",
        hold_expires_at=hold)


def _finish(occurrence: StandingOccurrence, outcome: OccurrenceOutcome, detail: dict[str, Any],
            order: Order | None = None) -> StandingOccurrence:
    occurrence.outcome = outcome
    occurrence.detail = detail
    occurrence.order_id = order.id if order is not None else None
    db.session.flush()
    is_plain = (outcome == OccurrenceOutcome.PLACED and not detail.get("reduced") and not detail.get("left_out")
                and not detail.get("moved_to"))
    if not is_plain:
        # One message for the date: the notice carries the order's confirmation (and its pickup .ics), so
        # the ordinary confirmation enqueued by placing (or paying) the order is taken back.
        if order is not None and order.status == OrderStatus.CONFIRMED:
            outbox.withdraw(events.ORDER_CONFIRMED_TASK, order_id=order.id)
        outbox.enqueue(OCCURRENCE_NOTICE_TASK, occurrence_id=occurrence.id)
    return occurrence
