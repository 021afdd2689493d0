"""After collection: record the desk's receipt, settle every shop part, queue each part's payout."""

from __future__ import annotations

from shopapp.core import outbox
from shopapp.extensions import db
from shopapp.payments import card, commission, order_port, refunds
from shopapp.payments.payouts import PAY_OUT_PART_TASK


def settle_collected_order(order_id: int) -> int:
    """The order was collected at the desk (orders' `orders.order_collected` job): settle it once.

    Pay at pickup: the payment succeeds now for what the desk took (card.record_desk_payment).
    Each collected part is settled with its frozen rate (receipt, commission, VAT memo:
    `commission.settle_paid_part`, idempotent), the refunds made on it before collection are posted,
    and its transfer is queued as its own job (`payments.pay_out_part`, one per part, so one shop's
    Stripe trouble never holds another's).
    Returns how many parts were settled; a repeat posts nothing new and re-queues harmless jobs.
    Flushes, never commits.
    """
    parts = [facts for facts in order_port.order_parts(order_id) if facts.is_collected]
    if not parts:
        return 0
    card.record_desk_payment(order_id)
    for facts in parts:
        commission.settle_paid_part(facts.part_id)
        refunds.post_earlier_refunds(facts.part_id)  # before the payout job reads what the shop is owed
        outbox.enqueue(PAY_OUT_PART_TASK, part_id=facts.part_id)
    db.session.flush()
    return len(parts)
