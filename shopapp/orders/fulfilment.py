"""After checkout: confirmation, cancellation, shop parts moving to the venue, collection, no-shows.

Every function here locks the order row first (`_lock_order`), then stock rows and the slot row, the
lock order documented in `placement.py`. Two shops dropping their parts at the venue at the same
moment therefore queue on the order row, and the second one sees the first part `at_venue`: the order
becomes ready exactly once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from shopapp.catalog import stock
from shopapp.catalog.models import Product
from shopapp.catalog.stock import StockLine
from shopapp.core import outbox
from shopapp.core.clock import as_utc, utcnow
from shopapp.errors import InsufficientStock, InvalidTransition, NotFoundError, SlotFull, ValidationFailed
from shopapp.extensions import db
from shopapp.orders import events, slots
from shopapp.orders.models import Order, OrderEvent, OrderLine, OrderPart, PickupSlot
from shopapp.orders.placement import emit_confirmation
from shopapp.orders.states import (
    NoShowPolicy,
    OrderPaymentStatus,
    OrderStatus,
    PaidVia,
    PartStatus,
    PaymentMethod,
)
from shopapp.venue.models import Venue

# Paid money to give back (a rejected part, a cancelled paid order): payments refunds it, once per
# part (worker/tasks/payments.py). An outbox job because orders sits below payments and never imports it.
REFUND_DUE_TASK = "orders.refund_due"  # order_id
# The amount of one line a shop refused, on a paid card order: payments refunds it, once per line.
LINE_REFUND_DUE_TASK = "orders.line_refund_due"  # order_id, line_id

# How the desk recorded a drop-off (in the audit row's note): the bag's label scanned or typed, or by
# hand from the order page, with a reason.
DROP_OFF_SCAN = "étiquette"
DROP_OFF_MANUAL = "saisie manuelle"

# A card-paid order nobody collected: payments gives back `refund_due_cents` (the venue's no-show
# policy, decided when the order is marked no-show), once per order.
NO_SHOW_REFUND_TASK = "orders.no_show_refund"  # order_id


def _lock_order(order_id: int) -> Order:
    order = db.session.scalar(
        select(Order).where(Order.id == order_id).with_for_update().execution_options(populate_existing=True)
    )
    if order is None:
        raise NotFoundError("Commande introuvable.")
    # Re-read the parts now that the order is locked: a copy loaded before the lock may be stale.
    db.session.scalars(
        select(OrderPart).where(OrderPart.order_id == order_id).execution_options(populate_existing=True)
    ).all()
    return order


def _stock_lines(parts: list[OrderPart]) -> list[StockLine]:
    return [StockLine(line.product_id, line.quantity) for part in parts for line in part.active_lines
            if line.product_id is not None]


def confirm_order(order_id: int, *, actor_id: int | None = None) -> Order:
    """`pending_payment → confirmed` (the payments webhook calls this), then notify resident and shops.
    Flushes. :raise InvalidTransition: not pending payment."""
    order = _lock_order(order_id)
    events.change_order_status(order, OrderStatus.CONFIRMED, actor_id=actor_id)
    if order.payment_method == PaymentMethod.CARD:
        _record_card_payment(order)
    emit_confirmation(order)
    db.session.flush()
    return order


def _record_card_payment(order: Order) -> None:
    order.payment_status = OrderPaymentStatus.PAID
    order.paid_via = PaidVia.CARD_ONLINE
    order.paid_cents = order.total_cents
    order.paid_at = utcnow()


def reinstate_paid_order(order_id: int, *, now: datetime | None = None) -> bool:
    """A card payment succeeded after its hold had expired and the order was cancelled for it: take the
    stock and the slot place again and confirm the order, if both are still available. Flushes.

    This is the one way out of `cancelled`, and only for an unpaid card order whose every part was
    cancelled with it (not rejected by a shop): the order never started, the customer has now paid,
    and giving them what they paid for beats a refund. The statuses move by conditional UPDATEs with
    audit rows, as `events.change_*_status` do, outside the general transition map on purpose
    (nobody else may revive a cancelled order). Returns False, changing nothing, when stock or slot
    is gone, the slot has started, or the order is not such an order (the caller then refunds).
    :raise NotFoundError: no such order.
    """
    order = _lock_order(order_id)
    parts = list(order.parts)
    if (order.status != OrderStatus.CANCELLED or order.payment_method != PaymentMethod.CARD
            or order.payment_status == OrderPaymentStatus.PAID
            or not parts or any(part.status != PartStatus.CANCELLED for part in parts)):
        return False
    if as_utc(order.pickup_slot.starts_at) <= (now or utcnow()):
        return False
    try:
        with db.session.begin_nested():  # a partial allocation must not survive a refusal
            stock.allocate(_stock_lines(parts))
            slots.take_place(order.pickup_slot_id)
    except (InsufficientStock, SlotFull):
        return False
    for part in parts:
        _revive(OrderPart, part.id, PartStatus.CANCELLED, PartStatus.RECEIVED, order_id=order.id, part_id=part.id)
    _revive(Order, order.id, OrderStatus.CANCELLED, OrderStatus.CONFIRMED, order_id=order.id, part_id=None)
    db.session.expire(order)
    order = _lock_order(order_id)
    _record_card_payment(order)
    emit_confirmation(order)
    db.session.flush()
    return True


def _revive(model: type[Order] | type[OrderPart], row_id: int, old: str, new: str, *, order_id: int,
            part_id: int | None) -> None:
    result = db.session.execute(
        update(model).where(model.id == row_id, model.status == old).values(status=new)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidTransition("La commande vient d'être modifiée par ailleurs. Rechargez la page.")
    db.session.add(OrderEvent(order_id=order_id, part_id=part_id, from_status=old, to_status=new,
                              note="paiement reçu après l'expiration de la réservation"))


def release_order_holds(order: Order) -> None:
    """Give back the stock still held by the order's remaining parts and its place in the slot. Flushes.
    Call with the order row locked, before the status change that ends the order."""
    stock.release(_stock_lines(order.remaining_parts))
    slots.give_back_place(order.pickup_slot_id)


def is_cancellable(order: Order) -> bool:
    """A resident may cancel until a shop starts preparing."""
    return order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.CONFIRMED) and all(
        part.status in (PartStatus.RECEIVED, PartStatus.REJECTED) for part in order.parts
    )


def cancel_order(order_id: int, *, actor_id: int | None, owner_id: int | None = None, note: str = "") -> Order:
    """Cancel an order no shop has started preparing: stock and slot place are released, received parts
    become cancelled, the shops are told (outbox). Flushes.

    :raise NotFoundError: no such order (or, with `owner_id`, not that resident's).
    :raise InvalidTransition: a part is already being prepared, or the order is past cancellation.
    """
    order = _lock_order(order_id)
    if owner_id is not None and order.user_id != owner_id:
        raise NotFoundError("Commande introuvable.")
    if not is_cancellable(order):
        raise InvalidTransition(
            "Cette commande ne peut plus être annulée : sa préparation a commencé.", code="not_cancellable"
        )
    release_order_holds(order)
    for part in order.remaining_parts:
        events.change_part_status(part, PartStatus.CANCELLED, actor_id=actor_id)
    events.change_order_status(order, OrderStatus.CANCELLED, actor_id=actor_id, note=note)
    order.payment_status = OrderPaymentStatus.VOID if order.paid_cents == 0 else order.payment_status
    outbox.enqueue(events.ORDER_CANCELLED_TASK, order_id=order.id)
    if order.paid_cents > 0:
        order.refund_due_cents = order.paid_cents
        outbox.enqueue(REFUND_DUE_TASK, order_id=order.id)
    db.session.flush()
    return order


def can_change_slot(order: Order) -> bool:
    """A resident may move a confirmed or ready order to another slot until it is collected."""
    return order.status in (OrderStatus.CONFIRMED, OrderStatus.READY_FOR_PICKUP)


def change_pickup_slot(order_id: int, slot_id: int, *, owner_id: int, now: datetime | None = None) -> Order:
    """Move the resident's order to another pickup slot: a place is taken there and given back in the
    old one (both by conditional updates, in slot id order so two opposite moves cannot deadlock), an
    audit row is written and the resident and the shops still preparing are told (outbox). Flushes.

    The new slot must leave the shops still to start their part their preparation time; a ready order
    only needs the booking cut-off.
    :raise NotFoundError: not this resident's order, or no such slot.
    :raise InvalidTransition: the order is collected, cancelled, a no-show or still awaiting payment.
    :raise ValidationFailed: the same slot. :raise SlotFull: full, too soon or withdrawn.
    """
    order = _lock_order(order_id)
    if order.user_id != owner_id:
        raise NotFoundError("Commande introuvable.")
    if not can_change_slot(order):
        raise InvalidTransition("Le créneau de cette commande ne peut plus être changé.", code="slot_not_changeable")
    old = order.pickup_slot_id
    if slot_id == old:
        raise ValidationFailed("C'est déjà le créneau de votre commande.", fields={"pickup_slot_id": "inchangé"})
    waiting = [part.shop_id for part in order.remaining_parts if part.status == PartStatus.RECEIVED]
    slots.check_bookable(slot_id, lead_minutes=slots.lead_minutes_for_shops(waiting), now=now or utcnow(),
                         closed_weekdays=slots.closed_weekdays_for_shops(waiting))
    for moved in sorted((old, slot_id)):
        if moved == slot_id:
            slots.take_place(slot_id)
        else:
            slots.give_back_place(old)
    db.session.execute(
        update(Order).where(Order.id == order.id, Order.pickup_slot_id == old).values(pickup_slot_id=slot_id)
        .execution_options(synchronize_session=False)
    )
    db.session.add(OrderEvent(order_id=order.id, from_status=order.status, to_status=order.status,
                              actor_id=owner_id, note=f"créneau {old} → {slot_id}"))
    db.session.flush()
    db.session.expire(order)
    outbox.enqueue(events.PICKUP_MOVED_TASK, order_id=order.id, slot_id=slot_id)
    return order


def set_part_status(part_id: int, new_status: str, *, shop_id: int, actor_id: int | None) -> OrderPart:
    """A shop moves its part: preparing, ready, at_venue, or rejected (out of stock). Flushes.

    Rejected: the part's stock is released, its amount leaves the order total (owed back if paid in
    advance), the resident is told; when no part remains the order is cancelled and its slot freed.
    When every remaining part is at the venue, the order becomes `ready_for_pickup` and the resident is told.

    :raise NotFoundError: the part is not this shop's.
    :raise ValidationFailed: unknown status.
    :raise InvalidTransition: not allowed now (order not confirmed, or illegal part transition).
    """
    try:
        new = PartStatus(new_status)
    except ValueError:
        raise ValidationFailed("Statut inconnu.", fields={"status": "preparing, ready, at_venue ou rejected"})
    if new in (PartStatus.CANCELLED, PartStatus.RECEIVED):
        raise ValidationFailed("Statut non autorisé.", fields={"status": "preparing, ready, at_venue ou rejected"})
    order_id = db.session.scalar(
        select(OrderPart.order_id).where(OrderPart.id == part_id, OrderPart.shop_id == shop_id)
    )
    if order_id is None:
        raise NotFoundError("Commande introuvable.")
    order = _lock_order(order_id)
    part = db.session.get_one(OrderPart, part_id)
    if order.status != OrderStatus.CONFIRMED:
        raise InvalidTransition("Cette commande n'est pas en préparation (elle est réglée, annulée ou à payer).",
                                fields={"status": str(new)})
    events.change_part_status(part, new, actor_id=actor_id)
    if new == PartStatus.REJECTED:
        _remove_rejected_part(order, part)
    _follow_parts(order, actor_id=actor_id)
    return part


def _follow_parts(order: Order, *, actor_id: int | None) -> None:
    """After a part moved: the order is cancelled when no part remains, ready when every remaining part is
    at the venue (the resident is told). Flushes."""
    remaining = order.remaining_parts
    if not remaining:
        slots.give_back_place(order.pickup_slot_id)
        events.change_order_status(order, OrderStatus.CANCELLED, actor_id=actor_id, note="toutes les parts refusées")
        order.payment_status = OrderPaymentStatus.VOID if order.paid_cents == 0 else order.payment_status
        outbox.enqueue(events.ORDER_CANCELLED_TASK, order_id=order.id)
    elif order.is_all_at_venue:
        events.change_order_status(order, OrderStatus.READY_FOR_PICKUP, actor_id=actor_id)
        outbox.enqueue(events.ORDER_READY_TASK, order_id=order.id)
    db.session.flush()


def normalize_label(text: str) -> str:
    """What a scanner or a person typed, as a label code: spaces and dashes dropped, upper case."""
    return "".join(ch for ch in text if ch.isalnum()).upper()


def part_by_label(label: str) -> OrderPart:
    """:raise NotFoundError: no part has this label."""
    code = normalize_label(label)
    part = db.session.scalar(select(OrderPart).where(OrderPart.label == code)) if code else None
    if part is None:
        raise NotFoundError("Étiquette inconnue.", code="unknown_label")
    return part


def desk_drop_off(part_id: int, *, actor_id: int, via: str, reason: str = "") -> OrderPart:
    """The desk records that a shop's bag reached the venue: the same move as the shop's "Déposée" step
    (`at_venue`, the order ready when it was the last part), audited with who, by which path
    (`via`: DROP_OFF_SCAN or DROP_OFF_MANUAL) and the reason. A part already at the venue of an order not
    yet handed over is left as it is (a bag scanned twice). Flushes.

    :raise NotFoundError: no such part.
    :raise ValidationFailed: a manual drop-off without a reason.
    :raise InvalidTransition: (409) the part is not ready (`part_not_ready`), or the order was already
        collected (`already_collected`) or has ended.
    """
    reason = " ".join(reason.split())
    if via == DROP_OFF_MANUAL and not reason:
        raise ValidationFailed("Indiquez pourquoi le comptoir enregistre ce dépôt.", fields={"reason": "obligatoire"})
    order_id = db.session.scalar(select(OrderPart.order_id).where(OrderPart.id == part_id))
    if order_id is None:
        raise NotFoundError("Commande introuvable.")
    order = _lock_order(order_id)
    part = db.session.get_one(OrderPart, part_id)
    if order.status == OrderStatus.COLLECTED:
        raise InvalidTransition("Cette commande a déjà été remise.", code="already_collected")
    if part.status == PartStatus.AT_VENUE and order.status in (OrderStatus.CONFIRMED, OrderStatus.READY_FOR_PICKUP):
        return part
    if order.status not in (OrderStatus.CONFIRMED, OrderStatus.READY_FOR_PICKUP):
        raise InvalidTransition("Cette commande est close (annulée ou non retirée).", code="order_closed",
                                fields={"status": order.status})
    if part.status != PartStatus.READY:
        raise InvalidTransition("Cette part n'est pas prête : la boutique ne l'a pas encore marquée prête.",
                                code="part_not_ready", fields={"status": part.status})
    note = f"comptoir ({via})" + (f" : {reason}" if reason else "")
    events.change_part_status(part, PartStatus.AT_VENUE, actor_id=actor_id, note=note)
    _follow_parts(order, actor_id=actor_id)
    return part


def _remove_rejected_part(order: Order, part: OrderPart) -> None:
    # Plain attribute arithmetic is safe here: the order row is locked by the caller.
    stock.release(_stock_lines([part]))
    order.total_cents = order.total_cents - part.subtotal_cents
    if order.payment_status == OrderPaymentStatus.PAID:
        order.refund_due_cents = order.refund_due_cents + part.subtotal_cents
        outbox.enqueue(REFUND_DUE_TASK, order_id=order.id)
    outbox.enqueue(events.PART_REJECTED_TASK, part_id=part.id)


LINE_REFUSABLE_STATUSES = (PartStatus.RECEIVED, PartStatus.PREPARING)


def refuse_line(part_id: int, line_id: int, reason: str, *, shop_id: int, actor_id: int | None) -> OrderPart:
    """A shop refuses one line of its part while preparing it (out of stock, damaged...). Flushes.

    The line is marked refused with its reason, its stock goes back, its amount leaves the part's
    subtotal and the order's total (a paid card order gets that amount refunded, once, by payments; a
    pay-at-pickup order simply costs less at the desk), and the resident is told. The commission,
    computed on the part's subtotal at settlement, follows. When it was the part's last line still to
    supply, the whole part is refused as by `set_part_status(..., "rejected")`.

    :raise NotFoundError: the part is not this shop's, or the line is not in it.
    :raise ValidationFailed: no reason, or the line is already refused.
    :raise InvalidTransition: (409) the part is no longer being prepared.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Indiquez la raison du refus.", fields={"reason": "obligatoire"})
    order_id = db.session.scalar(
        select(OrderPart.order_id).where(OrderPart.id == part_id, OrderPart.shop_id == shop_id)
    )
    if order_id is None:
        raise NotFoundError("Commande introuvable.")
    order = _lock_order(order_id)
    part = db.session.get_one(OrderPart, part_id)
    line = db.session.scalar(select(OrderLine).where(OrderLine.id == line_id, OrderLine.part_id == part_id)
                             .execution_options(populate_existing=True))
    if line is None:
        raise NotFoundError("Article introuvable.")
    if order.status != OrderStatus.CONFIRMED or part.status not in LINE_REFUSABLE_STATUSES:
        raise InvalidTransition("Cette part n'est plus en préparation : ses articles ne peuvent plus être refusés.",
                                code="part_not_preparing")
    if line.is_refused:
        raise ValidationFailed("Cet article est déjà refusé.", fields={"line_id": "déjà refusé"})
    note = f"article refusé : {line.name} — {reason}"[:200]
    if len(part.active_lines) == 1:
        # The last line: the whole part is refused, its money and stock handled as a part.
        set_part_status(part_id, PartStatus.REJECTED, shop_id=shop_id, actor_id=actor_id)
        # Refused with its part (not on its own): the part-rejected notice lists it with its reason.
        line.refusal_reason = reason[:200]
        db.session.add(OrderEvent(order_id=order.id, part_id=part.id, from_status=part.status,
                                  to_status=part.status, actor_id=actor_id, note=note))
        db.session.flush()
        return part
    stock.release([StockLine(line.product_id, line.quantity)] if line.product_id is not None else [])
    line.refused_at = utcnow()
    line.refusal_reason = reason[:200]
    # Plain attribute arithmetic is safe here: the order row is locked.
    part.subtotal_cents = part.subtotal_cents - line.line_total_cents
    order.total_cents = order.total_cents - line.line_total_cents
    if order.payment_status == OrderPaymentStatus.PAID and line.line_total_cents > 0:
        order.refund_due_cents = order.refund_due_cents + line.line_total_cents
        outbox.enqueue(LINE_REFUND_DUE_TASK, order_id=order.id, line_id=line.id)
    db.session.add(OrderEvent(order_id=order.id, part_id=part.id, from_status=part.status, to_status=part.status,
                              actor_id=actor_id, note=note))
    outbox.enqueue(events.LINE_REFUSED_TASK, line_id=line.id)
    db.session.flush()
    return part


