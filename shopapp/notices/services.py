"""Exactly-once notices.

`send_once(key, recipient, channel, kind, build)` claims the (event, recipient, channel) row, sends,
then records it as sent. The claim is committed before sending so that a second worker handling a
redelivered copy of the same job sees it and backs off; a claim left by a worker killed mid-send is
taken over after NOTICE_CLAIM_TIMEOUT seconds. The one remaining window — the server accepted the message but the
worker died before recording it — can repeat one message, never lose one.

A refusal for now (4xx, server unreachable) leaves the row 'retrying' and raises for the task to retry
with backoff; a refusal for good (5xx, e.g. 550 mailbox unavailable) marks it 'failed' at once with the
server's answer, shown to staff with a resend button, and is not retried by itself.

Round trips matter (a worker sends thousands of notices back to back): a claim is one INSERT ... ON
CONFLICT DO NOTHING and its commit, the 'sent' mark one UPDATE by id, committed by an outbox task
together with its job's 'done' mark. A batch of jobs (worker/tasks/base.py `run_batch`) goes further:
inside `queued_for_batch`, `send_once` renders its message and queues it; `send_queued` then claims every
queued notice with ONE statement and one commit before the first message goes, sends them over one SMTP
connection, and makes each 'sent' mark durable before the next message's content goes (so a worker killed
mid-batch can repeat at most one message per thread sending a batch, as above; on PostgreSQL the mark is
written while the next message's envelope goes, `_MarksInFlight`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, Update, bindparam, event, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shopapp.core import mail, outbox
from shopapp.core.clock import as_utc, utcnow
from shopapp.errors import NotFoundError
from shopapp.extensions import db
from shopapp.notices import channels, unsubscribe
from shopapp.notices.models import FAILED, RETRYING, SENDING, SENT, NoticeLog, NoticePreference

log = logging.getLogger(__name__)


def claim_timeout() -> timedelta:
    """How long a claim by a worker that went silent blocks others (NOTICE_CLAIM_TIMEOUT seconds)."""

    return timedelta(seconds=current_app.config["NOTICE_CLAIM_TIMEOUT"])


OPTIONAL_KINDS = ("slot_reminder", "uncollected_reminder", "animation_reminder", "daily_digest",
                  "favourite_shop_animation")
# Optional kinds a resident receives only once they ask for them (absent = off); the others go until
# turned off.
OPT_IN_KINDS = ("favourite_shop_animation",)


class NoticeBusy(Exception):
    """Another worker is sending this notice right now; retry later to see how it ended."""


# The first claim of a notice: INSERT ... ON CONFLICT DO NOTHING (PostgreSQL, and SQLite ≥ 3.35 for
# RETURNING). Written as SQL text because SQLAlchemy does not cache the dialects' `on_conflict_do_nothing`
# inserts: the construct would be compiled again for every notice.
_CLAIM_INSERT = text(
    "INSERT INTO notice_log (event_key, recipient, channel, kind, subject, status, attempts, claimed_at,"
    " outbox_job_id, created_at)"
    " VALUES (:event_key, :recipient, :channel, :kind, '', :status, 1, :now, :outbox_job_id, :now)"
    " ON CONFLICT (event_key, recipient, channel) DO NOTHING RETURNING id"
).bindparams(bindparam("now", type_=NoticeLog.__table__.c.claimed_at.type))


def claim(event_key: str, recipient: str, channel: str, kind: str, job_id: int | None = None) -> int | None:
    """Claim the right to send one notice. Commits the claim.

    Returns the claimed row's id, or None when it was already sent (or failed for good). A first claim is
    one INSERT ... ON CONFLICT DO NOTHING (no savepoint, no error to roll back) and its commit.
    :raise NoticeBusy: another worker holds a fresh claim.
    """
    now = utcnow()
    inserted = db.session.execute(_CLAIM_INSERT, {
        "event_key": event_key, "recipient": recipient, "channel": channel, "kind": kind, "status": SENDING,
        "now": now, "outbox_job_id": job_id or outbox.current_job_id()}).scalar()
    if inserted is not None:
        db.session.commit()
        return int(inserted)
    existing = db.session.execute(
        select(NoticeLog.id, NoticeLog.status, NoticeLog.attempts, NoticeLog.claimed_at)
        .where(NoticeLog.event_key == event_key, NoticeLog.recipient == recipient, NoticeLog.channel == channel)
    ).one_or_none()
    if existing is None or existing.status in (SENT, FAILED):
        return None
    if existing.status == SENDING and existing.claimed_at and as_utc(existing.claimed_at) > now - claim_timeout():
        raise NoticeBusy(event_key)
    taken = db.session.execute(
        update(NoticeLog)
        .where(NoticeLog.id == existing.id, NoticeLog.status == existing.status,
               NoticeLog.attempts == existing.attempts)
        .values(status=SENDING, claimed_at=now, attempts=NoticeLog.attempts + 1)
    )
    db.session.commit()
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise NoticeBusy(event_key)
    return int(existing.id)


_PENDING_MARKS = "notice_sent_marks_pending"
_marks_deferred: ContextVar[bool] = ContextVar("notice_sent_marks_deferred", default=False)


@contextmanager
def sent_marks_committed_by_caller() -> Iterator[None]:
    """Inside, `send_once` leaves its 'sent' mark to the caller's next commit instead of committing it
    alone: an outbox task commits it with its job's 'done' mark, one commit per notice instead of two.
    The claim of a later notice in the same task commits it too.

    On an error the caller calls `commit_pending_sent_marks` instead of a plain rollback, so that a
    message the server accepted is still recorded as sent.
    """
    token = _marks_deferred.set(True)
    try:
        yield
    finally:
        _marks_deferred.reset(token)


def commit_pending_sent_marks() -> None:
    """On an error path: roll back whatever the task left unfinished, then record again, alone, the 'sent'
    marks still waiting for the caller's commit, and commit them."""
    pending: dict[int, dict[str, object]] = db.session.info.pop(_PENDING_MARKS, {})
    db.session.rollback()
    if not pending:
        return
    try:
        for row_id, values in pending.items():
            db.session.execute(update(NoticeLog).where(NoticeLog.id == row_id).values(**values))
        db.session.commit()
    except Exception:  # the database is gone: the claims time out and the messages may go again
        log.exception("could not record sent notices", extra={"notice_ids": sorted(pending)})
        db.session.rollback()


