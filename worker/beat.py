"""The one central beat schedule: explicit task names → schedules."""

from __future__ import annotations

from datetime import timedelta

from celery import Celery

SCHEDULE = {
    "outbox-sweep": {"task": "outbox.sweep", "schedule": timedelta(seconds=30)},
    "orders-generate-slots": {"task": "orders.generate_slots", "schedule": timedelta(hours=6)},
    "orders-mark-no-shows": {"task": "orders.mark_no_shows", "schedule": timedelta(minutes=10)},
}


def configure_beat(celery_app: Celery) -> Celery:
    """Attach the schedule and register the task modules."""
    celery_app.conf.beat_schedule = SCHEDULE
    celery_app.autodiscover_tasks(["worker"], related_name="tasks", force=True)
    import worker.tasks  # noqa: F401  (registers every task)

    return celery_app
