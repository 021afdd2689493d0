"""Animations, the shops and products they feature, registrations (seats, waitlist, attendance) and
personal calendar feeds.

Pickup slots are not linked by stored rows: an animation's slots are the venue's slots whose UTC
interval overlaps its own (`queries.slots_of`). Slots are generated weeks ahead by a beat task in
`orders`, which must not know about animations; a computed link is never stale and needs no sweep.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopapp.catalog.models import Product, Shop
from shopapp.core.clock import utcnow
from shopapp.core.db import Base, TimestampMixin


class AnimationKind(enum.StrEnum):
    TASTING = "tasting"
    PRODUCT_DISCOVERY = "product_discovery"
    COOKING_WORKSHOP = "cooking_workshop"
    FASHION_SHOW = "fashion_show"
    SHORT_SUPPLY_TALK = "short_supply_talk"
    REPAIR_CAFE = "repair_cafe"
    OTHER = "other"


class AnimationStatus(enum.StrEnum):
    PROPOSED = "proposed"  # proposed by a shop, waiting for the venue's approval
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class Audience(enum.StrEnum):
    EVERYONE = "everyone"
    MEMBERS = "members"


class RegistrationStatus(enum.StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


def _sql_in(values: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class Animation(TimestampMixin, Base):
    """An event at the venue. `seats_taken` changes only by conditional SQL updates (registrations)."""

    __tablename__ = "animation"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_sql_in(AnimationKind)})", name="kind_known"),
        CheckConstraint(f"status IN ({_sql_in(AnimationStatus)})", name="status_known"),
        CheckConstraint(f"audience IN ({_sql_in(Audience)})", name="audience_known"),
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
        CheckConstraint("seats_taken >= 0", name="seats_taken_non_negative"),
        CheckConstraint("seats_taken <= capacity", name="seats_within_capacity"),
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        Index("ix_animation_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(Text, default="")
    image_path: Mapped[str | None] = mapped_column(String(255), default=None)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    capacity: Mapped[int]
    seats_taken: Mapped[int] = mapped_column(default=0)
    audience: Mapped[str] = mapped_column(String(10), default=Audience.EVERYONE)
    status: Mapped[str] = mapped_column(String(10), default=AnimationStatus.DRAFT)
    proposed_by_shop_id: Mapped[int | None] = mapped_column(ForeignKey("shop.id", ondelete="SET NULL"), default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"),
                                                      default=None)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"),
                                                       default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set (by a conditional update) when the reminder job is queued: the sweep queues it once.
    reminders_queued_at: Mapped[datetime | None] = mapped_column(default=None)

    shops: Mapped[list[Shop]] = relationship(secondary="animation_shop", order_by="Shop.name")
    products: Mapped[list[Product]] = relationship(secondary="animation_product", order_by="Product.name")
    proposed_by_shop: Mapped[Shop | None] = relationship(foreign_keys=[proposed_by_shop_id])

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @property
    def is_published(self) -> bool:
        return self.status == AnimationStatus.PUBLISHED

    @property
    def is_members_only(self) -> bool:
        return self.audience == Audience.MEMBERS


class AnimationShop(Base):
    __tablename__ = "animation_shop"
    __table_args__ = (UniqueConstraint("animation_id", "shop_id"), Index("ix_animation_shop_shop_id", "shop_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    animation_id: Mapped[int] = mapped_column(ForeignKey("animation.id", ondelete="CASCADE"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))


class AnimationProduct(Base):
    __tablename__ = "animation_product"
    __table_args__ = (UniqueConstraint("animation_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    animation_id: Mapped[int] = mapped_column(ForeignKey("animation.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))


class Registration(TimestampMixin, Base):
    """A resident's seats at an animation. Waitlisted rows are promoted in `id` order (first come).

    One active (registered or waitlisted) registration per user and animation: a partial unique index.
    """

    __tablename__ = "animation_registration"
    __table_args__ = (
        CheckConstraint(f"status IN ({_sql_in(RegistrationStatus)})", name="status_known"),
        CheckConstraint("seats >= 1", name="seats_positive"),
        Index("ix_animation_registration_animation_id_status", "animation_id", "status"),
        Index("ix_animation_registration_user_id", "user_id"),
        Index("uq_animation_registration_active", "animation_id", "user_id", unique=True,
              sqlite_where=text("status IN ('registered', 'waitlisted')"),
              postgresql_where=text("status IN ('registered', 'waitlisted')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    animation_id: Mapped[int] = mapped_column(ForeignKey("animation.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    seats: Mapped[int]
    status: Mapped[str] = mapped_column(String(12))
    # The order during whose checkout the resident joined (None when registered from the agenda).
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id", ondelete="SET NULL"), default=None)
    promoted_at: Mapped[datetime | None] = mapped_column(default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    checked_in_at: Mapped[datetime | None] = mapped_column(default=None)
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"),
                                                         default=None)

    animation: Mapped[Animation] = relationship()
    user = relationship("User", foreign_keys=[user_id])

    @property
    def is_active(self) -> bool:
        return self.status in (RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED)


class CalendarFeed(Base):
    """A resident's personal iCalendar feed. Only the SHA-256 of the secret is stored; revoking
    deletes the row (the old URL stops working at once)."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WalkIn(Base):
    """People the desk let in without an order or booking: they take seats like registrations do (by
    the same conditional update on `Animation.seats_taken`) and count as present at once."""

    __tablename__ = "animation_walk_in"
    __table_args__ = (
        CheckConstraint("seats >= 1", name="seats_positive"),
        Index("ix_animation_walk_in_animation_id", "animation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    animation_id: Mapped[int] = mapped_column(ForeignKey("animation.id", ondelete="CASCADE"))
    seats: Mapped[int]
    name: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"),
                                                      default=None)

    animation: Mapped[Animation] = relationship()
