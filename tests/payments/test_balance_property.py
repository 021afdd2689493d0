"""Property: for random baskets across shops, rates, partial refunds and pay at pickup, every order and
every shop balances to the cent, and no refund ever exceeds what was paid.

Each example builds a real collected order (card orders are really paid on localstripe and really
refunded there; orders paid at pickup are paid and refunded at the desk, and may have had one shop's
part rejected before collection), settles it through the payments services and checks the ledger:
- per part: what the shop is owed + the commission kept == received − refunded, to the cent;
- per order: the parts' sums add up to the payment's captured − refunded amount;
- a part rejected before collection was never due: no entry, nothing refundable;
- refunds beyond what remains are refused and leave the payment untouched.
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from shopapp.catalog.models import Shop
from shopapp.core.money import split_commission, vat_on
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.orders.models import Order, OrderPart
from shopapp.payments import card, ledger, refunds, settlement
from shopapp.payments.models import CardPaymentStatus, LedgerEntry, Payment
from tests.payments.conftest import pay_on_localstripe
from tests.support.order_rows import make_order_rows

PARTS = st.lists(st.tuples(st.integers(1, 30_000), st.integers(0, 3_000)), min_size=1, max_size=4)
REFUNDS = st.lists(st.tuples(st.integers(0, 3), st.integers(1, 2_000) | st.integers(1, 30_000)), max_size=4)
REJECTED = st.none() | st.integers(0, 3)  # pay at pickup: index of a part rejected before collection


_shop_numbers = itertools.count(1)


def _new_shop(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        shop = Shop(slug=f"propriete-{next(_shop_numbers)}", name="Boutique", trade="Commerce", status="approved")
        db.session.add(shop)
        db.session.commit()
        return shop.id


def _reject(order_id: int, part_id: int) -> None:
    # As fulfilment.set_part_status(…, "rejected") leaves an order not paid yet: out of its total.
    order, part = db.session.get(Order, order_id), db.session.get(OrderPart, part_id)
    part.status = "rejected"
    order.total_cents = order.total_cents - part.subtotal_cents


def _collect(order_id: int) -> None:
    # As the desk's collect_order leaves it: collected, and an at-pickup order paid there.
    order = db.session.get(Order, order_id)
    order.status = "collected"
    if order.payment_method == "at_pickup":
        order.payment_status, order.paid_via, order.paid_cents = "paid", "cash", order.total_cents
    for part in order.remaining_parts:
        part.status = "at_venue"


def _kind_sum(part_id: int, kind: str) -> int:
    return int(db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .where(LedgerEntry.part_id == part_id, LedgerEntry.kind == kind)
    ) or 0)


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(parts=PARTS, pay_by_card=st.booleans(), asked_refunds=REFUNDS, rejected=REJECTED)
def test_every_order_and_shop_balances_to_the_cent(app, localstripe, parts, pay_by_card, asked_refunds, rejected):
    method = "card" if pay_by_card else "at_pickup"
    shops = [_new_shop(app) for _ in parts]
    rows = make_order_rows(app, parts=[(shop, subtotal, rate) for shop, (subtotal, rate) in zip(shops, parts,
                                                                                              strict=True)],
                           method=method, status="ready_for_pickup")
    total = sum(subtotal for subtotal, _rate in parts)
    rejected_part = None
    if not pay_by_card and rejected is not None and len(parts) > 1:
        rejected_part = rows.part_ids[rejected % len(parts)]
    with app.app_context():
        if rejected_part is not None:
            _reject(rows.order_id, rejected_part)
            total -= db.session.get(OrderPart, rejected_part).subtotal_cents
            event("pay at pickup: a part rejected before collection")
        if pay_by_card:
            started = card.start_card_payment(rows.order_id, rows.number, total, "EUR")
            pay_on_localstripe(localstripe, started.payment_intent_id)
            payment = db.session.get(Payment, started.payment_id)
            payment.status = CardPaymentStatus.SUCCEEDED
            payment.amount_captured_cents = total
            db.session.get(Order, rows.order_id).payment_status = "paid"
        _collect(rows.order_id)
        commit()

        settlement.settle_collected_order(rows.order_id)
        settlement.settle_collected_order(rows.order_id)  # a redelivered job posts nothing new
        commit()

        for index, amount in asked_refunds:
            part_id = rows.part_ids[index % len(rows.part_ids)]
            payment = db.session.scalar(select(Payment).where(Payment.order_id == rows.order_id))
            before = payment.amount_refunded_cents
            if part_id == rejected_part:
                assert refunds.part_refundable_cents(part_id) == 0
                try:
                    refunds.refund_order(rows.order_id, actor_id=None, reason="test", part_id=part_id)
                except refunds.RefundExceedsPayment:
                    db.session.rollback()
                else:
                    raise AssertionError("a part never paid was refunded")
                assert db.session.get(Payment, payment.id).amount_refunded_cents == before
                event("refund of a part never paid refused")
                continue
            if amount > refunds.part_refundable_cents(part_id) or amount > payment.refundable_cents:
                try:
                    refunds.refund_order(rows.order_id, actor_id=None, reason="test", part_id=part_id) \
                        if amount > payment.refundable_cents and refunds.part_refundable_cents(part_id) == 0 \
                        else refunds.request_refund(payment.id, payment.refundable_cents + 1, reason="trop",
                                                    actor_id=None, part_id=part_id)
                except refunds.RefundExceedsPayment:
                    db.session.rollback()
                else:
                    raise AssertionError("an over-refund was accepted")
                assert db.session.get(Payment, payment.id).amount_refunded_cents == before
                event("over-refund refused")
                continue
            refund = refunds.request_refund(payment.id, amount, reason="produit manquant", actor_id=None,
                                            part_id=part_id)
            commit()
            refunds.execute_refund(refund.id)  # card: at Stripe; at pickup: already given back, no-op
            commit()
            event(f"partial refund made ({method})")

        payment = db.session.scalar(select(Payment).where(Payment.order_id == rows.order_id))
        received, refunded = payment.amount_captured_cents, payment.amount_refunded_cents
        assert payment.status == CardPaymentStatus.SUCCEEDED and received == total
        assert 0 <= refunded <= received

        order_owed = order_commission = 0
        for part in db.session.scalars(select(OrderPart).where(OrderPart.order_id == rows.order_id)):
            part_refunded = -_kind_sum(part.id, "refund")
            kept = -_kind_sum(part.id, "commission")
            kept_vat = -_kind_sum(part.id, "commission_vat")
            owed = ledger.part_balance(part.id)
            receipt = _kind_sum(part.id, "sale") + _kind_sum(part.id, "pickup_receipt")
            if part.id == rejected_part:
                assert ledger.entries_for_part(part.id) == []
                continue
            assert receipt == part.subtotal_cents
            assert part_refunded <= part.subtotal_cents
            # The commission is withheld with its VAT (payments/commission.py).
            assert owed + kept + kept_vat == part.subtotal_cents - part_refunded
            assert kept == split_commission(part.subtotal_cents, part.commission_rate_bps)[0] - sum(
                split_commission(-entry.amount_cents, part.commission_rate_bps)[0]
                for entry in ledger.entries_for_part(part.id) if entry.kind == "refund"
            )
            assert kept_vat == vat_on(split_commission(part.subtotal_cents, part.commission_rate_bps)[0], 2000) - sum(
                vat_on(split_commission(-entry.amount_cents, part.commission_rate_bps)[0], 2000)
                for entry in ledger.entries_for_part(part.id) if entry.kind == "refund"
            )
            order_owed += owed
            order_commission += kept + kept_vat
        assert order_owed + order_commission == received - refunded
