"""Payment tasks: each loads by id, calls one payments service (idempotent by state), commits once.

Stripe trouble that may pass (`RetryablePaymentError`) is retried with backoff under the same
Idempotency-Key; refusals are recorded by the services (refund/payout status `failed`).
"""

from __future__ import annotations

from celery import shared_task

from shopapp.core.transaction import commit
from shopapp.orders.events import ORDER_COLLECTED_TASK
from shopapp.orders.fulfilment import LINE_REFUND_DUE_TASK, NO_SHOW_REFUND_TASK, REFUND_DUE_TASK
from shopapp.payments import card, invoices, onboarding, payouts, refunds, settlement
from shopapp.payments.gateway import RetryablePaymentError
from worker.tasks.base import outbox_task

EXPIRE_UNPAID_TASK = "payments.expire_unpaid"
RELEASE_HELD_PAYOUTS_TASK = "payments.release_held_payouts"


@outbox_task(refunds.EXECUTE_REFUND_TASK, retry_on=(RetryablePaymentError,))
def execute_refund(refund_id: int) -> None:
    refunds.execute_refund(refund_id)


@outbox_task(card.CANCEL_INTENT_TASK, retry_on=(RetryablePaymentError,))
def cancel_payment_intent(payment_id: int) -> None:
    card.cancel_expired_intent(payment_id)


@outbox_task(payouts.PAY_OUT_PART_TASK, retry_on=(RetryablePaymentError,))
def pay_out_part(part_id: int) -> None:
    payouts.pay_out_part(part_id)


@outbox_task(payouts.REVERSE_FOR_REFUND_TASK, retry_on=(RetryablePaymentError,))
def reverse_for_refund(refund_id: int) -> None:
    payouts.reverse_for_refund(refund_id)


@outbox_task(ORDER_COLLECTED_TASK)
def order_collected(order_id: int) -> None:
    """Orders' collection event: payments records the desk's receipt and settles the order's parts."""
    settlement.settle_collected_order(order_id)


@outbox_task(NO_SHOW_REFUND_TASK)
def no_show_refund(order_id: int) -> None:
    """Orders' no-show event for a card-paid order: give back what the venue's policy says, or pay the
    shops (perishable goods), once."""
    refunds.refund_no_show(order_id)
    settlement.settle_no_show_order(order_id)


@outbox_task(REFUND_DUE_TASK)
def refund_due(order_id: int) -> None:
    """Orders' "paid money to give back" event (rejected part, cancelled paid order)."""
    refunds.refund_due(order_id)


@outbox_task(LINE_REFUND_DUE_TASK)
def line_refund_due(order_id: int, line_id: int) -> None:
    """Orders' "a line of a paid card order was refused" event: refund that line's amount, once."""
    refunds.refund_refused_line(order_id, line_id)


@shared_task(name=EXPIRE_UNPAID_TASK)
def expire_unpaid_task() -> int:
    """Periodic: release the orders of card payments past their hold (batched; the next run takes the rest)."""
    expired = card.expire_unpaid_payments()
    commit()
    return expired


@shared_task(name=invoices.ISSUE_MONTH_TASK)
def issue_monthly_invoices() -> int:
    """Periodic: issue last month's commission invoices not issued yet (a shop whose legal identity was
    incomplete gets its invoice on the first run after it is completed). Returns how many exist."""
    run = invoices.issue_month(invoices.previous_month())
    commit()
    return len(run.issued)


@shared_task(name=RELEASE_HELD_PAYOUTS_TASK)
def release_held_payouts() -> int:
    """Periodic: re-read the accounts of shops with payouts held for an unfinished onboarding, and queue
    those payouts once the account can receive them (in case an account.updated webhook was missed)."""
    checked = onboarding.release_held_payouts()
    commit()
    return checked
