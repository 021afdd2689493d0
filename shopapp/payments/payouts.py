"""Payouts with Stripe Connect "separate charges and transfers": one transfer per collected shop part."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shopapp.catalog.models import Shop
from shopapp.core.clock import utcnow
from shopapp.errors import DomainError
from shopapp.extensions import db
from shopapp.orders.states import PaymentMethod
from shopapp.payments import commission, gateway, ledger, order_port
from shopapp.payments.ledger import Posting, insert_ignoring_duplicates
from shopapp.payments.models import LedgerEntry, LedgerKind, Payment, Payout, PayoutStatus, Refund, RefundStatus

PAY_OUT_PART_TASK = "payments.pay_out_part"
REVERSE_FOR_REFUND_TASK = "payments.reverse_for_refund"
PAYOUT_REFERENCE = "payout"


class PartNotCollected(DomainError):
    status = 409
    code = "part_not_collected"


def pay_out_part(part_id: int) -> Payout:
    """Settle a collected part (or a no-show one the venue pays its shop for) and transfer its net amount
    to the shop, exactly once.

    Steps, each idempotent: post the settlement (commission.settle_paid_part); create or find the
    Payout row (unique part_id) and lock it — a second worker on the same part waits here and then
    finds it paid; look for a transfer already made for this part (metadata part_id in the order's
    transfer group), because Stripe forgets Idempotency-Keys after 24 hours and our commit may have been
    lost after a transfer succeeded; else create it with the key `transfer:<part_id>`
    (`transfer:<part_id>:<n>` after a refusal for an unfinished onboarding, since Stripe replays a
    refusal under its key); record the
    transfer id and post the payout. The Stripe calls happen under the row lock on purpose: it is what
    keeps two workers from paying the same part.

    A refusal by Stripe marks the payout failed (shown to staff) and returns, except a refusal because the
    shop's onboarding is unfinished (or an account Stripe says cannot receive payouts yet, not tried):
    the payout is held and paid once the account is enabled; a shop without a connected account keeps a
    pending payout (its balance stays owed). :raise PartNotCollected:
    :raise RetryablePaymentError: retry later.
    Flushes, never commits.
    """
    facts = order_port.part_facts(part_id)
    if not (facts.is_collected or facts.is_paid_as_no_show):
        raise PartNotCollected(str(_l("La commande n'a pas encore été retirée.")))
    commission.settle_paid_part(part_id)
    key = gateway.idempotency_key("transfer", part_id)
    insert_ignoring_duplicates(Payout, [{
        "part_id": part_id, "order_id": facts.order_id, "shop_id": facts.shop_id,
        "amount_cents": 0, "amount_reversed_cents": 0, "currency": facts.currency,
        "status": str(PayoutStatus.PENDING), "idempotency_key": key, "created_at": utcnow(),
    }])
    payout = db.session.scalar(select(Payout).where(Payout.part_id == part_id).with_for_update())
    assert payout is not None
    if payout.status == PayoutStatus.PAID:
        return payout
    # What the part's ledger still owes the shop: the settlement's net, less anything refunded before
    # the transfer (refunds.py posts those), so a refund never needs reversing a transfer not yet made.
    # A no-show's shop is paid for its perishable lines only, even while the refund of the rest is not
    # made (failed for good: it stays with the association, owed to the resident, shown to staff).
    payout.amount_cents = max(min(ledger.part_balance(part_id), no_show_share_cents(facts)), 0)
    if payout.amount_cents == 0:
        return _record_paid(payout, facts, transfer_id=None)
    shop = db.session.get(Shop, facts.shop_id)
    if shop is None or not shop.stripe_account_id:
        # Decision: the sale is settled and the money stays owed to the shop (its balance shows it);
        # the payout waits, pending, until the association records the shop's connected account
        # (payments/onboarding.py then queues every pending payout of the shop again).
        payout.last_error = str(_l("Le commerce n'a pas encore de compte de versement."))[:500]
        db.session.flush()
        return payout
    if shop.payouts_enabled is False:
        # Stripe told us the account cannot receive payouts yet: held, not tried; the account.updated
        # webhook (or the beat sweep) queues it again once it can (payments/onboarding.py).
        return _hold(payout)
    group = gateway.transfer_group_for(facts.order_ref)
    source = None
    if facts.payment_method == PaymentMethod.CARD:
        source = db.session.scalar(select(Payment.stripe_charge_id).where(Payment.order_id == facts.order_id))
    try:
        transfer = gateway.find_transfer(group, "part_id", str(part_id)) or gateway.create_transfer(
            amount_cents=payout.amount_cents,
            currency=payout.currency,
            destination_account=shop.stripe_account_id,
            transfer_group=group,
            source_transaction=source,
            idempotency_key=payout.idempotency_key,
            metadata={"part_id": str(part_id), "order_id": str(facts.order_id), "shop_id": str(facts.shop_id)},
        )
    except gateway.TerminalPaymentError as exc:
        if exc.code in gateway.ONBOARDING_UNFINISHED_CODES:
            # Stripe keeps a refused request's answer under its key: the retry needs a new one.
            shop.payouts_enabled = False
            payout.idempotency_key = _next_attempt_key(payout.idempotency_key)
            return _hold(payout)
        payout.status = PayoutStatus.FAILED
        payout.last_error = exc.message[:500]
        db.session.flush()
        return payout
    return _record_paid(payout, facts, transfer_id=transfer.id)


def no_show_share_cents(facts: order_port.PartFacts) -> int:
    """What a no-show part's shop may be paid at most: its perishable lines' net, i.e. the settlement's net
    less the net the refund of its other lines gives back (to the cent what the ledger owes once that
    refund is posted). Any other part: its subtotal, which no balance exceeds (no cap)."""
    if not facts.is_paid_as_no_show or facts.perishable_cents is None:
        return facts.subtotal_cents
    vat = commission.commission_vat_bps()
    whole = commission.split_withheld(facts.subtotal_cents, facts.commission_rate_bps, vat)[2]
    rest = commission.split_withheld(max(facts.subtotal_cents - facts.perishable_cents, 0),
                                     facts.commission_rate_bps, vat)[2]
    return whole - rest


def _next_attempt_key(key: str) -> str:
    """`transfer:42` → `transfer:42:2` → `transfer:42:3`: the key of the next attempt after a refusal."""
    kind, part_id, *attempt = key.split(":")
    return f"{kind}:{part_id}:{int(attempt[0]) + 1 if attempt else 2}"


def _hold(payout: Payout) -> Payout:
    payout.status = PayoutStatus.HELD
    payout.last_error = str(_l("Le commerce n'a pas terminé son inscription Stripe."))[:500]
    db.session.flush()
    return payout


def _record_paid(payout: Payout, facts: order_port.PartFacts, *, transfer_id: str | None) -> Payout:
    payout.stripe_transfer_id = transfer_id
    payout.status = PayoutStatus.PAID
    payout.paid_at = utcnow()
    payout.last_error = None
    ledger.post([Posting(facts.shop_id, facts.part_id, facts.order_id, LedgerKind.PAYOUT, -payout.amount_cents,
                         payout.currency, PAYOUT_REFERENCE)])
    db.session.flush()
    return payout


def reverse_for_refund(refund_id: int) -> None:
    """Take a refunded part's net back from the shop's transfer, once per refund.

    The shop's share of the refund (amount − commission given back) is reversed on the part's
    transfer (key `reversal:<refund_id>`); if Stripe refuses (the shop's balance is gone, or more than
    the unreversed amount) a `receivable` memo records what the shop owes instead, and its balance stays
    negative by that much. No-op when already done. :raise RetryablePaymentError: retry later.
    Flushes, never commits.
    """
    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.part_id is None or refund.status != RefundStatus.SUCCEEDED:
        return
    payout = db.session.scalar(select(Payout).where(Payout.part_id == refund.part_id).with_for_update())
    if payout is None or payout.status != PayoutStatus.PAID or not payout.stripe_transfer_id:
        return
    reference = f"refund:{refund.id}"
    done = db.session.scalar(select(LedgerEntry.id).where(
        LedgerEntry.part_id == refund.part_id, LedgerEntry.reference == reference,
        LedgerEntry.kind.in_([str(LedgerKind.TRANSFER_REVERSAL), str(LedgerKind.RECEIVABLE)])))
    if done is not None:
        return
    # What the part's ledger says the shop was overpaid. A refund posted before the transfer was made
    # is already out of the payout's amount (pay_out_part transfers the part's balance): nothing to take
    # back then, even if this job runs after the payout (two workers, a redelivery).
    overpaid = -ledger.part_balance(refund.part_id)
    if overpaid <= 0:
        return
    net = min(refund_net_cents(refund.part_id, refund.amount_cents), overpaid)
    amount = min(net, payout.amount_cents - payout.amount_reversed_cents)
    facts = order_port.part_facts(refund.part_id)

    def posting(kind: LedgerKind, cents: int) -> Posting:
        return Posting(facts.shop_id, facts.part_id, facts.order_id, kind, cents, payout.currency, reference)

    if amount <= 0:
        ledger.post([posting(LedgerKind.RECEIVABLE, -net)])
        return
    try:
        gateway.reverse_transfer(payout.stripe_transfer_id, amount, gateway.idempotency_key("reversal", refund.id),
                                 {"refund_id": str(refund.id), "part_id": str(refund.part_id)})
    except gateway.TerminalPaymentError:
        ledger.post([posting(LedgerKind.RECEIVABLE, -net)])
        return
    payout.amount_reversed_cents = payout.amount_reversed_cents + amount
    postings = [posting(LedgerKind.TRANSFER_REVERSAL, amount)]
    if net > amount:
        postings.append(posting(LedgerKind.RECEIVABLE, amount - net))
    ledger.post(postings)
    db.session.flush()


def refund_net_cents(part_id: int, amount_cents: int) -> int:
    """The shop's share of a refund on this part: the amount less the commission and its VAT given back."""
    rate = order_port.part_facts(part_id).commission_rate_bps
    return commission.split_withheld(amount_cents, rate, commission.commission_vat_bps())[2]
