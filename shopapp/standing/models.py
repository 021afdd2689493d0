"""A resident's standing order, its lines, and one row per pickup date it reached (its occurrences).

An occurrence row exists for every date the worker handled or the resident skipped, under a UNIQUE
(standing_order_id, pickup_date): two beats racing for the same date insert one row, so one order.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopapp.catalog.models import Product
from shopapp.core.clock import utcnow
from shopapp.core.db import Base, TimestampMixin


class StandingStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class OccurrenceOutcome(enum.StrEnum):
    """What became of one pickup date."""

    PLACED = "placed"  # an order exists (perhaps reduced, or at another slot that day: see `detail`)
    AWAITING_PAYMENT = "awaiting_payment"  # an order exists; the card needs the resident (3-D Secure)
    SKIPPED_BY_RESIDENT = "skipped_by_resident"
    NOTHING_AVAILABLE = "nothing_available"  # every product sold out, withdrawn or its shop closed: no order
    NO_SLOT = "no_slot"  # the slot and every other slot that day full or closed: no order
    PAYMENT_FAILED = "payment_failed"  # the saved card was declined (or none saved): no order


OUTCOMES_SQL = ", ".join(f"'{o.value}'" for o in OccurrenceOutcome)
STATUSES_SQL = ", ".join(f"'{s.value}'" for s in StandingStatus)


class StandingOrder(TimestampMixin, Base):
    """Every `every_weeks` weeks from `anchor_date`, on ISO `weekday` at the venue's local `pickup_time`."""

    __tablename__ = "standing_order"
    __table_args__ = (
        CheckConstraint(f"status IN ({STATUSES_SQL})", name="status_known"),
        CheckConstraint("every_weeks IN (1, 2)", name="every_one_or_two_weeks"),
        CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday_iso"),
        CheckConstraint("payment_method IN ('at_pickup', 'card')", name="payment_method_known"),
        Index("ix_standing_order_user_id", "user_id"),
        Index("ix_standing_order_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12), default=StandingStatus.ACTIVE)
    every_weeks: Mapped[int]
    weekday: Mapped[int]
    pickup_time: Mapped[time]
    # The first pickup date: occurrences fall on anchor_date + k × every_weeks weeks.
    anchor_date: Mapped[date]
    payment_method: Mapped[str] = mapped_column(String(12))
    # Card: the Stripe customer, the SetupIntent that saves the card, and the saved card once set up.
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64), default=None)
    stripe_setup_intent_id: Mapped[str | None] = mapped_column(String(64), default=None)
    stripe_payment_method_id: Mapped[str | None] = mapped_column(String(64), default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)

    lines: Mapped[list[StandingOrderLine]] = relationship(
        back_populates="standing_order", cascade="all, delete-orphan", order_by="StandingOrderLine.id"
    )
    occurrences: Mapped[list[StandingOccurrence]] = relationship(
        back_populates="standing_order", cascade="all, delete-orphan", order_by="StandingOccurrence.pickup_date"
    )


class StandingOrderLine(Base):
    __tablename__ = "standing_order_line"
    __table_args__ = (
        UniqueConstraint("standing_order_id", "product_id"),
        CheckConstraint("quantity BETWEEN 1 AND 99", name="quantity_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    standing_order_id: Mapped[int] = mapped_column(ForeignKey("standing_order.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    quantity: Mapped[int]

    standing_order: Mapped[StandingOrder] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()


class StandingOccurrence(Base):
    __tablename__ = "standing_occurrence"
    __table_args__ = (
        UniqueConstraint("standing_order_id", "pickup_date"),
        CheckConstraint(f"outcome IN ({OUTCOMES_SQL})", name="outcome_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    standing_order_id: Mapped[int] = mapped_column(ForeignKey("standing_order.id", ondelete="CASCADE"))
    pickup_date: Mapped[date]
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id", ondelete="SET NULL"), default=None)
    outcome: Mapped[str] = mapped_column(String(24))
    # What the resident is told: lines reduced or left out, the slot moved to, why it was skipped.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    standing_order: Mapped[StandingOrder] = relationship(back_populates="occurrences")
