"""Notice tasks: each order event's e-mails (one orders service each), the low-stock alert, and the
periodic reminder sweeps. Temporary mail trouble is retried with backoff (`outbox_task`); the sweeps
retry by running again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any

from celery import shared_task

from shopapp.animations import calendar as animation_calendar
from shopapp.catalog import notices as catalog_notices
from shopapp.catalog.stock import LOW_STOCK_TASK
from shopapp.core.mail import TemporaryMailError
from shopapp.core.transaction import commit
from shopapp.notices.attachments import CalendarEvent
from shopapp.orders import events, reminders
from shopapp.orders import notices as order_notices
from shopapp.payments import receipt_mail
from worker.tasks.base import outbox_task

SLOT_REMINDERS_TASK = "notices.send_slot_reminders"
UNCOLLECTED_REMINDERS_TASK = "notices.send_uncollected_reminders"
DAILY_DIGESTS_TASK = "notices.send_daily_digests"

# The animations joined during the pickup of a batch's confirmations, read together (by order id).
_joined: ContextVar[dict[int, list[CalendarEvent]] | None] = ContextVar("joined_read_together", default=None)


@contextmanager
def _confirmations_read_together(payloads: list[dict[str, Any]]) -> Iterator[None]:
    order_ids = [int(payload["order_id"]) for payload in payloads]
    token = _joined.set(animation_calendar.joined_during_pickups(order_ids))
    try:
        with order_notices.contexts_read_together(order_ids):
            yield
    finally:
        _joined.reset(token)


@outbox_task(events.ORDER_CONFIRMED_TASK, retry_on=(TemporaryMailError,), read_together=_confirmations_read_together)
def order_confirmed(order_id: int) -> None:
    # The invitation also holds the animations the resident joined for that pickup slot.
    joined = _joined.get()
    extra = joined.get(order_id, []) if joined is not None else animation_calendar.joined_during_pickup(order_id)
    order_notices.send_order_confirmed(order_id, extra_events=extra)


def _parts_read_together(payloads: list[dict[str, Any]]) -> AbstractContextManager[None]:
    return order_notices.contexts_read_together(order_notices.orders_of_parts([int(p["part_id"]) for p in payloads]))


@outbox_task(events.PART_TO_PREPARE_TASK, retry_on=(TemporaryMailError,), read_together=_parts_read_together)
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
