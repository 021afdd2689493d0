"""After collection: record the desk's receipt, settle every shop part, queue each part's payout."""

from __future__ import annotations

from shopapp.core import outbox
from shopapp.extensions import db
from shopapp.payments import card, commission, order_port, refunds
from shopapp.payments.payouts import PAY_OUT_PART_TASK


def settle_no_show_order(order_id: int) -> int:
    """A card-paid no-show under the "pay the shops" policy: settle and pay out each part holding
    perishable goods as for a collected order (commission withheld), less the refund of its other lines
    (posted with its commission given back when Stripe has made it), once — the ledger's postings and the
    payouts are unique per part, so a repeat posts and pays nothing more. Any other no-show: nothing.
    Returns how many parts were settled. Flushes, never commits.
    """
    parts = [facts for facts in order_port.order_parts(order_id) if facts.is_paid_as_no_show and facts.is_paid]
    for facts in parts:
        commission.settle_paid_part(facts.part_id)
        refunds.post_earlier_refunds(facts.part_id)
        if refunds.part_has_pending_refund(facts.part_id):
            continue  # its other lines are being refunded: the payout is queued once that refund is posted
        outbox.enqueue(PAY_OUT_PART_TASK, part_id=facts.part_id)
    db.session.flush()
    return len(parts)


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
