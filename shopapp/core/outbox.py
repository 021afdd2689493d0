"""Transactional outbox.

A service calls `enqueue(task_name, **ids)` inside its transaction; the job row commits or rolls back
with the business change. After commit, `dispatch()` publishes the new jobs to Celery. When dispatching
is on, the rows are written already marked `published` (attempt 1), since the publication follows the
commit at once: the request saves an UPDATE and a second commit; a publication that fails puts them back
to `pending` (with the error), and a process that dies between the commit and the publication leaves them
to the sweep's republication after OUTBOX_REPUBLISH_AFTER. A job is done
only when its task records its effect (`mark_done`, in the task's own commit); `sweep()` re-publishes
jobs never published (broker down at commit time) and jobs published but not done after a timeout
(a worker killed mid-task, a message lost by the broker), up to a bounded number of attempts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextvars import ContextVar, Token
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import JSON, CheckConstraint, Index, String, Text, delete, insert, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from shopapp.core.clock import utcnow
from shopapp.core.db import Base
from shopapp.extensions import db

log = logging.getLogger(__name__)

# The worker task that runs a batch of jobs (worker/tasks/base.py), given their ids.
BATCH_TASK = "outbox.run_batch"

PENDING = "pending"
PUBLISHED = "published"
DONE = "done"
FAILED = "failed"
_SESSION_KEY = "outbox_new_job_ids"
# What each job enqueued in this session carries (id → task name, payload): `dispatch` publishes from it
# without reading the rows back.
_KNOWN_KEY = "outbox_new_jobs"
# The ids among them whose rows were written already marked published (see `_new_row_state`).
_WRITTEN_PUBLISHED_KEY = "outbox_written_published"


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
    # When a worker's batch last took the job (`claim_batch`); None while it waits in the queue.
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)

    @property
    def is_done(self) -> bool:
        return self.status == DONE


def _new_row_state() -> dict[str, Any]:
    """A new job's status: published (attempt 1) when the commit boundary publishes it, else pending."""
    if current_app.config.get("OUTBOX_DISPATCH", True):
        return {"status": PUBLISHED, "attempts": 1, "published_at": utcnow()}
    return {"status": PENDING, "attempts": 0, "published_at": None}


def enqueue(task_name: str, **ids: int | str) -> OutboxJob:
    """Record a job in the current transaction; it is published after commit. Flushes, never commits."""
    state = _new_row_state()
    job = OutboxJob(task_name=task_name, payload=dict(ids), **state)
    db.session.add(job)
    db.session.flush()
    _remember(job.id, task_name, job.payload, written_published=state["status"] == PUBLISHED)
    return job


def enqueue_many(jobs: Sequence[tuple[str, dict[str, int | str]]]) -> list[int]:
    """Record several jobs with one INSERT (one round trip), published after commit like `enqueue`.
    Returns their ids. Flushes, never commits."""
    if not jobs:
        return []
    now = utcnow()
    state = _new_row_state()
    table = OutboxJob.__table__
    # Parameters given apart (an "executemany" with RETURNING): SQLAlchemy sends them as one multi-row
    # INSERT and keeps the compiled statement (rows written in `.values([...])` are compiled anew each time).
    rows = db.session.execute(
        insert(table).returning(table.c.id, table.c.task_name, table.c.payload),
        [{"task_name": name, "payload": dict(payload), **state, "created_at": now} for name, payload in jobs],
    ).all()
    # Each id is remembered with the task and payload its own row returned (RETURNING's row order is
    # not promised), so the dispatcher publishes every job under its own id.
    for job_id, name, payload in sorted(rows):
        _remember(int(job_id), name, dict(payload), written_published=state["status"] == PUBLISHED)
    return sorted(int(row[0]) for row in rows)


