"""Notice tasks: each order event's e-mails (one orders service each), the low-stock alert, and the
periodic reminder sweeps. Temporary mail trouble is retried with backoff (`outbox_task`); the sweeps
retry by running again.
"""

from __future__ import annotations

from celery import shared_task

from shopapp.animations import calendar as animation_calendar
from shopapp.catalog import notices as catalog_notices
from shopapp.catalog.stock import LOW_STOCK_TASK
from shopapp.core.mail import TemporaryMailError
from shopapp.core.transaction import commit
from shopapp.orders import events, reminders
from shopapp.orders import notices as order_notices
from shopapp.payments import receipt_mail
from worker.tasks.base import outbox_task

SLOT_REMINDERS_TASK = "notices.send_slot_reminders"
UNCOLLECTED_REMINDERS_TASK = "notices.send_uncollected_reminders"
DAILY_DIGESTS_TASK = "notices.send_daily_digests"

@outbox_task(events.ORDER_CONFIRMED_TASK, retry_on=(TemporaryMailError,))
def order_confirmed(order_id: int) -> None:
    # The invitation also holds the animations the resident joined for that pickup slot.
    order_notices.send_order_confirmed(order_id, extra_events=animation_calendar.joined_during_pickup(order_id))


@outbox_task(events.PART_TO_PREPARE_TASK, retry_on=(TemporaryMailError,))
def part_to_prepare(part_id: int) -> None:
    order_notices.send_part_to_prepare(part_id)


@outbox_task(events.PART_REJECTED_TASK, retry_on=(TemporaryMailError,))
def part_rejected(part_id: int) -> None:
    order_notices.send_part_rejected(part_id)


@outbox_task(events.LINE_REFUSED_TASK, retry_on=(TemporaryMailError,))
def line_refused(line_id: int) -> None:
    order_notices.send_line_refused(line_id)


@outbox_task(events.ORDER_READY_TASK, retry_on=(TemporaryMailError,))
def order_ready(order_id: int) -> None:
    order_notices.send_order_ready(order_id)


@outbox_task(events.ORDER_RECEIPT_TASK, retry_on=(TemporaryMailError,))
def order_receipt(order_id: int) -> None:
    # The notice is orders'; payments draws the receipt and attaches its PDF.
    receipt_mail.send_receipt_notice(order_id)


@outbox_task(events.ORDER_CANCELLED_TASK, retry_on=(TemporaryMailError,))
def order_cancelled(order_id: int) -> None:
    order_notices.send_order_cancelled(order_id)


@outbox_task(events.ORDER_NO_SHOW_TASK, retry_on=(TemporaryMailError,))
def order_no_show(order_id: int) -> None:
    order_notices.send_order_no_show(order_id)


@outbox_task(events.PICKUP_MOVED_TASK, retry_on=(TemporaryMailError,))
def pickup_moved(order_id: int, slot_id: int) -> None:
    order_notices.send_pickup_moved(order_id, slot_id)


@outbox_task(events.SLOT_WITHDRAWN_TASK, retry_on=(TemporaryMailError,))
def slot_withdrawn(order_id: int, slot_id: int) -> None:
    order_notices.send_slot_withdrawn(order_id, slot_id)


@outbox_task(LOW_STOCK_TASK, retry_on=(TemporaryMailError,))
def low_stock(product_id: int) -> None:
    catalog_notices.send_low_stock_notice(product_id)


@shared_task(name=SLOT_REMINDERS_TASK)
def send_slot_reminders_task() -> int:
    """Periodic: reminders before pickup slots (idempotent by the notice log)."""
    sent = reminders.send_slot_reminders()
    commit()
    return sent


@shared_task(name=UNCOLLECTED_REMINDERS_TASK)
def send_uncollected_reminders_task() -> int:
    """Periodic: reminders for ready orders still waiting at the venue (idempotent by the notice log)."""
    sent = reminders.send_uncollected_reminders()
    commit()
    return sent


@shared_task(name=DAILY_DIGESTS_TASK)
def send_daily_digests_task() -> int:
    """Periodic: each shop's picking digest for tomorrow, once per shop per day (idempotent by the notice log)."""
    sent = reminders.send_daily_digests()
    commit()
    return sent
