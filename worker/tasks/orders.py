"""Order tasks: the periodic slot generation and no-show sweep.

The outbox tasks of order events live with what they do: notices in worker/tasks/notices.py, settlement
and payouts in worker/tasks/payments.py.
"""

from __future__ import annotations

from celery import shared_task

from shopapp.core.transaction import commit
from shopapp.orders import fulfilment, slots


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
