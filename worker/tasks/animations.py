"""Animation notices (outbox jobs) and the reminder sweep (beat)."""

from __future__ import annotations

from celery import shared_task

from shopapp.animations import notices
from shopapp.animations.registrations import PROMOTION_TASK, REGISTRATION_TASK
from shopapp.animations.services import ANIMATION_CANCELLED_TASK, FAVOURITE_SHOP_ANIMATION_TASK
from shopapp.core.mail import TemporaryMailError
from shopapp.core.transaction import commit
from worker.tasks.base import outbox_task


@outbox_task(REGISTRATION_TASK, retry_on=(TemporaryMailError,))
def registration_confirmed(registration_id: int, status: str = "registered") -> None:
    notices.send_registration_confirmed(registration_id, status)


@outbox_task(PROMOTION_TASK, retry_on=(TemporaryMailError,))
def waitlist_promoted(registration_id: int) -> None:
    notices.send_waitlist_promoted(registration_id)


@outbox_task(ANIMATION_CANCELLED_TASK, retry_on=(TemporaryMailError,))
def animation_cancelled(animation_id: int) -> None:
    notices.send_cancellation(animation_id)


@outbox_task(FAVOURITE_SHOP_ANIMATION_TASK, retry_on=(TemporaryMailError,))
def favourite_shop_animation(animation_id: int) -> None:
    notices.send_favourite_shop_animation(animation_id)


@outbox_task(notices.REMINDER_TASK, retry_on=(TemporaryMailError,))
def send_reminders(animation_id: int) -> None:
    notices.send_reminders(animation_id)


@shared_task(name="animations.queue_reminders")
def queue_reminders_task() -> int:
    """Queue reminder jobs for animations starting within a day (idempotent by a state flag)."""
    queued = notices.queue_reminders()
    commit()
    return queued
