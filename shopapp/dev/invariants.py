"""Cross-feature invariants, checked on the data as it stands: `check_invariants()` lists what is wrong.

Used at the end of every reliability scenario (tests/reliability), by `flask dev check-invariants`
and after `make soak`. Read-only: runs inside an app context, never flushes nor commits. Each check
returns human-readable violations (empty list: all good). Several invariants are also enforced by the
schema (CHECK and UNIQUE constraints); they are checked here anyway, so that a constraint dropped by a
migration or a row written around the ORM cannot go unnoticed.

What must hold, per area:

- stock: `0 <= allocated <= on_hand` for every product;
- pickup slots: `booked <= capacity`, and the orders still holding a place (every order on the slot
  except cancelled ones: collected and no-show orders used their place) are no more than the capacity;
- animations: `seats_taken <= capacity`, and the seats of `registered` registrations (the waitlist
  holds no seat) are no more than the capacity;
- money, per shop part, from the payments ledger (payments/ledger.py). A part is *settled* once its
  receipt (card `sale` or desk `pickup_receipt`) is posted; before that it has no shop side at all and
  must carry no posting. Once settled, with R the receipt, F the refunds, C the commission and its VAT
  (both withheld from the shop) net of what refunds gave back, P what was transferred net of reversals
  and D the receivables (reversals Stripe refused, owed by the shop):
    * R is the part's subtotal and the settlement commission is R at the part's frozen rate;
    * while the payout is not paid: nothing is transferred (P = 0) and R − F − C >= 0 is what the payout
      will transfer, so payouts + commission = received − refunded once it is made;
    * once paid: P + C = R − F + D + N − H, to the cent, where N is the shop's share of refunds posted after
      the transfer whose reversal job has not run yet (the outbox check makes sure it is not lost), and H
      what the payout of a no-show part (shops paid for perishable goods) kept back: the shop's net of its
      other lines when their refund was not posted before the transfer (it failed), 0 for any other part;
  per order: the payment's refunded total is the sum of its refunds not failed, within what was captured,
  and a no-show fee kept (the association's income) is no more than what was captured and not refunded;
- payouts: at most one per (order, shop), matching its part, and at most one payout posting per part;
  a payout posting only for a paid payout, of the payout's amount;
- Stripe events: one row per event id, and every row processed (the event row and its effect commit
  together, so an unprocessed row means an effect lost while Stripe believes it delivered);
- outbox: no job lost — every job is done, or pending/published and younger than the sweep's whole
  retry window, or failed with its error visible to staff;
- standing orders: every order a standing order made is the order of exactly one of its dates (the
  (standing order, date) key is unique), for the standing order's own resident.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from shopapp.animations.models import Animation, Registration, RegistrationStatus, WalkIn
from shopapp.catalog.models import StockRecord
from shopapp.core.clock import utcnow
from shopapp.core.money import split_commission
from shopapp.core.outbox import DONE, FAILED, PENDING, PUBLISHED, OutboxJob
from shopapp.extensions import db
from shopapp.orders.models import Order, OrderPart, PickupSlot
from shopapp.orders.states import OrderStatus
from shopapp.payments.commission import commission_vat_bps, split_withheld
from shopapp.payments.models import (
    MEMO_KINDS,
    LedgerEntry,
    LedgerKind,
    NoShowFee,
    Payment,
    Payout,
    PayoutStatus,
    Refund,
    RefundStatus,
    StripeEvent,
)
from shopapp.standing.models import StandingOccurrence, StandingOrder

SETTLEMENT_REFERENCE = "settlement"


def check_invariants(session: Session | None = None) -> list[str]:
    """Every violation found, as sentences; `[]` when all invariants hold. Read-only.

    `session` defaults to the app's session (tests pass one bound to a connection of their own).
    """

    s: Session = session if session is not None else db.session()  # the scoped session's current Session
    checks: list[Callable[[Session], list[str]]] = [
        check_stock,
        check_slots,
        check_animations,
        check_ledger,
        check_order_payments,
        check_payouts,
        check_stripe_events,
        check_outbox,
        check_standing_orders,
    ]
    violations: list[str] = []
    for check in checks:
        violations.extend(check(s))
    return violations


def check_stock(s: Session) -> list[str]:
    rows = s.execute(
        select(StockRecord.product_id, StockRecord.on_hand, StockRecord.allocated)
        .where(or_(StockRecord.on_hand < 0, StockRecord.allocated < 0, StockRecord.allocated > StockRecord.on_hand))
        .order_by(StockRecord.product_id)
    ).all()
    return [
        f"stock: product {pid} has on_hand={on_hand}, allocated={allocated} (needs 0 <= allocated <= on_hand)"
        for pid, on_hand, allocated in rows
    ]


def check_slots(s: Session) -> list[str]:
    out = [
        f"slot {sid}: booked={booked} exceeds capacity={cap}" if booked > cap else f"slot {sid}: booked={booked} < 0"
        for sid, booked, cap in s.execute(
            select(PickupSlot.id, PickupSlot.booked, PickupSlot.capacity)
            .where(or_(PickupSlot.booked > PickupSlot.capacity, PickupSlot.booked < 0))
            .order_by(PickupSlot.id)
        ).all()
    ]
    holding = (
        select(PickupSlot.id, PickupSlot.capacity, func.count(Order.id))
        .join(Order, Order.pickup_slot_id == PickupSlot.id)
        .where(Order.status != OrderStatus.CANCELLED)
        .group_by(PickupSlot.id, PickupSlot.capacity)
        .having(func.count(Order.id) > PickupSlot.capacity)
        .order_by(PickupSlot.id)
    )
    out += [f"slot {sid}: {n} orders hold a place, capacity is {cap}" for sid, cap, n in s.execute(holding).all()]
    return out


def check_animations(s: Session) -> list[str]:
    out = [
        f"animation {aid}: seats_taken={taken} exceeds capacity={cap}"
        for aid, taken, cap in s.execute(
            select(Animation.id, Animation.seats_taken, Animation.capacity)
            .where(or_(Animation.seats_taken > Animation.capacity, Animation.seats_taken < 0))
            .order_by(Animation.id)
        ).all()
    ]
    seats = (
        select(Animation.id, Animation.capacity, func.sum(Registration.seats))
        .join(Registration, Registration.animation_id == Animation.id)
        .where(Registration.status == RegistrationStatus.REGISTERED)
        .group_by(Animation.id, Animation.capacity)
        .having(func.sum(Registration.seats) > Animation.capacity)
        .order_by(Animation.id)
    )
    out += [f"animation {aid}: {n} seats registered, capacity is {cap}" for aid, cap, n in s.execute(seats).all()]
    # Walk-ins take seats too: registered seats and walk-ins together stay within capacity.
    registered = (select(Registration.animation_id, func.sum(Registration.seats).label("n"))
                  .where(Registration.status == RegistrationStatus.REGISTERED)
                  .group_by(Registration.animation_id).subquery())
    walked_in = (select(Animation.id, Animation.capacity, func.coalesce(registered.c.n, 0), func.sum(WalkIn.seats))
                 .join(WalkIn, WalkIn.animation_id == Animation.id)
                 .outerjoin(registered, registered.c.animation_id == Animation.id)
                 .group_by(Animation.id, Animation.capacity, registered.c.n)
                 .having(func.coalesce(registered.c.n, 0) + func.sum(WalkIn.seats) > Animation.capacity)
                 .order_by(Animation.id))
    out += [f"animation {aid}: {n} seats registered and {w} let in, capacity is {cap}"
            for aid, cap, n, w in s.execute(walked_in).all()]
    return out


def check_ledger(s: Session) -> list[str]:
    """Per shop part: payouts + commission = received − refunded, to the cent, at each stage (module doc)."""

    entries: dict[int, list[LedgerEntry]] = defaultdict(list)
    for entry in s.scalars(select(LedgerEntry).order_by(LedgerEntry.part_id, LedgerEntry.id)):
        entries[entry.part_id].append(entry)
    if not entries:
        return []
    parts = {p.id: p for p in s.scalars(select(OrderPart).where(OrderPart.id.in_(list(entries))))}
    payouts = {p.part_id: p for p in s.scalars(select(Payout).where(Payout.part_id.in_(list(entries))))}
    refunds = {r.id: r for r in s.scalars(select(Refund).where(Refund.part_id.in_(list(entries))))}
    receipt_kinds = {str(LedgerKind.SALE), str(LedgerKind.PICKUP_RECEIPT)}
    out: list[str] = []
    for part_id, rows in entries.items():
        where = f"part {part_id}"
        part = parts.get(part_id)
        if part is None:
            out.append(f"ledger: {where} has postings but no such part")
            continue
        receipts = [e for e in rows if e.kind in receipt_kinds]
        if not receipts:
            out.append(f"ledger: {where} has {len(rows)} postings but is not settled (no receipt)")
            continue
        if len(receipts) > 1:
            out.append(f"ledger: {where} has {len(receipts)} receipts")

        def total(kind: LedgerKind, rows: list[LedgerEntry] = rows) -> int:
            return sum(e.amount_cents for e in rows if e.kind == kind)

        received = sum(e.amount_cents for e in receipts)
        refunded = -total(LedgerKind.REFUND)
        # Withheld from the shop: the commission and its VAT (payments/commission.py).
        commission = -total(LedgerKind.COMMISSION) - total(LedgerKind.COMMISSION_VAT)
        transferred = -(total(LedgerKind.PAYOUT) + total(LedgerKind.TRANSFER_REVERSAL))
        receivable = -total(LedgerKind.RECEIVABLE)
        if received != part.subtotal_cents:
            out.append(f"ledger: {where} received {received} cents, its subtotal is {part.subtotal_cents}")
        settlement_commission = -sum(
            e.amount_cents for e in rows if e.kind == LedgerKind.COMMISSION and e.reference == SETTLEMENT_REFERENCE
        )
        expected_commission = split_commission(max(received, 0), part.commission_rate_bps)[0]
        if settlement_commission != expected_commission:
            out.append(
                f"ledger: {where} commission {settlement_commission} cents, {expected_commission} expected "
                f"at {part.commission_rate_bps} bps"
            )
        for refund_ref in sorted({e.reference for e in rows if e.kind == LedgerKind.REFUND}):
            refund = _refund_of(refund_ref, refunds)
            posted = -sum(e.amount_cents for e in rows if e.kind == LedgerKind.REFUND and e.reference == refund_ref)
            if refund is None or refund.status != RefundStatus.SUCCEEDED or refund.amount_cents != posted:
                out.append(
                    f"ledger: {where} posts a refund of {posted} cents under {refund_ref!r} "
                    f"that matches no succeeded refund of that amount"
                )
        payout = payouts.get(part_id)
        if payout is None or payout.status != PayoutStatus.PAID:
            if transferred != 0:
                out.append(f"ledger: {where} shows {transferred} cents transferred without a paid payout")
            owed = received - refunded - commission
            if owed < 0:
                out.append(
                    f"ledger: {where} received {received} − refunded {refunded} − commission {commission} "
                    f"= {owed} cents < 0 before its payout"
                )
            continue
        pending = _pending_reversals(rows)
        held = _held_back(part, rows)
        if transferred + commission != received - refunded + receivable + pending - held:
            out.append(
                f"ledger: {where} payouts {transferred} + commission TTC {commission} != received {received} "
                f"− refunded {refunded} (+ receivable {receivable}, + reversals pending {pending}, "
                f"− held back {held}) cents"
            )
    return out


def _held_back(part: OrderPart, rows: list[LedgerEntry]) -> int:
    """What a no-show part's payout kept back of what the ledger owed the shop when it was made: the shops
    are paid for perishable lines only (payments/payouts.py), so when the refund of the part's other lines
    was not posted before the transfer, their net stays out of it. 0 for any other part."""
    if not part.perishable_cents:
        return 0
    payout_ids = [e.id for e in rows if e.kind == LedgerKind.PAYOUT]
    if not payout_ids:
        return 0
    owed = sum(e.amount_cents for e in rows if e.id < min(payout_ids) and e.kind not in MEMO_KINDS)
    vat = commission_vat_bps()
    share = (split_withheld(part.subtotal_cents, part.commission_rate_bps, vat)[2]
             - split_withheld(max(part.subtotal_cents - part.perishable_cents, 0), part.commission_rate_bps, vat)[2])
    return max(owed - share, 0)


def _refund_of(reference: str, refunds: dict[int, Refund]) -> Refund | None:
    prefix, _, raw_id = reference.partition(":")
    if prefix != "refund" or not raw_id.isdigit():
        return None
    return refunds.get(int(raw_id))


def _pending_reversals(rows: list[LedgerEntry]) -> int:
    """The shop's share of refunds posted after the payout and not yet reversed (nor made receivable)."""
    payout_ids = [e.id for e in rows if e.kind == LedgerKind.PAYOUT]
    if not payout_ids:
        return 0
    after = max(payout_ids)
    done = {e.reference for e in rows if e.kind in (LedgerKind.TRANSFER_REVERSAL, LedgerKind.RECEIVABLE)}
    return -sum(
        e.amount_cents
        for e in rows
        if e.id > after
        and e.reference.startswith("refund:")
        and e.reference not in done
        and e.kind in (LedgerKind.REFUND, LedgerKind.COMMISSION, LedgerKind.COMMISSION_VAT)
    )