@event.listens_for(Session, "after_commit")
def _forget_pending_marks(session: Any) -> None:
    """Committed: no 'sent' mark is waiting any more."""
    session.info.pop(_PENDING_MARKS, None)


Built = TypeVar("Built", mail.Mail, channels.Sms)


def built(message: Built) -> Callable[[], Built]:
    """The `build` of `send_once` for a message rendered already (before a claim's commit expired the rows
    it shows)."""
    return lambda: message


def _finished(message: mail.Mail | channels.Sms, kind: str) -> mail.Mail | channels.Sms:
    """The message as it goes out: an optional kind's e-mail carries its one-click unsubscribe."""
    if kind in OPTIONAL_KINDS and isinstance(message, mail.Mail):
        return unsubscribe.with_unsubscribe(message, kind)
    return message


@dataclass(frozen=True)
class Queued:
    """A notice a batch's job rendered, waiting for `send_queued`."""

    event_key: str
    recipient: str
    channel: str
    kind: str
    message: mail.Mail | channels.Sms
    job_id: int | None


_queue: ContextVar[list[Queued] | None] = ContextVar("notices_queued_for_batch", default=None)


@contextmanager
def queued_for_batch() -> Iterator[list[Queued]]:
    """Inside, `send_once` renders its message and appends it to the list yielded instead of claiming and
    sending it; the caller hands the list to `send_queued`."""
    queue: list[Queued] = []
    token = _queue.set(queue)
    try:
        yield queue
    finally:
        _queue.reset(token)


