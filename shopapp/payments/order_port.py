"""What payments needs from orders, in one small interface (STYLE.md §3: payments → orders).

Orders (issue 4) is being built in parallel; these functions are the seam. Each body below is to be
replaced by a direct call into `shopapp.orders` when it lands (plain imports, no registry). Until then
they raise NotImplementedError, and the payments tests replace them with `monkeypatch`.

Contract for every function: runs inside the caller's transaction, flushes, never commits, and is
idempotent (the webhook may call it again after a crash between Stripe and our commit).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ConfirmOutcome(enum.StrEnum):
    CONFIRMED = "confirmed"  # pending_payment → confirmed, stock and slot kept
    ALREADY_CONFIRMED = "already_confirmed"  # nothing changed
    REALLOCATED = "reallocated"  # the hold had expired; stock and slot were taken again, order confirmed
    UNAVAILABLE = "unavailable"  # the hold had expired and stock or slot is gone: payments refunds the customer


@dataclass(frozen=True)
class PartFacts:
    """What settlement and payouts read about one shop part of an order."""

    part_id: int
    order_id: int
    order_ref: str
    shop_id: int
    subtotal_cents: int
    currency: str
    commission_rate_bps: int  # frozen on the part at checkout
    payment_method: str  # "card" | "at_pickup"
    is_paid: bool
    is_collected: bool


def confirm_paid_order(order_ref: str, payment_intent_id: str, amount_cents: int) -> ConfirmOutcome:
    """Confirm the order whose card payment succeeded (called once per PaymentIntent success).

    If the order is still pending_payment: confirm it. If its hold expired or it was released (failed,
    expired): take stock and slot again if possible (REALLOCATED), else leave it cancelled (UNAVAILABLE;
    the caller then refunds). Orders wiring: `shopapp.orders.fulfilment.confirm_paid(...)`.
    """
    raise NotImplementedError("wire to shopapp.orders when issue 4 lands")


def release_unpaid_order(order_ref: str) -> bool:
    """Cancel a pending_payment order whose payment failed or expired, releasing its stock and slot.

    Returns True if it released now, False if there was nothing to release (already released,
    confirmed, or unknown). Must be exactly-once (a conditional status update).
    """
    raise NotImplementedError("wire to shopapp.orders when issue 4 lands")


def part_facts(part_id: int) -> PartFacts:
    """The facts of one order part. :raise NotFoundError: no such part."""
    raise NotImplementedError("wire to shopapp.orders when issue 4 lands")
