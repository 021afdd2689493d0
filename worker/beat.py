"""The one central beat schedule: explicit task names → schedules."""

from __future__ import annotations

from datetime import timedelta

from celery import Celery

SCHEDULE = {
    "outbox-sweep": {"task": "outbox.sweep", "schedule": timedelta(seconds=30)},
    "orders-generate-slots": {"task": "orders.generate_slots", "schedule": timedelta(hours=6)},
    "orders-mark-no-shows": {"task": "orders.mark_no_shows", "schedule": timedelta(minutes=10)},
    "payments-expire-unpaid": {"task": "payments.expire_unpaid", "schedule": timedelta(minutes=1)},
    # Last month's commission invoices: idempotent, so running every few hours issues them early on the
    # 1st and catches up a shop whose legal identity is completed later.
    # Payouts held until a shop finishes its Stripe onboarding (the account.updated webhook releases them
    # at once; this catches a missed webhook).
    "payments-release-held-payouts": {"task": "payments.release_held_payouts", "schedule": timedelta(minutes=30)},
    "payments-issue-monthly-invoices": {"task": "payments.issue_monthly_invoices", "schedule": timedelta(hours=4)},
    # Notices found by sweeping the database; each is idempotent through the notice log.
    "notices-slot-reminders": {"task": "notices.send_slot_reminders", "schedule": timedelta(minutes=5)},
    "notices-uncollected-reminders": {"task": "notices.send_uncollected_reminders",
                                      "schedule": timedelta(minutes=15)},
    "notices-daily-digests": {"task": "notices.send_daily_digests", "schedule": timedelta(minutes=30)},
    # Standing orders: each due date becomes an order before the shops' lead time (idempotent by date).
    "standing-place-due-occurrences": {"task": "standing.place_due_occurrences", "schedule": timedelta(minutes=15)},
    "animations-queue-reminders": {"task": "animations.queue_reminders", "schedule": timedelta(minutes=15)},
}


def configure_beat(celery_app: Celery) -> Celery:
    """Attach the schedule and register the task modules."""
    celery_app.conf.beat_schedule = SCHEDULE
    celery_app.autodiscover_tasks(["worker"], related_name="tasks", force=True)

    return celery_app
