"""A resident's membership of the tiers-lieu, with the consent they gave."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
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
