"""Periodic housekeeping."""

from celery import shared_task

from shopapp.core import outbox


@shared_task(name="outbox.sweep")
def sweep_outbox() -> dict[str, int]:
    return outbox.sweep()
