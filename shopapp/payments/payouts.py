"""Payouts with Stripe Connect "separate charges and transfers": one transfer per collected shop part."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shopapp.catalog.models import Shop
from shopapp.core.db import utcnow
from shopapp.errors import DomainError
from shopapp.extensions import db
from shopapp.payments import commission, gateway, ledger, order_port
from shopapp.payments.ledger import Posting, insert_ignoring_duplicates
from shopapp.payments.models import LedgerKind, Payment, PaymentMethod, Payout, PayoutStatus

PAY_OUT_PART_TASK = "payments.pay_out_part"
PAYOUT_REFERENCE = "payout"


class PartNotCollected(DomainError):
    status = 409
    code = "part_not_collected"


class ShopNotOnboarded(DomainError):
    status = 409
    code = "shop_not_onboarded"


def pay_out_part(part_id: int) -> Payout:
    """Settle a collected part and transfer its net amount to the shop, exactly once.

    Steps, each idempotent: post the settlement (commission.settle_paid_part); create or find the
    Payout row (unique part_id) and lock it — a second worker on the same part waits here and then
    finds it paid; look for a transfer already made for this part (metadata part_id in the order's
    transfer group), because Stripe forgets Idempotency-Keys after 24 hours and our commit may have been
    lost after a transfer succeeded; else create it with the key `transfer:<part_id>`; record the
    transfer id and post the payout. The Stripe calls happen under the row lock on purpose: it is what
    keeps two workers from paying the same part.

    A refusal by Stripe marks the payout failed (shown to staff) and returns.
    :raise PartNotCollected, ShopNotOnboarded: :raise RetryablePaymentError: retry later.
    Flushes, never commits.
    """
    facts = order_port.part_facts(part_id)
    if not facts.is_collected:
        raise PartNotCollected(str(_l("La commande n'a pas encore été retirée.")))
    settlement = commission.settle_paid_part(part_id)
    key = gateway.idempotency_key("transfer", part_id)
    insert_ignoring_duplicates(Payout, [{
        "part_id": part_id, "order_id": facts.order_id, "shop_id": facts.shop_id,
        "amount_cents": settlement.payout_cents, "amount_reversed_cents": 0, "currency": facts.currency,
        "status": str(PayoutStatus.PENDING), "idempotency_key": key, "created_at": utcnow(),
    }])
    payout = db.session.scalar(select(Payout).where(Payout.part_id == part_id).with_for_update())
    assert payout is not None
    if payout.status == PayoutStatus.PAID:
        return payout
    if payout.amount_cents == 0:
        return _record_paid(payout, facts, transfer_id=None)
    shop = db.session.get(Shop, facts.shop_id)
    if shop is None or not shop.stripe_account_id:
        raise ShopNotOnboarded(str(_l("Le commerce n'a pas encore de compte de versement.")))
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
            idempotency_key=key,
            metadata={"part_id": str(part_id), "order_id": str(facts.order_id), "shop_id": str(facts.shop_id)},
        )
    except gateway.TerminalPaymentError as exc:
        payout.status = PayoutStatus.FAILED
        payout.last_error = exc.message[:500]
        db.session.flush()
        return payout
    return _record_paid(payout, facts, transfer_id=transfer.id)


def _record_paid(payout: Payout, facts: order_port.PartFacts, *, transfer_id: str | None) -> Payout:
    payout.stripe_transfer_id = transfer_id
    payout.status = PayoutStatus.PAID
    payout.paid_at = utcnow()
    payout.last_error = None
    ledger.post([Posting(facts.shop_id, facts.part_id, facts.order_id, LedgerKind.PAYOUT, -payout.amount_cents,
                         payout.currency, PAYOUT_REFERENCE)])
    db.session.flush()
    return payout
