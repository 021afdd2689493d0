"""Placing an order: the basket becomes one order split into one part per shop, in one transaction.

Lock order, the same in every path that touches these rows (placing, cancellation, rejection,
no-show), so that concurrent transactions queue instead of deadlocking:
  basket or order row → stock rows (ascending product id, catalog.stock) → pickup slot row.
Stock and slot capacity change only by conditional UPDATEs whose row count decides success, so no
interleaving can oversell or overbook; on SQLite, BEGIN IMMEDIATE serialises writers as well.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm.attributes import set_committed_value

from shopapp.catalog import stock
from shopapp.catalog.models import Shop
from shopapp.catalog.stock import StockLine
from shopapp.core import outbox
from shopapp.core.bulk import attach, insert_loaded, insert_skipping_taken
from shopapp.core.clock import utcnow, venue_zone
from shopapp.errors import DomainError, ValidationFailed
from shopapp.extensions import db
from shopapp.orders import events, slots
from shopapp.orders.basket import BasketOwner, BasketView, basket_view_of, empty_basket, lock_basket
from shopapp.orders.models import Order, OrderLine, OrderPart, new_code, new_label
from shopapp.orders.states import OrderPaymentStatus, OrderStatus, PartStatus, PaymentMethod

log = logging.getLogger(__name__)


class BasketEmpty(DomainError):
    status = 409
    code = "basket_empty"


class CodesExhausted(DomainError):
    """Every draw of an order's random codes met codes already taken (never seen: each draw is fresh)."""

    status = 503
    code = "try_again"


class PaymentUnavailable(DomainError):
    status = 422
    code = "payment_unavailable"


@dataclass(frozen=True)
class CheckoutRequest:
    user_id: int
    pickup_slot_id: int
    payment_method: str
    idempotency_key: str | None = None


@dataclass(frozen=True)
class CheckoutResult:
    order: Order
    created: bool


def _code(length: int) -> str:
    return new_code(length)


def new_order_number(now: datetime) -> str:
    local = now.astimezone(venue_zone())
    return f"AMC-{local:%y%m%d}-{_code(5)}"


def new_pickup_code() -> str:
    return _code(6)


_BY_IDEMPOTENCY_KEY = select(Order).where(Order.user_id == bindparam("user_id"),
                                          Order.idempotency_key == bindparam("key"))  # built once


def find_by_idempotency_key(user_id: int, key: str | None) -> Order | None:
    if not key:
        return None
    return db.session.scalar(_BY_IDEMPOTENCY_KEY, {"user_id": user_id, "key": key})


def _default_rate(shop_id: int) -> int:
    # Used only when no rate function is passed (orders' own tests, the CLI): the shop's override,
    # else the configured platform default. The checkout entry points pass payments' rate function,
    # which also honours the association's audited platform rate (shopapp/checkout/services.py).
    rate = db.session.scalar(select(Shop.commission_rate_bps).where(Shop.id == shop_id))
    return int(rate) if rate is not None else int(current_app.config["PLATFORM_COMMISSION_BPS"])