def collect_order(order_id: int, *, actor_id: int | None, paid_via: str | None = None,
                  now: datetime | None = None) -> Order:
    """The resident takes the order at the desk: stock leaves the shelves (consumed), the payment of an
    `at_pickup` order is recorded (card terminal or cash). Flushes.

    :raise NotFoundError: no such order.
    :raise ValidationFailed: `at_pickup` order without a valid `paid_via`.
    :raise InvalidTransition: (409) not every part is at the venue, or already collected/ended.
    """
    order = _lock_order(order_id)
    if order.status != OrderStatus.READY_FOR_PICKUP:
        if order.status == OrderStatus.CONFIRMED:
            raise InvalidTransition("Toutes les parts ne sont pas encore arrivées à la Halle.", code="parts_missing")
        raise InvalidTransition("Cette commande ne peut pas être remise.", fields={"status": order.status})
    if order.payment_method == PaymentMethod.AT_PICKUP:
        if paid_via not in (PaidVia.CARD_TERMINAL, PaidVia.CASH):
            raise ValidationFailed("Indiquez le moyen de paiement : carte ou espèces.",
                                   fields={"paid_via": "card_terminal ou cash"})
        order.paid_via = paid_via
        order.paid_cents = order.total_cents
        order.paid_at = now or utcnow()
        order.payment_status = OrderPaymentStatus.PAID
    stock.consume(_stock_lines(order.remaining_parts), reason=f"retrait {order.number}", actor_id=actor_id)
    events.change_order_status(order, OrderStatus.COLLECTED, actor_id=actor_id)
    order.collected_at = now or utcnow()
    outbox.enqueue(events.ORDER_COLLECTED_TASK, order_id=order.id)
    outbox.enqueue(events.ORDER_RECEIPT_TASK, order_id=order.id)
    db.session.flush()
    return order