def check_order_payments(s: Session) -> list[str]:
    """Per order: refunds reserved on the payment = refunds not failed, and within what was captured."""

    not_failed = (
        select(Refund.payment_id, func.sum(Refund.amount_cents).label("cents"))
        .where(Refund.status != RefundStatus.FAILED)
        .group_by(Refund.payment_id)
        .subquery()
    )
    rows = s.execute(
        select(
            Payment.order_id,
            Payment.amount_captured_cents,
            Payment.amount_refunded_cents,
            func.coalesce(not_failed.c.cents, 0),
        )
        .outerjoin(not_failed, not_failed.c.payment_id == Payment.id)
        .order_by(Payment.order_id)
    ).all()
    out: list[str] = []
    fees = dict(s.execute(select(NoShowFee.order_id, NoShowFee.amount_cents)).tuples().all())
    for order_id, captured, refunded, refund_rows in rows:
        if refunded != refund_rows:
            out.append(f"order {order_id}: payment shows {refunded} cents refunded, its refunds total {refund_rows}")
        if refunded > captured or refunded < 0:
            out.append(f"order {order_id}: {refunded} cents refunded of {captured} captured")
        if fees.get(order_id, 0) > captured - refunded:
            out.append(f"order {order_id}: a no-show fee of {fees[order_id]} cents kept of {captured - refunded} "
                       "captured and not refunded")
    return out


