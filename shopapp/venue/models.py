"""The venue and its weekly opening hours and exceptions; pickup slots are generated from them."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopapp.core.db import Base


class Venue(Base):
    __tablename__ = "venue"
    __table_args__ = (
        CheckConstraint("slot_capacity > 0", name="slot_capacity_positive"),
        CheckConstraint("slot_minutes > 0", name="slot_minutes_positive"),
        CheckConstraint("no_show_policy IN ('refund', 'fee', 'pay_shops')", name="no_show_policy_known"),
        CheckConstraint("no_show_fee_cents >= 0", name="no_show_fee_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    town: Mapped[str] = mapped_column(String(120), default="", server_default="")
    address: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    latitude: Mapped[float | None] = mapped_column(default=None)
    longitude: Mapped[float | None] = mapped_column(default=None)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    slot_minutes: Mapped[int] = mapped_column(default=30)
    slot_capacity: Mapped[int] = mapped_column(default=12)
    holding_minutes: Mapped[int] = mapped_column(default=2880)
    # The optional yearly membership fee of the venue's association (0: membership is free).
    membership_fee_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    booking_cutoff_minutes: Mapped[int] = mapped_column(default=60)
    # French public holidays (computed, see venue/holidays.py) close the venue unless set otherwise.
    closed_on_public_holidays: Mapped[bool] = mapped_column(default=True)
    # When set by the association, a resident confirms their e-mail address before ordering.
    require_confirmed_email: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A card-paid order nobody collected: "refund" gives it all back, "fee" keeps no_show_fee_cents
    # (never more than was paid), "pay_shops" pays the shops (perishable goods). Applied once per order.
    no_show_policy: Mapped[str] = mapped_column(String(16), default="refund", server_default="refund")
    no_show_fee_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    closed_days: Mapped[list[ClosedDay]] = relationship(cascade="all, delete-orphan", order_by="ClosedDay.day")

    opening_hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="venue", cascade="all, delete-orphan", order_by="OpeningHours.weekday, OpeningHours.opens"
    )

    @property
    def map_url(self) -> str:
        if self.latitude is None or self.longitude is None:
            return ""
        return (
            "https://www.openstreetmap.org/?mlat="
            f"{self.latitude}&mlon={self.longitude}#map=18/{self.latitude}/{self.longitude}"
        )


class OpeningHours(Base):
    """One opening period of a weekday (ISO 1 = Monday), local wall-clock time."""

    __tablename__ = "venue_opening_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday_iso"),
        CheckConstraint("opens < closes", name="opens_before_closes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id", ondelete="CASCADE"))
    weekday: Mapped[int]
    opens: Mapped[time]
    closes: Mapped[time]

    venue: Mapped[Venue] = relationship(back_populates="opening_hours")


class ClosedDay(Base):
    __tablename__ = "venue_closed_day"
    __table_args__ = (UniqueConstraint("venue_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id", ondelete="CASCADE"))
    day: Mapped[date]
    reason: Mapped[str] = mapped_column(String(120), default="")
