"""API request/response models for basket, slots, orders, shop parts and the desk."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import Literal

from flask import url_for
from pydantic import BaseModel, ConfigDict, Field

from shopapp.core.api import ApiModel, RowId
from shopapp.core.clock import venue_time
from shopapp.orders.basket import BasketView
from shopapp.orders.fulfilment import is_cancellable
from shopapp.orders.models import Order, OrderPart, PickupSlot
from shopapp.orders.reorder import Reason, ReorderResult
from shopapp.orders.slots import SlotView


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with the venue's offset (`2026-12-04T17:30:00+01:00`)."""
    return venue_time(value).isoformat() if value is not None else None


# -- requests -----------------------------------------------------------------------------------------

class AddLineIn(ApiModel):
    product_id: RowId
    quantity: int = Field(default=1, ge=1, le=99)


class SetQuantityIn(ApiModel):
    quantity: int = Field(ge=0, le=99)


class SlotQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    from_: datetime | date | None = Field(default=None, alias="from")
    to: datetime | date | None = None


class OrderIn(ApiModel):
    pickup_slot_id: RowId
    payment_method: Literal["card", "at_pickup"]
    join_animation_ids: list[RowId] = Field(default_factory=list)
    # Required (true) when the basket holds an alcoholic product: the buyer is 18 or older.
    confirm_adult: bool = False


class PickupSlotIn(ApiModel):
    pickup_slot_id: RowId


class PartStatusIn(ApiModel):
    status: Literal["preparing", "ready", "at_venue", "rejected"]


class RefuseLineIn(ApiModel):
    reason: str = Field(min_length=1, max_length=200)


class ShopOrdersQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Literal["received", "preparing", "ready", "at_venue", "rejected", "cancelled"] | None = None
    slot_date: date | None = None
    shop: str | None = None
    page: int = Field(default=1, ge=1)
    per_page: int = Field(default=20, ge=1, le=100)


class DayQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    date: dt.date | None = None


class CollectIn(ApiModel):
    paid_via: Literal["card_terminal", "cash"] | None = None


class DropOffIn(ApiModel):
    label: str = Field(min_length=1, max_length=40)


# -- responses ----------------------------------------------------------------------------------------

class MerchantRef(BaseModel):
    id: int
    slug: str
    name: str


class BasketLineOut(BaseModel):
    product_id: int
    name: str
    unit: str
    merchant: MerchantRef
    quantity: int
    available: int
    unit_price_cents: int
    line_total_cents: int


class BasketOut(BaseModel):
    lines: list[BasketLineOut]
    item_count: int
    total_cents: int
    currency: str


class ReorderAdded(BaseModel):
    product_id: int
    quantity: int


class ReorderUnavailable(BaseModel):
    product_id: int | None
    name: str
    reason: Reason


class ReorderOut(BaseModel):
    added: list[ReorderAdded]
    unavailable: list[ReorderUnavailable]
    basket: BasketOut


class AnimationRef(BaseModel):
    id: int
    title: str
    kind: str


class SlotOut(BaseModel):
    id: int
    starts_at: str
    ends_at: str
    capacity: int
    remaining: int
    bookable: bool
    reason: Literal["full", "too_soon"] | None
    animations: list[AnimationRef]


class SlotList(BaseModel):
    items: list[SlotOut]
    page: int
    per_page: int
    total: int


class SlotRef(BaseModel):
    id: int
    starts_at: str
    ends_at: str


class OrderLineOut(BaseModel):
    id: int
    product_id: int | None
    sku: str
    name: str
    unit: str
    unit_price_cents: int
    vat_rate_bp: int
    quantity: int
    line_total_cents: int
    is_refused: bool = False  # refused by the shop while preparing: no longer in the part's subtotal
    refusal_reason: str | None = None


class PartOut(BaseModel):
    id: int
    merchant: MerchantRef
    label: str
    status: str
    subtotal_cents: int
    currency: str
    lines: list[OrderLineOut]


class PaymentOut(BaseModel):
    method: str
    status: str
    paid_via: str | None
    paid_cents: int
    client_secret: str | None = None


class OrderOut(BaseModel):
    id: int
    number: str
    status: str
    pickup_code: str
    pickup_slot: SlotRef
    total_cents: int
    refund_due_cents: int
    currency: str
    created_at: str
    cancellable: bool
    parts: list[PartOut]
    payment: PaymentOut
    receipt_url: str | None = None
    standing_order_id: int | None = None


class OrderList(BaseModel):
    items: list[OrderOut]
    page: int
    per_page: int
    total: int


class ShopOrderRef(BaseModel):
    id: int
    number: str
    status: str
    customer_name: str


class ShopPartOut(BaseModel):
    id: int
    label: str
    order: ShopOrderRef
    pickup_slot: SlotRef
    status: str
    subtotal_cents: int
    currency: str
    lines: list[OrderLineOut]


