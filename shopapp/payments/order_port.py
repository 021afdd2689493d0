"""What payments needs from orders, in one small interface (payments sits above orders and calls it).

Direct calls into `shopapp.orders` (plain imports; payments may import orders, never the reverse).
Contract for every function: runs inside the caller's transaction, flushes, never commits, and is
idempotent (the webhook may call it again after a crash between Stripe and our commit).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shopapp.errors import InvalidTransition, NotFoundError
from shopapp.extensions import db
from shopapp.orders import fulfilment
from shopapp.orders.models import Order, OrderPart
from shopapp.orders.states import NoShowPolicy, OrderPaymentStatus, OrderStatus, PartStatus


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
    # Not collected, but the venue's no-show policy pays the shop for its perishable goods.
    is_paid_as_no_show: bool = False
    # A no-show under that policy: what the part's perishable lines cost (its shop is paid for these).
    perishable_cents: int | None = None


def confirm_paid_order(order_ref: str, payment_intent_id: str, amount_cents: int) -> ConfirmOutcome:
    """Confirm the order whose card payment succeeded (called once per PaymentIntent success).

    If the order is still pending_payment: confirm it. If its hold expired or it was released (failed,
    expired): take stock and slot again if possible (REALLOCATED), else leave it cancelled (UNAVAILABLE;
    the caller then refunds). An unknown reference is UNAVAILABLE too (refund rather than keep money).
    """
    order_id = _order_id(order_ref)
    if order_id is None:
        return ConfirmOutcome.UNAVAILABLE
    status = db.session.scalar(select(Order.status).where(Order.id == order_id))
    if status == OrderStatus.PENDING_PAYMENT:
        try:
            fulfilment.confirm_order(order_id)
        except InvalidTransition:  # moved under our feet: decide again from the state it reached
            return confirm_paid_order(order_ref, payment_intent_id, amount_cents)
        return ConfirmOutcome.CONFIRMED
    if status == OrderStatus.CANCELLED:
        return ConfirmOutcome.REALLOCATED if fulfilment.reinstate_paid_order(order_id) else ConfirmOutcome.UNAVAILABLE
    return ConfirmOutcome.ALREADY_CONFIRMED


def release_unpaid_order(order_ref: str) -> bool:
    """Cancel a pending_payment order whose payment failed or expired, releasing its stock and slot.

    Returns True if it released now, False if there was nothing to release (already released,
    confirmed, or unknown). Must be exactly-once (a conditional status update).
    """
    order_id = _order_id(order_ref)
    if order_id is None:
        return False
    if db.session.scalar(select(Order.status).where(Order.id == order_id)) != OrderStatus.PENDING_PAYMENT:
        return False
    try:
        fulfilment.cancel_order(order_id, actor_id=None, note="paiement non reçu")
    except InvalidTransition:
        return False
    return True


def part_facts(part_id: int) -> PartFacts:
    """The facts of one order part. :raise NotFoundError: no such part."""
    row = db.session.execute(
        select(OrderPart, Order).join(Order, Order.id == OrderPart.order_id).where(OrderPart.id == part_id)
    ).first()
    if row is None:
        raise NotFoundError(str(_l("Commande introuvable.")))
    part, order = row
    return PartFacts(
        part_id=part.id,
        order_id=order.id,
        order_ref=order.number,
        shop_id=part.shop_id,
        subtotal_cents=part.subtotal_cents,
        currency=part.currency,
        commission_rate_bps=part.commission_rate_bps,
        payment_method=order.payment_method,
        is_paid=order.payment_status == OrderPaymentStatus.PAID,
        is_collected=order.status == OrderStatus.COLLECTED and part.is_remaining,
        is_paid_as_no_show=(order.status == OrderStatus.NO_SHOW and order.no_show_policy == NoShowPolicy.PAY_SHOPS
                            and part.is_remaining and (part.perishable_cents or 0) > 0),
        perishable_cents=(part.perishable_cents if order.status == OrderStatus.NO_SHOW
                          and order.no_show_policy == NoShowPolicy.PAY_SHOPS else None),
    )


def order_parts(order_id: int) -> list[PartFacts]:
    """The facts of every part of an order, in part order."""
    ids = db.session.scalars(select(OrderPart.id).where(OrderPart.order_id == order_id).order_by(OrderPart.id))
    return [part_facts(part_id) for part_id in ids]


def part_is_supplied(part_id: int) -> bool:
    """False for a part that will never reach the customer: rejected by its shop or cancelled."""
    status = db.session.scalar(select(OrderPart.status).where(OrderPart.id == part_id))
    return status not in (PartStatus.REJECTED, PartStatus.CANCELLED)


def no_show_refund_due(order_id: int) -> int | None:
    """What a no-show order is owed back under the venue's policy (decided when it was marked), or None
    for an order that is not a no-show."""
    order = db.session.get(Order, order_id)
    if order is None or order.status != OrderStatus.NO_SHOW:
        return None
    return order.no_show_refund_cents


def no_show_fee_due(order_id: int) -> int:
    """What a no-show order's policy keeps as a fee (0 unless "refund minus a fee")."""
    order = db.session.get(Order, order_id)
    if order is None or order.status != OrderStatus.NO_SHOW or order.no_show_policy != NoShowPolicy.FEE:
        return 0
    return order.no_show_fee_cents


def order_ref_of(order_id: int) -> str | None:
    return db.session.scalar(select(Order.number).where(Order.id == order_id))


def _order_id(order_ref: str) -> int | None:
    return db.session.scalar(select(Order.id).where(Order.number == order_ref))
