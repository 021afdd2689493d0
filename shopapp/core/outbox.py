"""Transactional outbox.

A service calls `enqueue(task_name, **ids)` inside its transaction; the job row commits or rolls back
with the business change. After commit, `dispatch()` publishes the new jobs to Celery. A job is done
only when its task records its effect (`mark_done`, in the task's own commit); `sweep()` re-publishes
jobs never published (broker down at commit time) and jobs published but not done after a timeout
(a worker killed mid-task, a message lost by the broker), up to a bounded number of attempts.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar, Token
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import JSON, CheckConstraint, Index, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from shopapp.core.clock import utcnow
from shopapp.core.db import Base
from shopapp.extensions import db

log = logging.getLogger(__name__)

PENDING = "pending"
PUBLISHED = "published"
DONE = "done"
FAILED = "failed"
_SESSION_KEY = "outbox_new_job_ids"


class OutboxJob(Base):
    __tablename__ = "outbox_job"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'published', 'done', 'failed')", name="status_known"),
        Index("ix_outbox_job_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_name: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)

    @property
    def is_done(self) -> bool:
        return self.status == DONE


def enqueue(task_name: str, **ids: int | str) -> OutboxJob:
    """Record a job in the current transaction; it is published after commit. Flushes, never commits."""
    job = OutboxJob(task_name=task_name, payload=dict(ids))
    db.session.add(job)
    db.session.flush()
    db.session.info.setdefault(_SESSION_KEY, []).append(job.id)
    return job


def pop_new_job_ids(session: Session) -> list[int]:
    """The ids enqueued in this session since the last commit (the commit boundary publishes them)."""
    return list(session.info.pop(_SESSION_KEY, []))


def forget_new_jobs(session: Session) -> None:
    """Called on rollback: those rows no longer exist."""
    session.info.pop(_SESSION_KEY, None)


def _publish(job: OutboxJob) -> None:
    celery = current_app.extensions["celery"]
    celery.send_task(
        job.task_name,
        kwargs={**job.payload, "outbox_job_id": job.id},
        retry=False,
    )


def dispatch(job_ids: list[int]) -> int:
    """Publish committed jobs to the broker and mark them published. Commits its own bookkeeping.

    A broker that cannot be reached is logged and left to `sweep()`: publishing never fails the
    caller's request. Returns how many were published.
    """
    if not current_app.config.get("OUTBOX_DISPATCH", True):
        return 0
    published = 0
    for job in db.session.scalars(select(OutboxJob).where(OutboxJob.id.in_(job_ids), OutboxJob.status == PENDING)):
        if _publish_and_mark(job):
            published += 1
    db.session.commit()
    return published


def _publish_and_mark(job: OutboxJob) -> bool:
    try:
        _publish(job)
    except Exception as exc:
        log.warning("outbox publish failed", extra={"job_id": job.id, "error": repr(exc)})
        db.session.execute(update(OutboxJob).where(OutboxJob.id == job.id).values(last_error=repr(exc)[:500]))
        return False
    db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id == job.id, OutboxJob.status.in_((PENDING, PUBLISHED)))
        .values(status=PUBLISHED, published_at=utcnow(), attempts=OutboxJob.attempts + 1)
    )
    return True


def sweep(*, pending_grace: int = 5, limit: int = 500) -> dict[str, int]:
    """Re-publish jobs left pending or published-but-not-done; fail those past the attempt bound.

    Safe to run concurrently (rows are claimed with SKIP LOCKED on PostgreSQL, and a repeated publish
    is harmless because every task is idempotent). Commits.
    """
    now = utcnow()
    republish_after = timedelta(seconds=current_app.config["OUTBOX_REPUBLISH_AFTER"])
    max_attempts = current_app.config["OUTBOX_MAX_ATTEMPTS"]
    stmt = (
        select(OutboxJob)
        .where(
            ((OutboxJob.status == PENDING) & (OutboxJob.created_at <= now - timedelta(seconds=pending_grace)))
            | ((OutboxJob.status == PUBLISHED) & (OutboxJob.published_at <= now - republish_after))
        )
        .order_by(OutboxJob.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    counts = {"published": 0, "failed": 0, "unreachable": 0}
    for job in db.session.scalars(stmt).all():
        if job.attempts >= max_attempts:
            job.status = FAILED
            job.last_error = (job.last_error or "") + f"\nabandoned after {job.attempts} attempts"
            counts["failed"] += 1
        elif _publish_and_mark(job):
            counts["published"] += 1
        else:
            counts["unreachable"] += 1
    db.session.commit()
    return counts


def requeue(job_id: int) -> None:
    """Put a job back to pending (staff resend); published after the caller's commit. Flushes."""
    db.session.execute(
        update(OutboxJob).where(OutboxJob.id == job_id).values(status=PENDING, attempts=0, last_error=None)
    )
    db.session.info.setdefault(_SESSION_KEY, []).append(job_id)


_current_job: ContextVar[int | None] = ContextVar("outbox_current_job", default=None)


def current_job_id() -> int | None:
    """The outbox job the running task is working on (set by the task wrapper), if any."""
    return _current_job.get()


def set_current_job_id(job_id: int | None) -> Token[int | None]:
    return _current_job.set(job_id)


def reset_current_job_id(token: Token[int | None]) -> None:
    _current_job.reset(token)


def should_run(job_id: int, task_name: str, payload: dict[str, Any]) -> bool:
    """True when the message is the job it names and that job is not done yet.

    A message whose job row is gone, or holds another task or other ids (a stray message from another
    database sharing the broker, say), is ignored: it must never mark someone else's job done.
    """
    row = db.session.execute(
        select(OutboxJob.status, OutboxJob.task_name, OutboxJob.payload).where(OutboxJob.id == job_id)
    ).first()
    if row is None or row.status == DONE:
        return False
    if row.task_name != task_name or dict(row.payload) != payload:
        log.warning("message does not match its outbox job; ignored", extra={"job_id": job_id, "task": task_name})
        return False
    return True


def mark_done(job_id: int) -> None:
    """Record that a job's effect is in place; part of the task's single commit. Flushes."""
    db.session.execute(
        update(OutboxJob).where(OutboxJob.id == job_id).values(status=DONE, completed_at=utcnow(), last_error=None)
    )


def mark_failed(job_id: int, error: str) -> None:
    """Record a terminal failure (shown to staff). Flushes."""
    db.session.execute(update(OutboxJob).where(OutboxJob.id == job_id).values(status=FAILED, last_error=error[:2000]))