def no_show_refund_cents(paid_cents: int, venue: Venue, perishable_cents: int = 0) -> int:
    """What a card-paid no-show gets back of `paid_cents` (its remaining parts) under the venue's
    policy: all of it, or all but the fee (a fee larger than what was paid keeps what was paid), or,
    when the shops are paid for perishable goods, all but `perishable_cents` (what those lines cost)."""
    if venue.no_show_policy == NoShowPolicy.PAY_SHOPS:
        return paid_cents - min(perishable_cents, paid_cents)
    if venue.no_show_policy == NoShowPolicy.FEE:
        return paid_cents - min(venue.no_show_fee_cents, paid_cents)
    return paid_cents


def _freeze_perishable(order: Order) -> int:
    """Record on each remaining part what its perishable lines cost (the products' flag now; a line
    refused by its shop has left the part; a product deleted since counts as not perishable), and
    return the order's total of them."""
    parts = order.remaining_parts
    lines = [line for part in parts for line in part.active_lines]
    perishable_ids = set(db.session.scalars(select(Product.id).where(
        Product.id.in_({line.product_id for line in lines if line.product_id is not None}),
        Product.is_perishable.is_(True))))
    for part in parts:
        part.perishable_cents = sum(line.line_total_cents for line in part.active_lines
                                    if line.product_id in perishable_ids)
    return sum(part.perishable_cents or 0 for part in parts)