def place_order(request: CheckoutRequest, *, now: datetime | None = None, card_enabled: bool = False,
                commission_rate: Callable[[int], int] | None = None,
                check_basket: Callable[[BasketView], None] | None = None,
                before_allocation: Callable[[Order], None] | None = None) -> CheckoutResult:
    """Turn the user's basket into an order. Flushes, never commits: the caller's commit makes it real.

    Same `idempotency_key` from the same user → the existing order, `created=False`, nothing changed.
    Otherwise, in one transaction: lock the basket, snapshot lines at current prices, check the slot,
    create the order and its parts, empty the basket, write the outbox jobs in one INSERT, and last —
    so the hot rows stay locked for as short a time as possible before the caller's COMMIT — allocate
    all the stock in one ordered statement and take one place in the slot (both conditional UPDATEs).
    `at_pickup` orders start `confirmed`; `card` orders start `pending_payment` with stock and slot held
    (payments confirms them with `fulfilment.confirm_order` once the card is paid).

    :raise PaymentUnavailable: card payment while not enabled (422).
    :raise BasketEmpty: nothing to order (409).
    :raise NotFoundError: unknown slot.
    :raise SlotFull: the slot is full (`slot_full`), too soon (`slot_too_soon`), or on a day a shop of the
        basket does not prepare orders (`shop_closed`) (409).
    :raise InsufficientStock: a product has not enough stock left (409). On any error the caller rolls back.

    `commission_rate(shop_id) -> bps` gives the rate frozen on each part; orders does not know where
    rates live (payments owns them), so the caller passes the function in. `check_basket(view)` lets the
    caller refuse the basket as read under the lock (checkout's age confirmation) without reading it
    again; `before_allocation(order)` runs the caller's own writes for the new order (the payment
    record, joined animations) before the stock and slot rows are locked.
    """
    moment = now or utcnow()
    if request.payment_method not in tuple(PaymentMethod):
        raise ValidationFailed("Mode de paiement inconnu.", fields={"payment_method": "at_pickup ou card"})
    if request.payment_method == PaymentMethod.CARD and not card_enabled:
        raise PaymentUnavailable(
            "Le paiement en ligne n'est pas encore disponible : choisissez le paiement au retrait.",
            fields={"payment_method": "indisponible"},
        )
    owner = BasketOwner(request.user_id, None)
    basket = lock_basket(owner)
    # Looked up under the basket lock: a concurrent submission with the same key has committed by now.
    existing = find_by_idempotency_key(request.user_id, request.idempotency_key)
    if existing is not None:
        return CheckoutResult(existing, False)
    summary = basket_view_of(basket) if basket is not None else None
    if basket is None or summary is None or summary.is_empty:
        raise BasketEmpty("Votre panier est vide.")
    if check_basket is not None:
        check_basket(summary)
    shops = [group.shop for group in summary.groups]
    # The shops came with the basket: their lead time and opening days need no query of their own.
    lead_minutes = max(shop.preparation_minutes or 0 for shop in shops)
    slot = slots.check_bookable(request.pickup_slot_id, lead_minutes=lead_minutes, now=moment,
                                closed_weekdays=slots.closed_weekdays_of(shops))

    is_card = request.payment_method == PaymentMethod.CARD
    rate_of = commission_rate or _default_rate

    order_row = {
        "user_id": request.user_id, "pickup_slot_id": slot.id,
        "status": OrderStatus.PENDING_PAYMENT if is_card else OrderStatus.CONFIRMED,
        "payment_method": request.payment_method,
        "payment_status": OrderPaymentStatus.PENDING if is_card else OrderPaymentStatus.DUE,
        "total_cents": summary.total_cents, "currency": summary.currency,
        "idempotency_key": request.idempotency_key or None, "created_at": moment,
    }
    part_rows = {group.shop.id: {"shop_id": group.shop.id, "status": PartStatus.RECEIVED,
                                 "subtotal_cents": group.subtotal_cents, "currency": summary.currency,
                                 "commission_rate_bps": rate_of(group.shop.id)} for group in summary.groups}
    line_rows = {group.shop.id: [
        {"product_id": line.product.id, "sku": line.product.sku, "name": line.product.name,
         "unit": line.product.unit, "unit_price_cents": line.unit_price_cents, "vat_rate_bp": line.product.vat_rate_bp,
         "quantity": line.quantity, "line_total_cents": line.line_total_cents} for line in group.lines]
        for group in summary.groups}
    order = _insert_order(order_row, part_rows, line_rows, moment)
    set_committed_value(order, "pickup_slot", slot)
    shops = {group.shop.id: group.shop for group in summary.groups}
    for part in order.parts:
        set_committed_value(part, "shop", shops[part.shop_id])
    events.order_created_event(order=order, actor_id=request.user_id)
    empty_basket(basket)
    if before_allocation is not None:
        before_allocation(order)
    # The order's notices are written before the hot rows are touched (their INSERT flushes what precedes):
    # from the stock rows' lock to the caller's COMMIT, only the stock's ordered statements and the slot's.
    outbox.enqueue_many(confirmation_jobs(order) if order.status == OrderStatus.CONFIRMED else [])
    db.session.flush()
    low = stock.allocate([StockLine(line.product.id, line.quantity) for line in summary.lines],
                         emit_low_stock=False)
    slots.take_place(slot.id)
    if low:  # a product brought down to its alert level: its job too, in the same transaction
        outbox.enqueue_many([(stock.LOW_STOCK_TASK, {"product_id": product_id}) for product_id in low])
    return CheckoutResult(order, True)


