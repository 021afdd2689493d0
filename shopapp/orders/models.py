"""Baskets, pickup slots, orders split into one part per shop, their lines and their audit trail."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopapp.catalog.models import Product, Shop
from shopapp.core.clock import utcnow
from shopapp.core.db import Base, TimestampMixin
from shopapp.orders.states import ORDER_STATUS_SQL, PART_STATUS_SQL, OrderStatus, PartStatus

# Codes people read aloud or type at the desk: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LABEL_LENGTH = 6


def new_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def new_label() -> str:
    """A bag label's code: 6 characters of the unambiguous alphabet (31^6, about 887 million)."""
    return new_code(LABEL_LENGTH)


class Basket(TimestampMixin, Base):
    """A resident's basket: one per account, or one per anonymous browser (found by `token`).

    It holds no prices: the basket always shows current prices until checkout snapshots them.
    """

    __tablename__ = "basket"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True, default=None
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lines: Mapped[list[BasketLine]] = relationship(
        back_populates="basket", cascade="all, delete-orphan", order_by="BasketLine.id"
    )


class BasketLine(Base):
    __tablename__ = "basket_line"
    __table_args__ = (
        UniqueConstraint("basket_id", "product_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    basket_id: Mapped[int] = mapped_column(ForeignKey("basket.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    quantity: Mapped[int]

    basket: Mapped[Basket] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()


class PickupSlot(Base):
    """A collection window at the venue. `booked` changes only by conditional SQL updates."""

    __tablename__ = "pickup_slot"
    __table_args__ = (
        UniqueConstraint("venue_id", "starts_at"),
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
        CheckConstraint("booked >= 0", name="booked_non_negative"),
        CheckConstraint("booked <= capacity", name="booked_within_capacity"),
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        Index("ix_pickup_slot_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    capacity: Mapped[int]
    booked: Mapped[int] = mapped_column(default=0)
    # Withdrawn when the venue's calendar no longer has it (a closed day, new hours) while orders still
    # point at it: it is kept for them, and offered to nobody else.
    withdrawn: Mapped[bool] = mapped_column(default=False, server_default=false())

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.booked, 0)


class Order(TimestampMixin, Base):
    __tablename__ = "customer_order"
    __table_args__ = (
        CheckConstraint(f"status IN ({ORDER_STATUS_SQL})", name="status_known"),
        CheckConstraint("payment_method IN ('at_pickup', 'card')", name="payment_method_known"),
        CheckConstraint("total_cents >= 0", name="total_non_negative"),
        CheckConstraint("refund_due_cents >= 0", name="refund_due_non_negative"),
        UniqueConstraint("user_id", "idempotency_key"),
        Index("ix_customer_order_user_id", "user_id"),
        Index("ix_customer_order_pickup_slot_id", "pickup_slot_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    pickup_code: Mapped[str] = mapped_column(String(8), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    pickup_slot_id: Mapped[int] = mapped_column(ForeignKey("pickup_slot.id"))
    status: Mapped[str] = mapped_column(String(20))
    payment_method: Mapped[str] = mapped_column(String(12))
    payment_status: Mapped[str] = mapped_column(String(12))
    paid_via: Mapped[str | None] = mapped_column(String(16), default=None)
    paid_cents: Mapped[int] = mapped_column(default=0)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    total_cents: Mapped[int]
    # Rejected parts of an order paid in advance: what is owed back (payments refunds it).
    refund_due_cents: Mapped[int] = mapped_column(default=0)
    # A card-paid no-show: the venue's no-show policy that applied to it (orders.states.NoShowPolicy).
    no_show_policy: Mapped[str | None] = mapped_column(String(16), default=None)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    idempotency_key: Mapped[str | None] = mapped_column(String(80), default=None)
    collected_at: Mapped[datetime | None] = mapped_column(default=None)
    # The standing order ("mon panier de la semaine") this order is one occurrence of, if any. Standing
    # orders are ended, never deleted, so the reference stays.
    standing_order_id: Mapped[int | None] = mapped_column(ForeignKey("standing_order.id"), default=None)

    user = relationship("User")
    pickup_slot: Mapped[PickupSlot] = relationship()
    parts: Mapped[list[OrderPart]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderPart.id"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.id"
    )

    @property
    def remaining_parts(self) -> list[OrderPart]:
        return [part for part in self.parts if part.is_remaining]

    @property
    def remaining_cents(self) -> int:
        """What the parts still in the order cost (a rejected or cancelled part left it)."""
        return sum(part.subtotal_cents for part in self.remaining_parts)

    @property
    def no_show_refund_cents(self) -> int:
        """A card-paid no-show: what its no-show policy gives back (the rest of `refund_due_cents` is the
        parts that left the order before)."""
        left = sum(part.subtotal_cents for part in self.parts if not part.is_remaining)
        return max(self.refund_due_cents - left, 0)

    @property
    def no_show_fee_cents(self) -> int:
        """A card-paid no-show: what its no-show policy kept."""
        return self.remaining_cents - self.no_show_refund_cents

    @property
    def is_all_at_venue(self) -> bool:
        parts = self.remaining_parts
        return bool(parts) and all(part.status == PartStatus.AT_VENUE for part in parts)

    @property
    def has_receipt(self) -> bool:
        """A receipt exists (payments draws it) once something was paid or the order was collected."""
        return self.status == OrderStatus.COLLECTED or self.paid_cents > 0


class OrderPart(Base):
    """One shop's share of an order: the shop sees this and nothing else of the order."""

    __tablename__ = "order_part"
    __table_args__ = (
        UniqueConstraint("order_id", "shop_id"),
        CheckConstraint(f"status IN ({PART_STATUS_SQL})", name="status_known"),
        CheckConstraint("subtotal_cents >= 0", name="subtotal_non_negative"),
        CheckConstraint("commission_rate_bps >= 0 AND commission_rate_bps <= 10000", name="commission_rate_in_range"),
        Index("ix_order_part_shop_id_status", "shop_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"))
    status: Mapped[str] = mapped_column(String(12), default=PartStatus.RECEIVED)
    subtotal_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    # The association's commission on this part, frozen at checkout (basis points): a later rate
    # change never alters an order already placed. Settlement (payments) reads it.
    commission_rate_bps: Mapped[int] = mapped_column(default=0)
    # The code printed with its QR code on the bag's label: the desk scans or types it on drop-off.
    label: Mapped[str] = mapped_column(String(8), unique=True, default=new_label)
    # A card-paid no-show under the "pay the shops" policy: what its perishable lines cost (the shop is
    # paid for these, the rest is refunded), frozen from the products' flag when the order was marked.
    perishable_cents: Mapped[int | None] = mapped_column(default=None)

    order: Mapped[Order] = relationship(back_populates="parts")
    shop: Mapped[Shop] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="part", cascade="all, delete-orphan", order_by="OrderLine.id"
    )

    @property
    def is_remaining(self) -> bool:
        return self.status not in (PartStatus.REJECTED, PartStatus.CANCELLED)

    @property
    def active_lines(self) -> list[OrderLine]:
        """The lines still to supply: all but those the shop refused."""
        return [line for line in self.lines if not line.is_refused]


class OrderLine(Base):
    """A snapshot of what was bought: name, unit, unit price and VAT rate at checkout time."""

    __tablename__ = "order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_cents >= 0", name="unit_price_non_negative"),
        Index("ix_order_line_part_id", "part_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("order_part.id", ondelete="CASCADE"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="SET NULL"))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(160))
    unit: Mapped[str] = mapped_column(String(20))
    unit_price_cents: Mapped[int]
    vat_rate_bp: Mapped[int]
    quantity: Mapped[int]
    line_total_cents: Mapped[int]
    # Refused by the shop while preparing (out of stock, damaged...): the line stays as a record, its
    # amount has left the part's subtotal and the order's total, its stock went back.
    refused_at: Mapped[datetime | None] = mapped_column(default=None)
    refusal_reason: Mapped[str | None] = mapped_column(String(200), default=None)

    part: Mapped[OrderPart] = relationship(back_populates="lines")

    @property
    def is_refused(self) -> bool:
        return self.refused_at is not None


class OrderEvent(Base):
    """Audit row per status change of an order or of one of its parts: who, when, from, to."""

    __tablename__ = "order_event"
    __table_args__ = (Index("ix_order_event_order_id", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"))
    part_id: Mapped[int | None] = mapped_column(ForeignKey("order_part.id", ondelete="CASCADE"), default=None)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
    note: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")
