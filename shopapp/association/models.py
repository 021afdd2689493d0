"""The association's records: applications, decisions, invitations, acting log, nominations, setting changes."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopapp.core.clock import utcnow
from shopapp.core.db import Base


class ApplicationStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    INFO_REQUESTED = "info_requested"
    APPROVED = "approved"
    REFUSED = "refused"


class DecisionAction(enum.StrEnum):
    APPROVE = "approve"
    REQUEST_INFO = "request_info"
    REFUSE = "refuse"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    STAFF_INVITED = "staff_invited"
    STAFF_REMOVED = "staff_removed"
    NOMINATION_STATUS = "nomination_status"


class NominationStatus(enum.StrEnum):
    OPEN = "open"
    CONTACTED = "contacted"
    JOINED = "joined"


class ShopApplication(Base):
    """A shop's request to join the platform, waiting in the association's queue."""

    __tablename__ = "shop_application"
    __table_args__ = (
        CheckConstraint("status IN ('submitted', 'info_requested', 'approved', 'refused')", name="status_known"),
        CheckConstraint("length(siret) = 14", name="siret_length"),
        Index("ix_shop_application_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_name: Mapped[str] = mapped_column(String(120))
    trade: Mapped[str] = mapped_column(String(60))
    address: Mapped[str] = mapped_column(String(255))
    contact_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40))
    siret: Mapped[str] = mapped_column(String(14))
    sells: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ApplicationStatus.SUBMITTED)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shop.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)


class ShopDecision(Base):
    """Audit of every association decision: what, about which shop / application / nomination, who, why, when."""

    __tablename__ = "shop_decision"
    __table_args__ = (
        CheckConstraint(
            "shop_id IS NOT NULL OR application_id IS NOT NULL OR nomination_id IS NOT NULL", name="has_subject"
        ),
        Index("ix_shop_decision_shop_id", "shop_id", "id"),
        Index("ix_shop_decision_application_id", "application_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(32))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"), default=None)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("shop_application.id", ondelete="CASCADE"), default=None
    )
    nomination_id: Mapped[int | None] = mapped_column(ForeignKey("nomination.id", ondelete="CASCADE"), default=None)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    actor = relationship("User")


class Invitation(Base):
    """An e-mailed invitation to a shop's team, or (`role` set, no shop) to a venue role: venue staff or
    admin. `needs_password`: the account was made for it, and the signed link (single use:
    `accepted_at`) lets its owner choose a password."""

    __tablename__ = "shop_invitation"
    __table_args__ = (Index("ix_shop_invitation_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    role: Mapped[str | None] = mapped_column(String(20), default=None)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    is_owner: Mapped[bool] = mapped_column(default=False)
    needs_password: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)


class ActingLog(Base):
    """A state-changing request an admin made while acting for a shop: both identities, and what."""

    __tablename__ = "acting_log"
    __table_args__ = (Index("ix_acting_log_shop_id", "shop_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    endpoint: Mapped[str] = mapped_column(String(120), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    admin = relationship("User")


class Nomination(Base):
    """A shop residents would like to see on the platform."""

    __tablename__ = "nomination"
    __table_args__ = (CheckConstraint("status IN ('open', 'contacted', 'joined')", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    trade: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(Text, default="")
    nominated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=NominationStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NominationSupport(Base):
    """One resident's support of a nomination: at most one per resident (unique constraint)."""

    __tablename__ = "nomination_support"
    __table_args__ = (UniqueConstraint("nomination_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nomination.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SettingChange(Base):
    """Audit of a venue setting change by the association (commission rates are audited by payments)."""

    __tablename__ = "setting_change"
    __table_args__ = (Index("ix_setting_change_key", "key", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    old_value: Mapped[str] = mapped_column(Text, default="")
    new_value: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    actor = relationship("User")


class RoleChangeAction(enum.StrEnum):
    INVITED = "invited"
    GRANTED = "granted"
    REMOVED = "removed"


class RoleChange(Base):
    """Audit of the association giving or removing a role: whose (the address is kept if the account
    goes), which role, who did it, when."""

    __tablename__ = "role_change"
    __table_args__ = (CheckConstraint("action IN ('invited', 'granted', 'removed')", name="action_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    actor = relationship("User", foreign_keys=[actor_id])


class LegalText(Base):
    """A legal page's text as the association wrote it (CGV, mentions légales, privacy); none stored, the
    page shows the default text of `association.legal`."""

    __tablename__ = "legal_text"
    __table_args__ = (CheckConstraint("key IN ('cgv', 'mentions', 'privacy')", name="key_known"),)

    key: Mapped[str] = mapped_column(String(16), primary_key=True)
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"),
                                                      default=None)