def withdraw(task_name: str, **ids: int | str) -> int:
    """Take back the jobs of `task_name` with exactly this payload enqueued in this transaction (not
    committed, so never published): a later step of the same transaction made them unnecessary. Jobs
    committed earlier are never touched. Returns how many were withdrawn. Flushes, never commits."""
    known: dict[int, tuple[str, dict[str, Any]]] = db.session.info.get(_KNOWN_KEY, {})
    payload = dict(ids)
    found = [job_id for job_id, job in known.items() if job == (task_name, payload)]
    if not found:
        return 0
    # Rows of this transaction, not committed: never handed to the broker, whatever their status says.
    db.session.execute(delete(OutboxJob).where(OutboxJob.id.in_(found), OutboxJob.status.in_((PENDING, PUBLISHED)))
                       .execution_options(synchronize_session="fetch"))
    new_ids = db.session.info.get(_SESSION_KEY, [])
    for job_id in found:
        known.pop(job_id, None)
        if job_id in new_ids:
            new_ids.remove(job_id)
    db.session.flush()
    return len(found)


def _remember(job_id: int, task_name: str, payload: dict[str, Any], *, written_published: bool) -> None:
    db.session.info.setdefault(_SESSION_KEY, []).append(job_id)
    db.session.info.setdefault(_KNOWN_KEY, {})[job_id] = (task_name, dict(payload))
    if written_published:
        db.session.info.setdefault(_WRITTEN_PUBLISHED_KEY, set()).add(job_id)


def pop_new_job_ids(session: Session) -> list[int]:
    """The ids enqueued in this session since the last commit (the commit boundary publishes them)."""
    return list(session.info.pop(_SESSION_KEY, []))


def pop_new_jobs(session: Session) -> dict[int, tuple[str, dict[str, Any]] | None]:
    """The jobs enqueued in this session since the last commit, with their task and payload when their
    rows were written as published (the others, None, are read back and marked at dispatch)."""
    ids = session.info.pop(_SESSION_KEY, [])
    known = session.info.pop(_KNOWN_KEY, {})
    written = session.info.pop(_WRITTEN_PUBLISHED_KEY, set())
    return {job_id: known.get(job_id) if job_id in written else None for job_id in ids}


def forget_new_jobs(session: Session) -> None:
    """Called on rollback: those rows no longer exist."""
    session.info.pop(_SESSION_KEY, None)
    session.info.pop(_KNOWN_KEY, None)
    session.info.pop(_WRITTEN_PUBLISHED_KEY, None)


def _publish(job: OutboxJob) -> None:
    _send(job.id, job.task_name, job.payload)


def _send(job_id: int, task_name: str, payload: dict[str, Any]) -> None:
    celery = current_app.extensions["celery"]
    celery.send_task(
        task_name,
        kwargs={**payload, "outbox_job_id": job_id},
        retry=False,
    )


def _batched(task_name: str) -> bool:
    return task_name.startswith(tuple(current_app.config.get("OUTBOX_BATCHED_PREFIXES", ())))


def _chunks(ids: list[int]) -> list[list[int]]:
    size = max(1, int(current_app.config.get("OUTBOX_BATCH_SIZE", 50)))
    return [ids[start:start + size] for start in range(0, len(ids), size)]


def _send_batch(job_ids: list[int]) -> None:
    current_app.extensions["celery"].send_task(BATCH_TASK, kwargs={"job_ids": job_ids}, retry=False)