# The unique codes an order draws at random: its number (per day), its pickup code and its bags' labels.
# Among hundreds of thousands of orders over the years, a draw now and then meets one already taken.
CODE_DRAWS = 5


def _insert_order(order_row: dict[str, Any], part_rows: dict[int, dict[str, Any]],
                  line_rows: dict[int, list[dict[str, Any]]], moment: datetime) -> Order:
    """Insert the order, its parts (one per shop) and their lines: three INSERT … RETURNING statements
    (`shopapp.core.bulk`: no unit of work), the rows handed to the session with their collections set
    (nothing loads them again).

    The order and its parts draw random codes (number, pickup code, bag labels): their INSERT … ON CONFLICT
    DO NOTHING leaves out a row whose code is already taken, and only that row is drawn again, so the
    resident never sees the clash and no savepoint is needed. Any other integrity error goes up as is.
    """
    order = None
    for draw in range(1, CODE_DRAWS + 1):
        drawn = {**order_row, "number": new_order_number(moment), "pickup_code": new_pickup_code()}
        order = insert_skipping_taken(Order, [drawn], key="user_id").get(order_row["user_id"])
        if order is not None:
            break
        log.info("order code already taken: drawn again", extra={"draw": draw})
    if order is None:
        raise CodesExhausted("Votre commande n'a pas pu être enregistrée : réessayez dans un instant.")
    parts: list[OrderPart] = []
    waiting = dict(part_rows)
    for draw in range(1, CODE_DRAWS + 1):
        written = insert_skipping_taken(OrderPart, [{**row, "order_id": order.id, "label": new_label()}
                                                    for row in waiting.values()], key="shop_id")
        parts.extend(written.values())
        for shop_id in written:
            waiting.pop(shop_id)
        if not waiting:
            break
        log.info("bag label already taken: drawn again", extra={"draw": draw})
    if waiting:
        raise CodesExhausted("Votre commande n'a pas pu être enregistrée : réessayez dans un instant.")
    parts.sort(key=lambda part: part.id)
    part_of_shop = {part.shop_id: part for part in parts}
    lines = insert_loaded(OrderLine, [{**line, "part_id": part_of_shop[shop_id].id}
                                      for shop_id, rows in line_rows.items() for line in rows])
    attach([order, *parts, *lines])
    for part in parts:
        set_committed_value(part, "lines", [line for line in lines if line.part_id == part.id])
        set_committed_value(part, "order", order)
    set_committed_value(order, "parts", parts)
    return order


def confirmation_jobs(order: Order) -> list[tuple[str, dict[str, int | str]]]:
    """The outbox jobs of a confirmed order: the resident's confirmation and each shop's part to prepare."""
    return [(events.ORDER_CONFIRMED_TASK, {"order_id": order.id})] + [
        (events.PART_TO_PREPARE_TASK, {"part_id": part.id}) for part in order.parts]


def emit_confirmation(order: Order) -> None:
    """Outbox jobs of a confirmed order: the resident's confirmation and each shop's part to prepare."""
    outbox.enqueue_many(confirmation_jobs(order))