def send_once(
    event_key: str,
    recipient: str,
    kind: str,
    build: Callable[[], mail.Mail | channels.Sms],
    *,
    channel: str = "email",
    job_id: int | None = None,
) -> bool:
    """Send the notice built by `build()` unless this (event, recipient, channel) was already sent.

    Commits the claim, then commits the 'sent' mark as soon as the channel accepted the message (or
    leaves it to the caller's commit inside `sent_marks_committed_by_caller`), or the 'failed' mark
    (with the server's answer) when the channel refused it for good. Inside `queued_for_batch`, only
    renders the message and queues it (returns True: it is on its way).
    Returns True when a message went out. Without an SMS provider, an SMS notice is not even recorded.
    :raise mail.TemporaryMailError: after recording the attempt as 'retrying' (the task retries).
    :raise NoticeBusy: another worker is sending it.
    """
    if channel == "sms" and not channels.sms_enabled():
        return False  # no SMS provider: no SMS notice at all (opted-in residents simply get none)
    queue = _queue.get()
    if queue is not None:
        queue.append(Queued(event_key, recipient, channel, kind, _finished(build(), kind),
                            job_id or outbox.current_job_id()))
        return True
    row_id = claim(event_key, recipient, channel, kind, job_id)
    if row_id is None:
        return False
    message = _finished(build(), kind)
    subject = _delivered(row_id, message, event_key, channel)
    if subject is None:
        return False
    sent = {"status": SENT, "subject": subject, "sent_at": utcnow(), "last_error": None}
    db.session.execute(update(NoticeLog).where(NoticeLog.id == row_id).values(**sent))
    if _marks_deferred.get():
        db.session.info.setdefault(_PENDING_MARKS, {})[row_id] = sent
    else:
        # Recorded at once: nothing that follows in this session may roll back the record of a message
        # the server already accepted.
        db.session.commit()
    return True


def _delivered(row_id: int, message: mail.Mail | channels.Sms, event_key: str, channel: str, *,
               before_data: Callable[[], None] | None = None) -> str | None:
    """Hand a claimed notice to its channel. Returns its subject once accepted (the caller records it sent),
    or None when refused for good: recorded failed at once, with the server's answer, for staff to see and
    resend (the task goes on with its other recipients: nothing retries a message that cannot go).

    :raise mail.TemporaryMailError: refused for now, after recording the attempt as 'retrying' (committed).
    """
    subject = getattr(message, "subject", "")[:255]
    try:
        channels.deliver(message, event_key=event_key, before_data=before_data)
    except mail.TemporaryMailError as exc:
        db.session.execute(_refusal(row_id, RETRYING, subject, exc))
        db.session.commit()
        raise
    except mail.PermanentMailError as exc:
        db.session.execute(_refusal(row_id, FAILED, subject, exc))
        db.session.commit()
        log.warning("notice refused for good", extra={"event_key": event_key, "channel": channel,
                                                       "error": str(exc)[:500]})
        return None
    return subject


def _refusal(row_id: int, status: str, subject: str, exc: Exception) -> Update:
    # A Core UPDATE by id: the claim's commit expired the ORM row, and touching it would reload it first.
    # Built on a refusal only: a batch sends thousands that are accepted.
    return update(NoticeLog).where(NoticeLog.id == row_id).values(status=status, subject=subject,
                                                                   last_error=str(exc)[:2000])


def _claim_many(queued: Sequence[Queued], now: datetime) -> dict[tuple[str, str, str], int]:
    """First claims of every queued notice: one INSERT … ON CONFLICT DO NOTHING RETURNING, committed.
    Returns the new rows' ids by (event, recipient, channel); a notice already in the log is not among them."""
    rows = [{"event_key": item.event_key, "recipient": item.recipient, "channel": item.channel,
             "kind": item.kind, "subject": "", "status": SENDING, "attempts": 1, "claimed_at": now,
             "outbox_job_id": item.job_id, "created_at": now} for item in queued]
    table = NoticeLog.__table__
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # Executed with the list of rows: SQLAlchemy compiles the statement for one row and sends it as one
    # multi-row statement ("insertmanyvalues"), where `.values(rows)` compiled every row's parameters.
    statement = (insert(table).on_conflict_do_nothing(index_elements=["event_key", "recipient", "channel"])
                 .returning(table.c.id, table.c.event_key, table.c.recipient, table.c.channel))
    claimed = {(key, recipient, channel): int(row_id)
               for row_id, key, recipient, channel in db.session.execute(statement, rows)}
    db.session.commit()
    return claimed


