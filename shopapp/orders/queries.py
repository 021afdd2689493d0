"""Read side of orders: what a resident, a shop and the venue desk may see. Anything not theirs is a 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from shopapp.accounts.models import User
from shopapp.errors import NotFoundError
from shopapp.extensions import db
from shopapp.orders import slots
from shopapp.orders.models import Order, OrderEvent, OrderPart, PickupSlot
from shopapp.orders.states import ACTIVE_ORDER_STATUSES, OrderStatus, PartStatus

DESK_ORDER_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.READY_FOR_PICKUP, OrderStatus.COLLECTED,
                       OrderStatus.NO_SHOW)


def _with_parts():  # type: ignore[no-untyped-def]
    return selectinload(Order.parts).selectinload(OrderPart.lines)


def order_for_user(order_id: int, user_id: int) -> Order:
    """The user's own order. :raise NotFoundError: missing or someone else's."""
    order = db.session.scalar(
        select(Order).where(Order.id == order_id, Order.user_id == user_id).options(_with_parts())
    )
    if order is None:
        raise NotFoundError("Commande introuvable.")
    return order


def orders_of_user(user_id: int, *, page: int = 1, per_page: int = 20) -> tuple[list[Order], int]:
    where = Order.user_id == user_id
    total = db.session.scalar(select(func.count(Order.id)).where(where)) or 0
    items = db.session.scalars(
        select(Order).where(where).options(_with_parts()).order_by(Order.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(items), int(total)


def order_by_id(order_id: int) -> Order:
    """Any order (venue staff). :raise NotFoundError: missing."""
    order = db.session.scalar(select(Order).where(Order.id == order_id).options(_with_parts()))
    if order is None:
        raise NotFoundError("Commande introuvable.")
    return order


def order_by_code(code: str) -> Order:
    """:raise NotFoundError: no order has this pickup code."""
    order = db.session.scalar(
        select(Order).where(Order.pickup_code == code.strip().upper()).options(_with_parts())
    )
    if order is None:
        raise NotFoundError("Aucune commande avec ce code de retrait.")
    return order


def search_orders(text: str, *, limit: int = 30) -> list[Order]:
    """Desk search: exact pickup code or order number, or part of the resident's name or e-mail."""
    needle = text.strip()
    if not needle:
        return []
    pattern = f"%{needle.lower()}%"
    return list(db.session.scalars(
        select(Order).join(User, User.id == Order.user_id)
        .where(Order.status.in_(DESK_ORDER_STATUSES) | (Order.status == OrderStatus.PENDING_PAYMENT),
               or_(Order.pickup_code == needle.upper(), Order.number == needle.upper(),
                   func.lower(User.name).like(pattern), func.lower(User.email).like(pattern)))
        .options(_with_parts()).order_by(Order.id.desc()).limit(limit)
    ))


@dataclass
class SlotOrders:
    slot: PickupSlot
    orders: list[Order]


def pickups_of_day(day: date) -> list[SlotOrders]:
    """The day's slots (venue local day) with their orders, for the desk."""
    day_slots = slots.slots_of_local_day(day)
    if not day_slots:
        return []
    orders = db.session.scalars(
        select(Order).where(Order.pickup_slot_id.in_([s.id for s in day_slots]),
                            Order.status.in_(DESK_ORDER_STATUSES))
        .options(_with_parts(), selectinload(Order.user)).order_by(Order.id)
    ).all()
    by_slot: dict[int, list[Order]] = {}
    for order in orders:
        by_slot.setdefault(order.pickup_slot_id, []).append(order)
    return [SlotOrders(slot, by_slot.get(slot.id, [])) for slot in day_slots]


@dataclass(frozen=True)
class DeskSummary:
    """The desk's day at a glance: orders still to hand over, of which complete (every bag at the venue)
    and waiting (a shop's bag still to come)."""

    to_hand_over: int
    complete: int
    waiting: int


def desk_summary(groups: list[SlotOrders]) -> DeskSummary:
    """Count the day's orders not handed over yet (confirmed or ready), complete or waiting for a bag."""
    open_orders = [order for group in groups for order in group.orders
                   if order.status in (OrderStatus.CONFIRMED, OrderStatus.READY_FOR_PICKUP)]
    complete = sum(1 for order in open_orders if order.is_all_at_venue)
    return DeskSummary(len(open_orders), complete, len(open_orders) - complete)


