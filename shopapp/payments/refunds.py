"""Refunds: checked against what remains refundable, whatever the payment method.

Card: given back on the platform charge by the worker (`execute_refund`, at Stripe). Pay at pickup: the
desk gives the money back itself, the same way the order was paid (cash, or on the card terminal), so
the refund is done when recorded; both enter the same ledger (refund, commission given back).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from shopapp.core import outbox
from shopapp.errors import DomainError, NotFoundError, ValidationFailed
from shopapp.extensions import db
from shopapp.orders.models import OrderLine
from shopapp.orders.states import PaymentMethod
from shopapp.payments import card, commission, gateway, ledger, no_show, order_port
from shopapp.payments.ledger import Posting
from shopapp.payments.models import CardPaymentStatus, LedgerKind, Payment, Refund, RefundStatus
from shopapp.payments.payouts import PAY_OUT_PART_TASK, REVERSE_FOR_REFUND_TASK

EXECUTE_REFUND_TASK = "payments.execute_refund"


class RefundExceedsPayment(DomainError):
    status = 409
    code = "refund_exceeds_payment"


class NothingPaidYet(DomainError):
    """A pay-at-pickup order not collected yet: nothing was paid, so nothing can be refunded."""

    status = 409
    code = "nothing_paid_yet"


def request_refund(
    payment_id: int, amount_cents: int, *, reason: str, actor_id: int | None, part_id: int | None = None
) -> Refund:
    """Reserve `amount_cents` of the payment for a refund: a card refund is queued for Stripe; a
    pay-at-pickup refund is given back at the desk, so it is recorded as done and posted at once.

    The reservation is one conditional UPDATE (`refunded + amount <= captured`), so two concurrent
    refunds can never give back more than was received — we check it, not Stripe (localstripe allows
    over-refunds). :raise RefundExceedsPayment: more than what remains refundable.
    :raise NotFoundError: no such succeeded payment. Flushes, never commits.
    """
    if amount_cents <= 0:
        raise ValueError("a refund needs a positive amount")
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.status != CardPaymentStatus.SUCCEEDED:
        raise NotFoundError(str(_l("Paiement introuvable.")))
    reserved = db.session.execute(
        update(Payment)
        .where(Payment.id == payment_id, Payment.amount_refunded_cents + amount_cents <= Payment.amount_captured_cents)
        .values(amount_refunded_cents=Payment.amount_refunded_cents + amount_cents)
        .execution_options(synchronize_session=False)
    )
    if reserved.rowcount != 1:  # type: ignore[attr-defined]
        raise RefundExceedsPayment(str(_l("Le montant dépasse ce qui reste remboursable.")))
    db.session.refresh(payment)
    refund = Refund(
        payment_id=payment.id,
        order_id=payment.order_id,
        part_id=part_id,
        amount_cents=amount_cents,
        currency=payment.currency,
        reason=reason,
        created_by_id=actor_id,
    )
    db.session.add(refund)
    db.session.flush()
    if payment.method == PaymentMethod.AT_PICKUP:
        # The venue hands the money back (cash, or a refund on its card terminal) as it records this.
        refund.status = RefundStatus.SUCCEEDED
        db.session.flush()
        _post_refund(refund)
    else:
        outbox.enqueue(EXECUTE_REFUND_TASK, refund_id=refund.id)
    return refund


def execute_refund(refund_id: int) -> Refund:
    """Send a pending refund to Stripe (keyed `refund:<id>`, so a retry never refunds twice).

    A refusal marks it failed and gives the reserved amount back. :raise RetryablePaymentError:
    temporary, retry later. Flushes, never commits.
    """
    refund = db.session.scalar(select(Refund).where(Refund.id == refund_id).with_for_update())
    if refund is None:
        raise NotFoundError(str(_l("Remboursement introuvable.")))
    if refund.status != RefundStatus.PENDING:
        return refund
    payment = db.session.get(Payment, refund.payment_id)
    assert payment is not None and payment.stripe_payment_intent_id is not None
    try:
        result = gateway.create_refund(
            payment.stripe_payment_intent_id,
            refund.amount_cents,
            gateway.idempotency_key("refund", refund.id),
            {"refund_id": str(refund.id), "order_id": str(refund.order_id)},
        )
    except gateway.TerminalPaymentError as exc:
        refund.status = RefundStatus.FAILED
        refund.last_error = exc.message[:500]
        db.session.execute(
            update(Payment)
            .where(Payment.id == payment.id)
            .values(amount_refunded_cents=Payment.amount_refunded_cents - refund.amount_cents)
        )
        db.session.flush()
        _pay_no_show_shop_anyway(refund)
        return refund
    refund.stripe_refund_id = result.id
    refund.status = RefundStatus.SUCCEEDED
    db.session.flush()
    _post_refund(refund)
    return refund


def _pay_no_show_shop_anyway(refund: Refund) -> None:
    """A no-show's shop paid for its perishable lines waits for the refund of its other lines: when that
    refund fails for good, its payout goes ahead all the same, for the perishable lines only
    (`payouts.pay_out_part` caps it); the failed refund stays on the order for staff."""
    if refund.part_id is None or refund.reason != NO_SHOW_REASON:
        return
    if order_port.part_facts(refund.part_id).is_paid_as_no_show and ledger.is_settled(refund.part_id):
        outbox.enqueue(PAY_OUT_PART_TASK, part_id=refund.part_id)


def _post_refund(refund: Refund) -> None:
    # Only a settled part has a shop side to correct; a part refunded before collection (rejected,
    # cancelled, refunded early) was never credited to the shop, so nothing is posted for it.
    if refund.part_id is None:
        return
    facts = order_port.part_facts(refund.part_id)
    if facts.is_collected and facts.is_paid:
        # Collected and paid but the worker has not settled it yet (a refund right after collection):
        # settle it now (idempotent), or the late settlement would credit the shop the whole part.
        commission.settle_paid_part(refund.part_id)
    if not ledger.is_settled(refund.part_id):
        return
    commission_back, vat_back, _net = commission.split_withheld(
        refund.amount_cents, facts.commission_rate_bps, commission.commission_vat_bps())
    reference = f"refund:{refund.id}"

    def posting(kind: LedgerKind, cents: int) -> Posting:
        return Posting(facts.shop_id, facts.part_id, facts.order_id, kind, cents, refund.currency, reference)

    posted = ledger.post([posting(LedgerKind.REFUND, -refund.amount_cents),
                          posting(LedgerKind.COMMISSION, commission_back),
                          posting(LedgerKind.COMMISSION_VAT, vat_back)])
    if posted:
        # A transfer already made is reversed by its own task (Connect may be down while the refund is done).
        outbox.enqueue(REVERSE_FOR_REFUND_TASK, refund_id=refund.id)
        if facts.is_paid_as_no_show:
            # A no-show's shop paid for its perishable lines: its payout waited for this refund of the rest.
            outbox.enqueue(PAY_OUT_PART_TASK, part_id=facts.part_id)


def post_earlier_refunds(part_id: int) -> None:
    """Once a part is settled, post the shop side of the refunds made on it before (lines out of stock
    at preparation, refunded before collection): the shop is paid only for what it supplied.
    Idempotent (ledger postings are unique). Flushes, never commits.
    """
    done = db.session.scalars(select(Refund).where(Refund.part_id == part_id, Refund.status == RefundStatus.SUCCEEDED)
                              .order_by(Refund.id))
    for refund in done.all():
        _post_refund(refund)


# -- what may be refunded, and the refunds staff ask for ------------------------------------------------


def part_has_pending_refund(part_id: int) -> bool:
    """Whether a refund on this part is still waiting for Stripe."""
    return db.session.scalar(select(Refund.id).where(Refund.part_id == part_id,
                                                     Refund.status == RefundStatus.PENDING).limit(1)) is not None


def part_refunded_cents(part_id: int) -> int:
    """What was already given back (or is being given back) on one part."""
    return int(db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount_cents), 0))
        .where(Refund.part_id == part_id, Refund.status != RefundStatus.FAILED)
    ) or 0)


def part_refundable_cents(part_id: int) -> int:
    """What may still be refunded on one part: its subtotal less what was refunded on it.

    Pay at pickup: only what the desk took, i.e. a collected part (a part rejected before collection
    was never paid: nothing is due, nothing to refund).
    """
    facts = order_port.part_facts(part_id)
    if facts.payment_method == PaymentMethod.AT_PICKUP and not (facts.is_collected and facts.is_paid):
        return 0
    return max(facts.subtotal_cents - part_refunded_cents(part_id), 0)


def _paid_payment_locked(order_id: int) -> Payment:
    # The payment row lock serialises every refund decision of one order (two staff, a task, a retry).
    # A pay-at-pickup order collected moments ago may not have its payment recorded by the worker yet.
    card.record_desk_payment(order_id)
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id).with_for_update())
    if payment is not None and payment.status == CardPaymentStatus.SUCCEEDED:
        return payment
    parts = order_port.order_parts(order_id)
    if parts and parts[0].payment_method == PaymentMethod.AT_PICKUP:
        raise NothingPaidYet(str(_l("Cette commande se paie au retrait et n'a pas encore été payée : "
                                    "il n'y a rien à rembourser.")))
    raise NotFoundError(str(_l("Aucun paiement en ligne à rembourser pour cette commande.")))


def refund_order(order_id: int, *, actor_id: int | None, reason: str, part_id: int | None = None,
                 line_quantities: dict[int, int] | None = None) -> list[Refund]:
    """Refund an order: all of it (no part, no lines), one shop's part, or some lines (line id →
    quantity), never more than what remains refundable on each part and on the payment. Card: queued
    for Stripe. Pay at pickup: recorded as given back at the desk (`request_refund`).

    :raise NotFoundError: no such order, part or line, or no payment.
    :raise NothingPaidYet: (409) a pay-at-pickup order not collected and paid yet.
    :raise RefundExceedsPayment: (409) more than what remains; nothing is reserved then.
    :raise ValidationFailed: nothing to refund. Flushes, never commits.
    """
    payment = _paid_payment_locked(order_id)
    amounts: dict[int, int] = {}
    if line_quantities:
        for line_id, quantity in line_quantities.items():
            line = db.session.get(OrderLine, line_id)
            if line is None or line.part.order_id != order_id or quantity <= 0:
                raise NotFoundError(str(_l("Ligne introuvable.")))
            if quantity > line.quantity:
                raise RefundExceedsPayment(str(_l("Le montant dépasse ce qui reste remboursable.")))
            amounts[line.part_id] = amounts.get(line.part_id, 0) + line.unit_price_cents * quantity
    else:
        parts = [f for f in order_port.order_parts(order_id) if part_id is None or f.part_id == part_id]
        if not parts:
            raise NotFoundError(str(_l("Commande introuvable.")))
        amounts = {f.part_id: part_refundable_cents(f.part_id) for f in parts}
        if part_id is not None and amounts[part_id] == 0:
            raise RefundExceedsPayment(str(_l("Le montant dépasse ce qui reste remboursable.")))
    amounts = {pid: cents for pid, cents in amounts.items() if cents > 0}
    if not amounts:
        raise ValidationFailed(str(_l("Rien à rembourser.")))
    for pid, cents in amounts.items():
        if cents > part_refundable_cents(pid):
            raise RefundExceedsPayment(str(_l("Le montant dépasse ce qui reste remboursable.")))
    return [request_refund(payment.id, cents, reason=reason, actor_id=actor_id, part_id=pid)
            for pid, cents in sorted(amounts.items())]


AUTO_REFUND_REASON = "part_not_supplied"


def refund_due(order_id: int) -> list[Refund]:
    """Refund, once each, the parts of a paid card order that will not be supplied (rejected by their
    shop, or cancelled with the order). A repeat finds them refunded and does nothing.
    No card payment (pay at pickup) → nothing to do. Flushes, never commits.
    """
    method = db.session.scalar(select(Payment.method).where(Payment.order_id == order_id))
    if method != PaymentMethod.CARD:
        return []  # pay at pickup: a part not supplied was never paid, nothing is due
    try:
        payment = _paid_payment_locked(order_id)
    except NotFoundError:
        return []
    done: list[Refund] = []
    for facts in order_port.order_parts(order_id):
        if order_port.part_is_supplied(facts.part_id):
            continue
        cents = part_refundable_cents(facts.part_id)
        if cents > 0 and cents <= payment.refundable_cents:
            done.append(request_refund(payment.id, cents, reason=AUTO_REFUND_REASON, actor_id=None,
                                       part_id=facts.part_id))
    return done


LINE_REFUSED_REASON = "line_refused"


def refund_refused_line(order_id: int, line_id: int) -> list[Refund]:
    """Refund, once, the amount of a line its shop refused on a paid card order. The line's amount has
    already left its part's subtotal (orders/fulfilment.py `refuse_line`), so the part is settled on
    what the shop supplies: this refund is the order's (no part), with no shop side to post. A repeat
    finds it done and does nothing. Pay at pickup → nothing to do (the desk takes less).
    Flushes, never commits.
    """
    method = db.session.scalar(select(Payment.method).where(Payment.order_id == order_id))
    if method != PaymentMethod.CARD:
        return []
    try:
        payment = _paid_payment_locked(order_id)
    except NotFoundError:
        return []
    line = db.session.get(OrderLine, line_id)
    if line is None or line.part.order_id != order_id or line.refused_at is None:
        return []
    reason = f"{LINE_REFUSED_REASON}:{line.id}"
    if db.session.scalar(select(Refund.id).where(Refund.order_id == order_id, Refund.reason == reason)) is not None:
        return []
    cents = line.line_total_cents
    if cents <= 0 or cents > payment.refundable_cents:
        return []
    return [request_refund(payment.id, cents, reason=reason, actor_id=None)]


NO_SHOW_REASON = "no_show"


def refund_no_show(order_id: int) -> list[Refund]:
    """Give back, exactly once, what a card-paid no-show is owed under the venue's policy (the order's
    `refund_due_cents`, decided when it was marked): spread over its parts in part order, so a fee is
    kept on the last ones; when the shops are paid for perishable goods, each part gets back what its
    other lines cost. Under the payment's row lock, a repeat (second beat, retry) finds the
    no-show refunds made and does nothing; each refund goes to Stripe keyed `refund:<id>`. The fee kept
    is recorded once as the association's income (`no_show.record_fee`).
    Not a no-show, nothing paid by card, nothing due → nothing. Flushes, never commits.
    """
    due = order_port.no_show_refund_due(order_id)
    method = db.session.scalar(select(Payment.method).where(Payment.order_id == order_id))
    if due is None or method != PaymentMethod.CARD:
        return []
    try:
        payment = _paid_payment_locked(order_id)
    except NotFoundError:
        return []
    already = db.session.scalar(select(func.count(Refund.id))
                                .where(Refund.order_id == order_id, Refund.reason == NO_SHOW_REASON))
    if already:
        return []
    remaining = min(due, payment.refundable_cents)
    # What is not given back is the association's fee ("refund minus a fee"), recorded once as its income.
    no_show.record_fee(order_id, min(order_port.no_show_fee_due(order_id), payment.refundable_cents - remaining))
    done: list[Refund] = []
    for facts in order_port.order_parts(order_id):
        cents = min(part_refundable_cents(facts.part_id), remaining)
        if facts.perishable_cents is not None:  # the shops are paid for the part's perishable lines only
            cents = min(cents, facts.subtotal_cents - facts.perishable_cents)
        if cents <= 0:
            continue
        done.append(request_refund(payment.id, cents, reason=NO_SHOW_REASON, actor_id=None, part_id=facts.part_id))
        remaining -= cents
    return done