class DropOffOut(ShopPartOut):
    """A part the desk recorded at the venue, with its shop and whether the whole order is now there."""

    merchant: MerchantRef
    all_at_venue: bool


class ShopPartList(BaseModel):
    items: list[ShopPartOut]
    page: int
    per_page: int
    total: int


class CustomerRef(BaseModel):
    name: str
    email: str


class DeskOrderOut(OrderOut):
    customer: CustomerRef
    all_at_venue: bool


class DeskSlotOut(BaseModel):
    id: int
    starts_at: str
    ends_at: str
    capacity: int
    booked: int
    orders: list[DeskOrderOut]


class PickupDayOut(BaseModel):
    date: str
    slots: list[DeskSlotOut]


# -- builders -----------------------------------------------------------------------------------------

def basket_out(view: BasketView) -> BasketOut:
    return BasketOut(
        lines=[
            BasketLineOut(product_id=line.product.id, name=line.product.name, unit=line.product.unit,
                          merchant=MerchantRef(id=group.shop.id, slug=group.shop.slug, name=group.shop.name),
                          quantity=line.quantity, available=line.available, unit_price_cents=line.unit_price_cents,
                          line_total_cents=line.line_total_cents)
            for group in view.groups for line in group.lines
        ],
        item_count=view.item_count, total_cents=view.total_cents, currency=view.currency,
    )


def reorder_out(result: ReorderResult, view: BasketView) -> ReorderOut:
    return ReorderOut(
        added=[ReorderAdded(product_id=item.product_id, quantity=item.quantity) for item in result.added],
        unavailable=[ReorderUnavailable(product_id=item.product_id, name=item.name, reason=item.reason)
                     for item in result.unavailable],
        basket=basket_out(view),
    )


def slot_out(view: SlotView, animations: list[AnimationRef]) -> SlotOut:
    """A listed slot, with the animations happening during it (given by the caller that composes them)."""
    return SlotOut(id=view.slot.id, starts_at=iso(view.slot.starts_at) or "", ends_at=iso(view.slot.ends_at) or "",
                   capacity=view.slot.capacity, remaining=view.remaining, bookable=view.is_bookable,
                   reason=view.refusal.value if view.refusal else None, animations=animations)


def slot_ref(slot: PickupSlot) -> SlotRef:
    return SlotRef(id=slot.id, starts_at=iso(slot.starts_at) or "", ends_at=iso(slot.ends_at) or "")


def _lines(part: OrderPart) -> list[OrderLineOut]:
    return [OrderLineOut.model_validate(line, from_attributes=True) for line in part.lines]


def part_out(part: OrderPart) -> PartOut:
    return PartOut(id=part.id, merchant=MerchantRef(id=part.shop.id, slug=part.shop.slug, name=part.shop.name),
                   label=part.label, status=part.status, subtotal_cents=part.subtotal_cents, currency=part.currency,
                   lines=_lines(part))


def _order_fields(order: Order) -> dict[str, object]:
    return dict(
        id=order.id, number=order.number, status=order.status, pickup_code=order.pickup_code,
        pickup_slot=slot_ref(order.pickup_slot), total_cents=order.total_cents,
        refund_due_cents=order.refund_due_cents, currency=order.currency, created_at=iso(order.created_at) or "",
        cancellable=is_cancellable(order), parts=[part_out(part) for part in order.parts],
        payment=PaymentOut(method=order.payment_method, status=order.payment_status, paid_via=order.paid_via,
                           paid_cents=order.paid_cents),
        receipt_url=(url_for("payments_pages.receipt", order_id=order.id, _external=True)
                     if order.has_receipt else None),
        standing_order_id=order.standing_order_id,
    )


def order_out(order: Order) -> OrderOut:
    return OrderOut(**_order_fields(order))  # type: ignore[arg-type]


def desk_order_out(order: Order) -> DeskOrderOut:
    return DeskOrderOut(**_order_fields(order), customer=CustomerRef(name=order.user.name, email=order.user.email),  # type: ignore[arg-type]
                        all_at_venue=order.is_all_at_venue)


def shop_part_out(part: OrderPart) -> ShopPartOut:
    order = part.order
    return ShopPartOut(
        id=part.id, label=part.label,
        order=ShopOrderRef(id=order.id, number=order.number, status=order.status, customer_name=order.user.name),
        pickup_slot=slot_ref(order.pickup_slot), status=part.status, subtotal_cents=part.subtotal_cents,
        currency=part.currency, lines=_lines(part),
    )


def drop_off_out(part: OrderPart) -> DropOffOut:
    return DropOffOut(**shop_part_out(part).model_dump(),
                      merchant=MerchantRef(id=part.shop.id, slug=part.shop.slug, name=part.shop.name),
                      all_at_venue=part.order.is_all_at_venue)
