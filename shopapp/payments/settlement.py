"""After collection: record the desk's receipt, settle every shop part, queue each part's payout."""

from __future__ import annotations

from sqlalchemy import select

from shopapp.core import outbox
from shopapp.extensions import db
from shopapp.payments import card, commission, order_port
from shopapp.payments.models import Payment, PaymentMethod
from shopapp.payments.payouts import PAY_OUT_PART_TASK


def settle_collected_order(order_id: int) -> int:
    """The order was collected at the desk (orders' `orders.order_collected` job): settle it once.

    Pay at pickup: the payment succeeds now (opened at checkout; opened here for an order placed
    before payments existed). Each collected part is settled with its frozen rate (receipt, commission,
    VAT memo: `commission.settle_paid_part`, idempotent) and its transfer is queued as its own job
    (`payments.pay_out_part`, one per part, so one shop's Stripe trouble never holds another's).
    Returns how many parts were settled; a repeat posts nothing new and re-queues harmless jobs.
    Flushes, never commits.
    """
    parts = [facts for facts in order_port.order_parts(order_id) if facts.is_collected]
    if not parts:
        return 0
    first = parts[0]
    if first.payment_method == PaymentMethod.AT_PICKUP:
        if db.session.scalar(select(Payment.id).where(Payment.order_id == order_id)) is None:
            total = sum(facts.subtotal_cents for facts in parts)
            card.open_pickup_payment(order_id, first.order_ref, total, first.currency)
        card.record_pickup_payment(order_id)
    for facts in parts:
        commission.settle_paid_part(facts.part_id)
        outbox.enqueue(PAY_OUT_PART_TASK, part_id=facts.part_id)
    db.session.flush()
    return len(parts)
