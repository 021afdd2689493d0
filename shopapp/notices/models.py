"""The notice log: one row per (event, recipient, channel), the key that makes delivery exactly-once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopapp.core.db import Base, TimestampMixin

SENDING = "sending"
SENT = "sent"
RETRYING = "retrying"
FAILED = "failed"


class NoticeLog(TimestampMixin, Base):
    __tablename__ = "notice_log"
    __table_args__ = (
        UniqueConstraint("event_key", "recipient", "channel"),
        CheckConstraint("status IN ('sending', 'sent', 'retrying', 'failed')", name="status_known"),
        CheckConstraint("channel IN ('email', 'sms')", name="channel_known"),
        Index("ix_notice_log_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(120))
    recipient: Mapped[str] = mapped_column(String(254))
    channel: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(10), default=SENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    outbox_job_id: Mapped[int | None] = mapped_column(default=None)

    @property
    def is_sent(self) -> bool:
        return self.status == SENT


class NoticePreference(Base):
    """A resident's choice about an optional notice kind (reminders, digests). Absent = receive it."""

    __tablename__ = "notice_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(default=True)