def mark_no_shows(*, now: datetime | None = None, limit: int = 200) -> int:
    """Orders ready but not collected within the venue's holding period after their slot become `no_show`:
    their stock returns to each shop, and shops and resident are told (outbox). A card-paid one gets its
    refund decided by the venue's no-show policy (`refund_due_cents`), given back by payments (outbox,
    `NO_SHOW_REFUND_TASK`). Idempotent (state-driven);
    flushes; returns how many were marked."""
    moment = now or utcnow()
    rows = db.session.execute(
        select(Order.id, PickupSlot.ends_at, Venue.holding_minutes, Venue)
        .join(PickupSlot, PickupSlot.id == Order.pickup_slot_id)
        .join(Venue, Venue.id == PickupSlot.venue_id)
        .where(Order.status == OrderStatus.READY_FOR_PICKUP, PickupSlot.ends_at < moment)
        .order_by(Order.id)
        .limit(limit)
    ).all()
    marked = 0
    venue_of = {row[0]: row[3] for row in rows}
    for order_id, ends_at, holding, _venue in rows:
        if as_utc(ends_at) + timedelta(minutes=holding) > moment:
            continue
        order = _lock_order(order_id)
        if order.status != OrderStatus.READY_FOR_PICKUP:
            continue
        stock.release(_stock_lines(order.remaining_parts))
        events.change_order_status(order, OrderStatus.NO_SHOW, actor_id=None, note="délai de garde dépassé")
        if order.payment_status == OrderPaymentStatus.DUE:
            order.payment_status = OrderPaymentStatus.VOID
        elif order.payment_method == PaymentMethod.CARD and order.paid_cents > 0:
            order.no_show_policy = venue_of[order_id].no_show_policy
            perishable = 0
            if order.no_show_policy == NoShowPolicy.PAY_SHOPS:
                perishable = _freeze_perishable(order)
            order.refund_due_cents += no_show_refund_cents(order.remaining_cents, venue_of[order_id], perishable)
            outbox.enqueue(NO_SHOW_REFUND_TASK, order_id=order.id)
        outbox.enqueue(events.ORDER_NO_SHOW_TASK, order_id=order.id)
        marked += 1
    db.session.flush()
    return marked
