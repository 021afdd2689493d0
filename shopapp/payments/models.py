"""Payments, Stripe events received, the append-only ledger, payouts, refunds, commission-rate audit,
legal identities and the commission invoices."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from shopapp.core.clock import utcnow
from shopapp.core.db import Base, TimestampMixin


def _sql_in(values: type[enum.StrEnum]) -> str:
    return "(" + ", ".join(f"'{v.value}'" for v in values) + ")"


class CardPaymentStatus(enum.StrEnum):
    """Where a Payment row stands: a card payment attempt, or the money taken at the desk. The order's own
    payment status (due, paid, void…) is `orders.states.OrderPaymentStatus`."""

    PENDING = "pending"  # card: PaymentIntent open, stock and slot held until hold_expires_at
    SUCCEEDED = "succeeded"  # money received (card webhook, or the desk at collection)
    FAILED = "failed"  # Stripe reported the attempt failed; the order was released
    EXPIRED = "expired"  # the hold ran out before any success; the order was released


class LedgerKind(enum.StrEnum):
    SALE = "sale"  # + part subtotal paid by card
    PICKUP_RECEIPT = "pickup_receipt"  # + part subtotal paid at the desk
    COMMISSION = "commission"  # − commission (+ when given back on a refund)
    COMMISSION_VAT = "commission_vat"  # − VAT on the commission, withheld with it (+ when given back)
    PAYOUT = "payout"  # − net amount transferred to the shop's Stripe account
    REFUND = "refund"  # − amount given back to the customer for this part
    TRANSFER_REVERSAL = "transfer_reversal"  # + amount taken back from the shop's transfer
    RECEIVABLE = "receivable"  # memo: a reversal we could not make; the negative balance is owed


# Memo kinds are shown on statements but do not move the balance (see payments/ledger.py). The VAT on
# the commission is not one: the commission is withheld VAT included (its TTC amount).
MEMO_KINDS = frozenset({LedgerKind.RECEIVABLE})


class PayoutStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    # Waiting for the shop to finish its Stripe onboarding; paid once its account can receive payouts.
    HELD = "held"


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Payment(TimestampMixin, Base):
    """One per order. Card payments carry their PaymentIntent id; amounts in cents, never decreasing."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("method IN ('card', 'at_pickup')", name="method_known"),  # orders.states.PaymentMethod
        CheckConstraint(f"status IN {_sql_in(CardPaymentStatus)}", name="status_known"),
        CheckConstraint("amount_cents >= 0", name="amount_non_negative"),
        CheckConstraint("amount_captured_cents >= 0", name="captured_non_negative"),
        CheckConstraint("amount_refunded_cents >= 0", name="refunded_non_negative"),
        CheckConstraint("amount_refunded_cents <= amount_captured_cents", name="refunded_within_captured"),
        Index("ix_payment_status_hold", "status", "hold_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), unique=True)
    order_ref: Mapped[str] = mapped_column(String(40), unique=True)
    method: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), default=CardPaymentStatus.PENDING)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    # The charge that paid the intent: transfers name it as their source_transaction.
    stripe_charge_id: Mapped[str | None] = mapped_column(String(255), default=None)
    amount_cents: Mapped[int]
    amount_captured_cents: Mapped[int] = mapped_column(default=0)
    amount_refunded_cents: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    hold_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    succeeded_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def refundable_cents(self) -> int:
        return self.amount_captured_cents - self.amount_refunded_cents


class StripeEvent(Base):
    """A Stripe event already handled: inserted in the same transaction as its effect (exactly once)."""

    __tablename__ = "stripe_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(80))
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), default=None, index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[str] = mapped_column(String(40), default="")


class LedgerEntry(Base):
    """Append-only posting for one shop part, signed from the shop's side (+ owed to the shop).

    Unique per (part, kind, reference): posting the same thing twice is a no-op (payments/ledger.py).
    """

    __tablename__ = "ledger_entry"
    __table_args__ = (
        UniqueConstraint("part_id", "kind", "reference"),
        CheckConstraint(f"kind IN {_sql_in(LedgerKind)}", name="kind_known"),
        Index("ix_ledger_entry_shop_created", "shop_id", "created_at"),
        Index("ix_ledger_entry_order_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"))
    part_id: Mapped[int] = mapped_column(ForeignKey("order_part.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"))
    kind: Mapped[str] = mapped_column(String(20))
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    reference: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Payout(TimestampMixin, Base):
    """The one transfer of a shop part's net amount to the shop's connected account."""

    __tablename__ = "payout"
    __table_args__ = (
        CheckConstraint(f"status IN {_sql_in(PayoutStatus)}", name="status_known"),
        CheckConstraint("amount_cents >= 0", name="amount_non_negative"),
        CheckConstraint("amount_reversed_cents >= 0", name="reversed_non_negative"),
        CheckConstraint("amount_reversed_cents <= amount_cents", name="reversed_within_amount"),
        Index("ix_payout_shop_id", "shop_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("order_part.id"), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"))
    amount_cents: Mapped[int]
    amount_reversed_cents: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    stripe_transfer_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    status: Mapped[str] = mapped_column(String(12), default=PayoutStatus.PENDING)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)


class Refund(TimestampMixin, Base):
    """Money given back to a customer on the platform charge: a whole order, one part, or some lines."""

    __tablename__ = "refund"
    __table_args__ = (
        CheckConstraint(f"status IN {_sql_in(RefundStatus)}", name="status_known"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        Index("ix_refund_order_id", "order_id"),
        Index("ix_refund_part_id", "part_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"))
    part_id: Mapped[int | None] = mapped_column(ForeignKey("order_part.id"), default=None)
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    reason: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(12), default=RefundStatus.PENDING)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)


