"""Order tasks: the periodic slot generation and no-show sweep, and the order event tasks.

The event tasks (`shopapp.orders.events.EVENT_TASKS`) are placeholders so that the outbox jobs orders
emit complete: the notice e-mails arrive with the worker/notices issue and settlement with payments.
The issue that implements one of these names removes it from `PLACEHOLDER_EVENT_TASKS` (Celery keeps
the first registration of a name, so two would depend on import order).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from shopapp.core.transaction import commit
from shopapp.orders import events, fulfilment, slots
from shopapp.orders.events import EVENT_TASKS
from worker.tasks.base import outbox_task


@shared_task(name="orders.generate_slots")
def generate_slots_task(weeks: int = slots.SLOT_WEEKS_AHEAD) -> int:
    """Keep `weeks` weeks of pickup slots ahead (idempotent: existing slots are kept)."""
    created = slots.generate_slots(weeks)
    commit()
    return created


@shared_task(name="orders.mark_no_shows")
def mark_no_shows_task() -> int:
    """Ready orders past their slot and the holding period become no-shows (idempotent by status)."""
    marked = fulfilment.mark_no_shows()
    commit()
    return marked


def _placeholder(task_name: str) -> Any:
    def order_event(**ids: Any) -> None:
        """Placeholder: the notice e-mail (or settlement) for this order event arrives with its own issue."""

    order_event.__name__ = task_name.replace(".", "_")
    order_event.__qualname__ = order_event.__name__
    return outbox_task(task_name)(order_event)


# Implemented in worker/tasks/notices.py: the six notice events.
PLACEHOLDER_EVENT_TASKS: tuple[str, ...] = tuple(
    name for name in EVENT_TASKS
    if name not in (events.ORDER_CONFIRMED_TASK, events.PART_TO_PREPARE_TASK, events.PART_REJECTED_TASK,
                    events.ORDER_READY_TASK, events.ORDER_CANCELLED_TASK, events.ORDER_NO_SHOW_TASK,
                    # Implemented in worker/tasks/payments.py: settlement and payouts.
                    events.ORDER_COLLECTED_TASK)
)
EVENT_TASK_OBJECTS = {name: _placeholder(name) for name in PLACEHOLDER_EVENT_TASKS}