def check_payouts(s: Session) -> list[str]:
    out = [
        f"payouts: order {order_id}, shop {shop_id} has {n} payouts"
        for order_id, shop_id, n in s.execute(
            select(Payout.order_id, Payout.shop_id, func.count(Payout.id))
            .group_by(Payout.order_id, Payout.shop_id)
            .having(func.count(Payout.id) > 1)
            .order_by(Payout.order_id, Payout.shop_id)
        ).all()
    ]
    out += [
        f"payouts: payout {pid} names order {o}/shop {sh} but its part {part} is order {po}/shop {psh}"
        for pid, part, o, sh, po, psh in s.execute(
            select(Payout.id, Payout.part_id, Payout.order_id, Payout.shop_id, OrderPart.order_id, OrderPart.shop_id)
            .join(OrderPart, OrderPart.id == Payout.part_id)
            .where(or_(Payout.order_id != OrderPart.order_id, Payout.shop_id != OrderPart.shop_id))
            .order_by(Payout.id)
        ).all()
    ]
    out += [
        f"payouts: part {part} has {n} payout postings"
        for part, n in s.execute(
            select(LedgerEntry.part_id, func.count(LedgerEntry.id))
            .where(LedgerEntry.kind == LedgerKind.PAYOUT)
            .group_by(LedgerEntry.part_id)
            .having(func.count(LedgerEntry.id) > 1)
            .order_by(LedgerEntry.part_id)
        ).all()
    ]
    postings = (
        select(LedgerEntry.part_id, func.sum(LedgerEntry.amount_cents).label("cents"))
        .where(LedgerEntry.kind == LedgerKind.PAYOUT)
        .group_by(LedgerEntry.part_id)
        .subquery()
    )
    for part, status, amount, posted in s.execute(
        select(Payout.part_id, Payout.status, Payout.amount_cents, postings.c.cents)
        .outerjoin(postings, postings.c.part_id == Payout.part_id)
        .order_by(Payout.part_id)
    ).all():
        if status == PayoutStatus.PAID and (posted or 0) != -amount:
            out.append(f"payouts: part {part} paid {amount} cents but its payout posting is {-(posted or 0)}")
        if status != PayoutStatus.PAID and posted is not None:
            out.append(f"payouts: part {part} has a payout posting while its payout is {status}")
    out += [
        f"payouts: part {part} has a payout posting and no payout row"
        for (part,) in s.execute(
            select(postings.c.part_id)
            .outerjoin(Payout, Payout.part_id == postings.c.part_id)
            .where(Payout.id.is_(None))
            .order_by(postings.c.part_id)
        ).all()
    ]
    return out