class NoShowFee(Base):
    """The fee the association kept on a card-paid order nobody collected, under the "refund minus a fee"
    policy: its own income (it sells the click-and-collect service; no shop sold anything), VAT included
    at the commission's VAT rate. One row per order, written once when the worker applies the policy
    (payments/no_show.py); never changed. Outside the shops' ledger, like the members' fees."""

    __tablename__ = "no_show_fee"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("ht_cents >= 0 AND vat_cents >= 0", name="parts_non_negative"),
        CheckConstraint("ht_cents + vat_cents = amount_cents", name="amounts_add_up"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), unique=True)
    amount_cents: Mapped[int]  # TTC: what was kept of the resident's payment
    ht_cents: Mapped[int]
    vat_cents: Mapped[int]
    vat_rate_bps: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MembershipCardPayment(Base):
    """A member's yearly fee being paid by card: the PaymentIntent opened for (member, year), one per
    member and year (a second press finds it again). The fee itself is recorded in the members' books
    (`members.MembershipFee`, method card) by the `payment_intent.succeeded` webhook, once."""

    __tablename__ = "membership_card_payment"
    __table_args__ = (
        UniqueConstraint("user_id", "year"),
        CheckConstraint(f"status IN {_sql_in(CardPaymentStatus)}", name="status_known"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    year: Mapped[int]
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    status: Mapped[str] = mapped_column(String(12), default=CardPaymentStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    succeeded_at: Mapped[datetime | None] = mapped_column(default=None)


class CommissionRateChange(Base):
    """Audit of commission rates set by the association.

    `shop_id` NULL: the platform default (the newest row is in force); otherwise a shop override, whose
    current value lives on `Shop.commission_rate_bps` (`new_rate_bps` NULL: override removed).
    """

    __tablename__ = "commission_rate_change"
    __table_args__ = (
        CheckConstraint("new_rate_bps IS NULL OR (new_rate_bps >= 0 AND new_rate_bps <= 10000)", name="new_in_range"),
        CheckConstraint("shop_id IS NOT NULL OR new_rate_bps IS NOT NULL", name="platform_rate_present"),
        Index("ix_commission_rate_change_shop_id", "shop_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"), default=None)
    old_rate_bps: Mapped[int | None] = mapped_column(default=None)
    new_rate_bps: Mapped[int | None] = mapped_column(default=None)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(String(255), default="")


class LegalIdentity(TimestampMixin, Base):
    """Who issues or receives a commission invoice: the association (`shop_id` NULL) or one shop."""

    __tablename__ = "legal_identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"), unique=True, default=None)
    name: Mapped[str] = mapped_column(String(160), default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    siret: Mapped[str] = mapped_column(String(14), default="")
    vat_number: Mapped[str] = mapped_column(String(20), default="")


class InvoiceKind(enum.StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class InvoiceCounter(Base):
    """The one continuous sequence of invoice and credit-note numbers: `next_number` is the next to take."""

    __tablename__ = "invoice_counter"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    next_number: Mapped[int]


class CommissionInvoice(Base):
    """An issued commission invoice (one per shop per month) or credit note; never changes once issued.

    Both parties' identities are copied at issue, so a later change of address leaves it as it was.
    Amounts in cents: positive on an invoice, negative on a credit note. `issue_key` is unique: one
    invoice per shop and month (`invoice:<shop>:<YYYY-MM>`).
    """

    __tablename__ = "commission_invoice"
    __table_args__ = (
        CheckConstraint(f"kind IN {_sql_in(InvoiceKind)}", name="kind_known"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("total_ttc_cents = commission_ht_cents + vat_cents", name="totals_add_up"),
        Index("ix_commission_invoice_shop_month", "shop_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    issue_key: Mapped[str] = mapped_column(String(80), unique=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"))
    month: Mapped[date]
    issue_date: Mapped[date]
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    credits_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("commission_invoice.id"), default=None)
    reason: Mapped[str] = mapped_column(String(255), default="")
    seller_name: Mapped[str] = mapped_column(String(160))
    seller_address: Mapped[str] = mapped_column(String(255))
    seller_siret: Mapped[str] = mapped_column(String(14))
    seller_vat_number: Mapped[str] = mapped_column(String(20))
    buyer_name: Mapped[str] = mapped_column(String(160))
    buyer_address: Mapped[str] = mapped_column(String(255))
    buyer_siret: Mapped[str] = mapped_column(String(14))
    buyer_vat_number: Mapped[str] = mapped_column(String(20))
    sales_cents: Mapped[int]
    commission_ht_cents: Mapped[int]
    vat_rate_bps: Mapped[int]
    vat_cents: Mapped[int]
    total_ttc_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    payment_terms: Mapped[str] = mapped_column(String(255))

    @property
    def display_number(self) -> str:
        prefix = "AV" if self.kind == InvoiceKind.CREDIT_NOTE else "FA"
        return f"{prefix}-{self.number:06d}"


class AccountingAccount(Base):
    """One account of the association's small chart of accounts (payments/fec.py), by role key."""

    __tablename__ = "accounting_account"

    key: Mapped[str] = mapped_column(String(20), primary_key=True)
    number: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(120))


class InvoiceImmutable(Exception):
    """An issued invoice or credit note was about to be changed or deleted."""


@event.listens_for(CommissionInvoice, "before_update")
def _refuse_update(_mapper, _connection, target) -> None:  # type: ignore[no-untyped-def]
    raise InvoiceImmutable(f"invoice {target.number} is issued and cannot change; issue a credit note")


@event.listens_for(CommissionInvoice, "before_delete")
def _refuse_delete(_mapper, _connection, target) -> None:  # type: ignore[no-untyped-def]
    raise InvoiceImmutable(f"invoice {target.number} is issued and cannot be deleted; issue a credit note")
