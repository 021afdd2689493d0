"""A resident's membership of the tiers-lieu, with the consent they gave."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopapp.core.clock import utcnow
from shopapp.core.db import Base


class Membership(Base):
    """One row per member. Leaving deletes the row (nothing is kept about a former member)."""

    __tablename__ = "membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The exact wording the resident agreed to, and when (GDPR art. 7: consent must be demonstrable).
    consent_text: Mapped[str] = mapped_column(String(500))
    consent_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeeMethod(enum.StrEnum):
    DESK = "desk"  # received at the venue's counter (cash)
    CARD = "card"  # paid online by card (Stripe), recorded by the payment's webhook


class MembershipFee(Base):
    """A yearly membership fee received (at the desk or by card): the association's record of it, kept for
    its books (the FEC export) even after the member leaves or deletes their account (the name stays, the
    link goes). One per member and year."""

    __tablename__ = "membership_fee"
    __table_args__ = (
        UniqueConstraint("user_id", "year"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("method IN ('desk', 'card')", name="method_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    member_name: Mapped[str] = mapped_column(String(120))
    year: Mapped[int]
    amount_cents: Mapped[int]
    method: Mapped[str] = mapped_column(String(10), default="desk")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    paid_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Paid by card: the Stripe PaymentIntent (its webhook recorded the fee, once).
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