def dispatch(job_ids: list[int] | dict[int, tuple[str, dict[str, Any]] | None]) -> int:
    """Publish committed jobs to the broker and mark them published. Commits its own bookkeeping.

    Jobs given with their task and payload (as `pop_new_jobs` returns them) are published without
    reading their rows back; their rows were written as published (see the module's docstring), so nothing
    is written when all goes well. Jobs of batched tasks (OUTBOX_BATCHED_PREFIXES: the notices) go together
    as one batch message; the others one message each. Jobs read back (a staff resend) are marked published
    with one UPDATE. A broker that cannot be reached is logged, its jobs put back to pending and left to
    `sweep()`: publishing never fails the caller's request. Returns how many were published.
    """
    if not current_app.config.get("OUTBOX_DISPATCH", True):
        return 0
    jobs = dict(job_ids) if isinstance(job_ids, dict) else dict.fromkeys(job_ids)
    unknown = [job_id for job_id, known in jobs.items() if known is None]
    written_published = set(jobs) - set(unknown)  # the jobs given with their task: enqueued as published
    if unknown:
        for job_id, name, payload in db.session.execute(
                select(OutboxJob.id, OutboxJob.task_name, OutboxJob.payload)
                .where(OutboxJob.id.in_(unknown), OutboxJob.status == PENDING)):
            jobs[job_id] = (name, dict(payload))
    sent: list[int] = []
    batch = [job_id for job_id, known in jobs.items() if known is not None and _batched(known[0])]
    for chunk in _chunks(batch):
        if _try(lambda chunk=chunk: _send_batch(chunk), chunk):
            sent.extend(chunk)
    batched = set(batch)
    for job_id, known in jobs.items():
        if known is None or job_id in batched:
            continue  # no longer pending, or sent in a batch
        if _try(lambda job_id=job_id, known=known: _send(job_id, *known), [job_id]):
            sent.append(job_id)
    _mark_published([job_id for job_id in sent if job_id not in written_published])
    went = set(sent)
    unsent = [job_id for job_id in written_published if job_id not in went]
    if unsent:
        # Written as published, but the broker did not take them: back to pending for the sweep, their
        # attempt not counted (a worker that already finished one leaves it done).
        db.session.execute(update(OutboxJob).where(OutboxJob.id.in_(unsent), OutboxJob.status == PUBLISHED)
                           .values(status=PENDING, attempts=OutboxJob.attempts - 1, published_at=None))
    db.session.commit()
    return len(sent)


def _try(publish: Any, job_ids: list[int]) -> bool:
    try:
        publish()
    except Exception as exc:
        log.warning("outbox publish failed", extra={"job_ids": job_ids, "error": repr(exc)})
        db.session.execute(update(OutboxJob).where(OutboxJob.id.in_(job_ids)).values(last_error=repr(exc)[:500]))
        return False
    return True


def _mark_published(job_ids: list[int]) -> None:
    if job_ids:
        # Never moves a job a fast worker already marked done back to published.
        db.session.execute(
            update(OutboxJob)
            .where(OutboxJob.id.in_(job_ids), OutboxJob.status.in_((PENDING, PUBLISHED)))
            .values(status=PUBLISHED, published_at=utcnow(), attempts=OutboxJob.attempts + 1)
        )