def send_queued(queued: Sequence[Queued]) -> set[int]:
    """Send the notices a batch queued (`queued_for_batch`), each exactly once.

    Every first claim goes in one statement and one commit before the first message leaves; a notice
    already in the log takes `claim`'s own path (sent or failed: skipped; another worker's fresh claim:
    busy; a retry or a stale claim: taken over). The messages then go over this process's one SMTP
    connection, each one's 'sent' mark durable before the next one's content goes (`_sent_marks`). A message
    refused for good is marked failed at once.
    Returns the jobs that must retry on their own: a message refused for now (marked 'retrying') or one
    another worker is sending.
    """
    unfinished: set[int] = set()
    if not queued:
        return unfinished
    claimed = _claim_many(queued, utcnow())
    with _sent_marks() as marks:
        seen: set[tuple[str, str, str]] = set()
        for item in queued:
            key = (item.event_key, item.recipient, item.channel)
            if key in seen:  # two jobs of the batch for the same notice: it goes once
                continue
            seen.add(key)
            row_id = claimed.get(key)
            if row_id is None:
                try:
                    row_id = claim(*key, item.kind, item.job_id)
                except NoticeBusy:
                    unfinished.add(item.job_id or 0)
                    continue
                if row_id is None:
                    continue
            try:
                # The previous message's 'sent' mark is durable before this one's content goes (`marks.settle`).
                subject = _delivered(row_id, item.message, item.event_key, item.channel, before_data=marks.settle)
            except mail.TemporaryMailError:
                unfinished.add(item.job_id or 0)
                continue
            if subject is None:
                continue
            marks.record({"row_id": row_id, "subject": subject, "sent_at": utcnow()})
    unfinished.discard(0)
    return unfinished


class _SessionMarks:
    """'Sent' marks in the session, each committed at once. SQLite serialises writers: a second connection
    would wait for the session's."""

    def record(self, values: dict[str, Any]) -> None:
        db.session.connection().execute(_SENT_MARK, values)
        db.session.commit()

    def settle(self) -> None:
        """Nothing in flight: each mark was committed as it was recorded."""


class MarkNotRecorded(Exception):
    """A notice went out but its 'sent' mark could not be written: the batch stops before the next one."""


# How long a batch waits for the previous message's 'sent' mark before it gives up (the database is stuck).
MARK_WAIT_SECONDS = 60.0