@dataclass
class SlotParts:
    slot: PickupSlot
    parts: list[OrderPart]


def parts_for_shop(shop_id: int, *, status: str | None = None, day: date | None = None) -> list[SlotParts]:
    """The shop's parts of active orders, grouped by slot in time order (never other shops' parts)."""
    stmt = (
        select(OrderPart).join(Order, Order.id == OrderPart.order_id)
        .join(PickupSlot, PickupSlot.id == Order.pickup_slot_id)
        .where(OrderPart.shop_id == shop_id)
        .options(selectinload(OrderPart.lines), selectinload(OrderPart.order).selectinload(Order.pickup_slot))
        .order_by(PickupSlot.starts_at, OrderPart.id)
    )
    if status:
        stmt = stmt.where(OrderPart.status == status)
    else:
        stmt = stmt.where(Order.status.in_(ACTIVE_ORDER_STATUSES),
                          OrderPart.status.in_((PartStatus.RECEIVED, PartStatus.PREPARING, PartStatus.READY,
                                                PartStatus.AT_VENUE)))
    if day is not None:
        day_slot_ids = [s.id for s in slots.slots_of_local_day(day)]
        stmt = stmt.where(Order.pickup_slot_id.in_(day_slot_ids or [-1]))
    groups: dict[int, SlotParts] = {}
    for part in db.session.scalars(stmt):
        slot = part.order.pickup_slot
        groups.setdefault(slot.id, SlotParts(slot, [])).parts.append(part)
    return list(groups.values())


@dataclass(frozen=True)
class ProductTotal:
    """One product's quantity to prepare over a picking list, all orders together."""

    name: str
    unit: str
    quantity: int


def product_totals(groups: list[SlotParts]) -> list[ProductTotal]:
    """The quantity of each product over the groups' parts, by name: what to take from the shelves."""
    totals: dict[tuple[str, str], int] = {}
    for group in groups:
        for part in group.parts:
            for line in part.active_lines:
                key = (line.name, line.unit)
                totals[key] = totals.get(key, 0) + line.quantity
    return [ProductTotal(name, unit, quantity) for (name, unit), quantity in sorted(totals.items())]


def part_for_shop(part_id: int, shop_id: int) -> OrderPart:
    """:raise NotFoundError: not this shop's part."""
    part = db.session.scalar(
        select(OrderPart).where(OrderPart.id == part_id, OrderPart.shop_id == shop_id)
        .options(selectinload(OrderPart.lines))
    )
    if part is None:
        raise NotFoundError("Commande introuvable.")
    return part


@dataclass(frozen=True)
class StrandedOrder:
    """An open order whose pickup slot was withdrawn by a calendar change: its resident must choose again."""

    id: int
    number: str
    status: str
    slot: PickupSlot


def orders_on_withdrawn_slots(*, limit: int = 100) -> list[StrandedOrder]:
    """Open orders still waiting on a withdrawn slot, soonest first (the association's settings page)."""
    rows = db.session.execute(
        select(Order.id, Order.number, Order.status, PickupSlot)
        .join(PickupSlot, PickupSlot.id == Order.pickup_slot_id)
        .where(PickupSlot.withdrawn.is_(True),
               Order.status.in_((OrderStatus.PENDING_PAYMENT, *ACTIVE_ORDER_STATUSES)))
        .order_by(PickupSlot.starts_at, Order.id)
        .limit(limit)
    ).all()
    return [StrandedOrder(*row) for row in rows]


@dataclass(frozen=True)
class DropOffRow:
    event: OrderEvent
    part: OrderPart


def recent_drop_offs(limit: int = 10) -> list[DropOffRow]:
    """The last parts the desk recorded at the venue (by label or by hand), newest first."""
    rows = db.session.execute(
        select(OrderEvent, OrderPart).join(OrderPart, OrderPart.id == OrderEvent.part_id)
        .where(OrderEvent.to_status == PartStatus.AT_VENUE, OrderEvent.note.like("comptoir%"))
        .order_by(OrderEvent.id.desc()).limit(limit)
    ).all()
    return [DropOffRow(event, part) for event, part in rows]