def claim_batch(job_ids: list[int]) -> list[tuple[int, str, dict[str, Any]]]:
    """Take the jobs of a batch message that are not done yet and that no other batch holds, and, while
    the batch has room, jobs of batched tasks still waiting in the queue; then commit.

    `UPDATE … SET published_at = claimed_at = now WHERE id IN (SELECT … ORDER BY id FOR UPDATE LIMIT n)
    RETURNING`: the fresh `published_at` keeps `sweep()` from handing them out again while this batch
    works (it does so after OUTBOX_REPUBLISH_AFTER, should the batch die), and `claimed_at` keeps another
    batch from taking them meanwhile (a claim older than OUTBOX_REPUBLISH_AFTER is free again):
    exactly-once then rests on each job's own idempotence, as for any redelivery. A row another
    transaction holds is waited for, not skipped: the holder is the dispatcher marking these very jobs
    published (the worker can be quicker than that UPDATE's commit) or a sweep, both brief, and a skipped
    job would wait for the sweep's timeout.

    Under a burst, every commit publishes its own small batch and they queue up behind the one a worker
    is running: so a batch with room also takes published jobs never claimed yet (their own messages,
    still queued, then find them taken or done), skipping rows another worker is locking. One worker
    then sends a backlog in full batches, not one small batch after another. On SQLite, BEGIN IMMEDIATE
    serialises the claims. Returns (id, task name, payload) by id.
    """
    ids = sorted({int(job_id) for job_id in job_ids})
    if not ids:
        return []
    now = utcnow()
    size = max(1, int(current_app.config.get("OUTBOX_BATCH_SIZE", 50)))
    free = OutboxJob.claimed_at.is_(None) | (
        OutboxJob.claimed_at <= now - timedelta(seconds=current_app.config["OUTBOX_REPUBLISH_AFTER"]))
    given = (select(OutboxJob.id)
             .where(OutboxJob.id.in_(ids), OutboxJob.status.in_((PENDING, PUBLISHED)), free)
             .order_by(OutboxJob.id).limit(max(size, len(ids)))
             .with_for_update())
    rows = _claim(given, now)
    room = size - len(rows)
    prefixes = tuple(current_app.config.get("OUTBOX_BATCHED_PREFIXES", ()))
    if room > 0 and prefixes:
        waiting = (select(OutboxJob.id)
                   .where(OutboxJob.status == PUBLISHED, OutboxJob.claimed_at.is_(None), OutboxJob.id.not_in(ids),
                          or_(*(OutboxJob.task_name.startswith(prefix) for prefix in prefixes)))
                   .order_by(OutboxJob.id).limit(room)
                   .with_for_update(skip_locked=True))
        rows += _claim(waiting, now)
    db.session.commit()
    return sorted((int(job_id), str(name), dict(payload)) for job_id, name, payload in rows)


def _claim(jobs: Any, now: datetime) -> list[Any]:
    return list(db.session.execute(
        update(OutboxJob).where(OutboxJob.id.in_(jobs.scalar_subquery()))
        .values(published_at=now, claimed_at=now)
        .returning(OutboxJob.id, OutboxJob.task_name, OutboxJob.payload)
        .execution_options(synchronize_session=False)
    ).all())


def publish_now(job_id: int, task_name: str, payload: dict[str, Any]) -> bool:
    """Hand one job to its own task (a batch passing on a job that must retry with backoff). Flushes."""
    if _try(lambda: _send(job_id, task_name, payload), [job_id]):
        _mark_published([job_id])
        return True
    return False


def mark_done_many(job_ids: list[int]) -> None:
    """`mark_done` for several jobs, one UPDATE. Flushes."""
    if job_ids:
        db.session.execute(update(OutboxJob).where(OutboxJob.id.in_(job_ids))
                           .values(status=DONE, completed_at=utcnow(), last_error=None))


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
    batch: list[int] = []
    for job in db.session.scalars(stmt).all():
        if job.attempts >= max_attempts:
            job.status = FAILED
            job.last_error = (job.last_error or "") + f"\nabandoned after {job.attempts} attempts"
            counts["failed"] += 1
        elif _batched(job.task_name):
            batch.append(job.id)
        elif _publish_and_mark(job):
            counts["published"] += 1
        else:
            counts["unreachable"] += 1
    for chunk in _chunks(batch):
        if _try(lambda chunk=chunk: _send_batch(chunk), chunk):
            _mark_published(chunk)
            counts["published"] += len(chunk)
        else:
            counts["unreachable"] += len(chunk)
    db.session.commit()
    return counts


def requeue(job_id: int) -> None:
    """Put a job back to pending (staff resend); published after the caller's commit. Flushes."""
    db.session.execute(
        update(OutboxJob).where(OutboxJob.id == job_id)
        .values(status=PENDING, attempts=0, last_error=None, claimed_at=None)
    )
    db.session.info.setdefault(_SESSION_KEY, []).append(job_id)
    db.session.info.get(_KNOWN_KEY, {}).pop(job_id, None)  # its row is the one to read at dispatch
    db.session.info.get(_WRITTEN_PUBLISHED_KEY, set()).discard(job_id)


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