class _MarksInFlight:
    """'Sent' marks on PostgreSQL: each one UPDATE in autocommit on a connection of their own (one round
    trip, where the session's would take three: the UPDATE, its COMMIT and the next BEGIN), written by a
    thread of their own while the next message is prepared and its envelope (MAIL FROM, RCPT TO) goes.
    `settle` waits until the mark is durable; the next message's content goes only then, so a worker killed
    at any point has at most one message the server accepted and the log does not show as sent."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notice-marks")
        self._pending: Future[Any] | None = None

    def record(self, values: dict[str, Any]) -> None:
        self.settle()
        self._pending = self._writer.submit(self._connection.execute, _SENT_MARK, values)

    def settle(self) -> None:
        """Wait for the mark in flight (at most MARK_WAIT_SECONDS).

        :raise MarkNotRecorded: the mark could not be written, or not in time (the database is gone or
            stuck: the batch stops there, its message is recorded later or sent again once).
        """
        pending = self._pending
        if pending is None:
            return
        try:
            pending.result(timeout=MARK_WAIT_SECONDS)
        except FuturesTimeout as exc:
            raise MarkNotRecorded("the 'sent' mark of a notice was not written in time") from exc
        except Exception as exc:
            raise MarkNotRecorded("the 'sent' mark of a notice could not be written") from exc
        finally:
            if pending.done():  # kept when the wait itself was interrupted: `close` still looks at it
                self._pending = None

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        left, self._pending = self._pending, None
        if left is not None and left.exception() is not None:
            log.error("could not record a sent notice", exc_info=left.exception())


@contextmanager
def _sent_marks() -> Iterator[_SessionMarks | _MarksInFlight]:
    """How `send_queued` records its 'sent' marks (`record`) and makes the last one durable before the next
    message's content goes (`settle`). When the block ends normally, every mark is durable; on an error,
    the mark in flight is still waited for (a failure to write it is logged)."""
    if db.session.get_bind().dialect.name != "postgresql":
        yield _SessionMarks()
        return
    with db.engine.connect() as own:
        in_flight = _MarksInFlight(own.execution_options(isolation_level="AUTOCOMMIT"))
        try:
            yield in_flight
        except BaseException:
            try:
                in_flight.settle()
            except Exception:  # the database is gone: the error on its way says more
                log.exception("could not record a sent notice")
            raise
        else:
            in_flight.settle()
        finally:
            in_flight.close()


_SENT_MARK = (update(NoticeLog.__table__).where(NoticeLog.__table__.c.id == bindparam("row_id"))
              .values(status=SENT, subject=bindparam("subject"), sent_at=bindparam("sent_at"), last_error=None))


def mark_failed_for_job(job_id: int, error: str) -> None:
    """After the last retry of a job: its unsent notices are marked failed for staff. Flushes."""
    db.session.execute(
        update(NoticeLog).where(NoticeLog.outbox_job_id == job_id, NoticeLog.status != SENT)
        .values(status=FAILED, last_error=error[:2000])
    )


def wants(user_id: int, kind: str) -> bool:
    """Whether a user receives an optional notice kind (transactional kinds always go)."""
    if kind not in OPTIONAL_KINDS:
        return True
    enabled = db.session.scalar(
        select(NoticePreference.enabled).where(NoticePreference.user_id == user_id, NoticePreference.kind == kind)
    )
    if kind in OPT_IN_KINDS:
        return enabled is True
    return enabled is not False


OPTIONAL_LABELS = {
    "slot_reminder": _l("Rappel avant mon créneau de retrait"),
    "uncollected_reminder": _l("Rappel si je n'ai pas encore retiré ma commande"),
    "animation_reminder": _l("Rappel avant une animation où je suis inscrit"),
    "daily_digest": _l("Récapitulatif quotidien (commerçants)"),
    "favourite_shop_animation": _l("Quand une boutique de mes favoris annonce une animation"),
}


def preferences_of(user_id: int) -> list[tuple[str, str, bool]]:
    """(kind, label, enabled) for each optional notice, for the account page."""
    return [(kind, str(OPTIONAL_LABELS[kind]), wants(user_id, kind)) for kind in OPTIONAL_KINDS]


def turn_off(user_id: int, kind: str) -> None:
    """Stop one optional notice kind for a user (the one-click unsubscribe). Flushes."""
    chosen = {k for k, _label, enabled in preferences_of(user_id) if enabled and k != kind}
    set_preferences(user_id, chosen)


def set_preferences(user_id: int, enabled_kinds: set[str]) -> None:
    """Record which optional notices a user receives. Flushes."""
    for kind in OPTIONAL_KINDS:
        row = db.session.scalar(
            select(NoticePreference).where(NoticePreference.user_id == user_id, NoticePreference.kind == kind)
        )
        if row is None:
            row = NoticePreference(user_id=user_id, kind=kind)
            db.session.add(row)
        row.enabled = kind in enabled_kinds
    db.session.flush()


def recent(limit: int = 100) -> list[NoticeLog]:
    return list(db.session.scalars(select(NoticeLog).order_by(NoticeLog.id.desc()).limit(limit)))


def resend(notice_id: int) -> None:
    """Staff resend of a failed notice: reopen it and re-queue its job. Flushes.

    :raise NotFoundError: unknown notice, or one that was sent (never sent twice on purpose).
    """
    row = db.session.get(NoticeLog, notice_id)
    if row is None or row.status == SENT or row.outbox_job_id is None:
        raise NotFoundError("Notification introuvable ou déjà envoyée.")
    row.status = RETRYING
    outbox.requeue(row.outbox_job_id)
    db.session.flush()