def check_stripe_events(s: Session) -> list[str]:
    out = [
        f"stripe: event {eid} recorded {n} times"
        for eid, n in s.execute(
            select(StripeEvent.stripe_event_id, func.count(StripeEvent.id))
            .group_by(StripeEvent.stripe_event_id)
            .having(func.count(StripeEvent.id) > 1)
            .order_by(StripeEvent.stripe_event_id)
        ).all()
    ]
    out += [
        f"stripe: event {eid} ({etype}) recorded but never processed"
        for eid, etype in s.execute(
            select(StripeEvent.stripe_event_id, StripeEvent.type)
            .where(StripeEvent.processed_at.is_(None))
            .order_by(StripeEvent.id)
        ).all()
    ]
    return out


def outbox_stale_after() -> timedelta:
    """How long a job may stay unfinished before it counts as lost: the sweep's whole retry window."""
    config = current_app.config
    return timedelta(seconds=int(config["OUTBOX_REPUBLISH_AFTER"]) * (int(config["OUTBOX_MAX_ATTEMPTS"]) + 1))


def check_outbox(s: Session) -> list[str]:
    cutoff = utcnow() - outbox_stale_after()
    lost = s.execute(
        select(OutboxJob.id, OutboxJob.task_name, OutboxJob.status)
        .where(
            or_(
                (OutboxJob.status.in_((PENDING, PUBLISHED))) & (OutboxJob.created_at < cutoff),
                (OutboxJob.status == FAILED) & (func.coalesce(OutboxJob.last_error, "") == ""),
                OutboxJob.status.not_in((PENDING, PUBLISHED, DONE, FAILED)),
            )
        )
        .order_by(OutboxJob.id)
    ).all()
    return [
        f"outbox: job {jid} ({name}) is {status} "
        + ("without an error shown" if status == FAILED else "and past the sweep's retry window")
        for jid, name, status in lost
    ]


def check_standing_orders(s: Session) -> list[str]:
    """An order made by a standing order is the order of exactly one of its dates, for its own resident."""
    rows = s.execute(
        select(Order.id, Order.standing_order_id, Order.user_id, StandingOrder.user_id,
               func.count(StandingOccurrence.id))
        .join(StandingOrder, StandingOrder.id == Order.standing_order_id)
        .outerjoin(StandingOccurrence, and_(StandingOccurrence.order_id == Order.id,
                                            StandingOccurrence.standing_order_id == Order.standing_order_id))
        .group_by(Order.id, Order.standing_order_id, Order.user_id, StandingOrder.user_id)
        .order_by(Order.id)
    ).all()
    out = []
    for order_id, standing_id, user_id, owner_id, dates in rows:
        if dates != 1:
            out.append(f"standing order {standing_id}: order {order_id} is named by {dates} of its dates (needs 1)")
        if user_id != owner_id:
            out.append(f"standing order {standing_id}: order {order_id} belongs to another resident")
    return out
