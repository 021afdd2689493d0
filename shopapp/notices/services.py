"""Exactly-once notices.

`send_once(key, recipient, channel, kind, build)` claims the (event, recipient, channel) row, sends,
then records it as sent. The claim is committed before sending so that a second worker handling a
redelivered copy of the same job sees it and backs off; a claim left by a worker killed mid-send is
taken over after NOTICE_CLAIM_TIMEOUT seconds. The one remaining window — the server accepted the message but the
worker died before recording it — can repeat one message, never lose one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from shopapp.core import mail, outbox
from shopapp.core.db import as_utc, utcnow
from shopapp.extensions import db
from shopapp.notices import channels
from shopapp.notices.models import FAILED, RETRYING, SENDING, SENT, NoticeLog, NoticePreference


def claim_timeout() -> timedelta:
    """How long a claim by a worker that went silent blocks others (NOTICE_CLAIM_TIMEOUT seconds)."""
    from flask import current_app

    return timedelta(seconds=current_app.config["NOTICE_CLAIM_TIMEOUT"])
OPTIONAL_KINDS = ("slot_reminder", "uncollected_reminder", "animation_reminder", "daily_digest")


class NoticeBusy(Exception):
    """Another worker is sending this notice right now; retry later to see how it ended."""


def claim(event_key: str, recipient: str, channel: str, kind: str, job_id: int | None = None) -> NoticeLog | None:
    """Claim the right to send one notice. Commits the claim.

    Returns the claimed row, or None when it was already sent (or failed for good).
    :raise NoticeBusy: another worker holds a fresh claim.
    """
    now = utcnow()
    row = NoticeLog(event_key=event_key, recipient=recipient, channel=channel, kind=kind, status=SENDING,
                    claimed_at=now, attempts=1, outbox_job_id=job_id or outbox.current_job_id())
    try:
        with db.session.begin_nested():
            db.session.add(row)
        db.session.commit()
        return row
    except IntegrityError:
        db.session.rollback()
    existing = db.session.scalar(
        select(NoticeLog).where(NoticeLog.event_key == event_key, NoticeLog.recipient == recipient,
                                NoticeLog.channel == channel)
    )
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
    return db.session.get(NoticeLog, existing.id)


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

    Commits the claim, then commits the 'sent' mark as soon as the channel accepted the message.
    Returns True when a message went out.
    :raise mail.TemporaryMailError: after recording the attempt as 'retrying' (the task retries).
    :raise NoticeBusy: another worker is sending it.
    """
    row = claim(event_key, recipient, channel, kind, job_id)
    if row is None:
        return False
    message = build()
    row.subject = getattr(message, "subject", "")[:255]
    try:
        channels.deliver(message)
    except mail.TemporaryMailError as exc:
        row.status = RETRYING
        row.last_error = str(exc)[:2000]
        db.session.commit()
        raise
    row.status = SENT
    row.sent_at = utcnow()
    row.last_error = None
    # Recorded at once, not at the task's end: a later claim in the same task that meets a conflict
    # (or a NoticeBusy rollback) must not undo the record of a message already accepted by the server.
    db.session.commit()
    return True


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
    return enabled is not False


OPTIONAL_LABELS = {
    "slot_reminder": _l("Rappel avant mon créneau de retrait"),
    "uncollected_reminder": _l("Rappel si je n'ai pas encore retiré ma commande"),
    "animation_reminder": _l("Rappel avant une animation où je suis inscrit"),
    "daily_digest": _l("Récapitulatif quotidien (commerçants)"),
}


def preferences_of(user_id: int) -> list[tuple[str, str, bool]]:
    """(kind, label, enabled) for each optional notice, for the account page."""
    return [(kind, str(OPTIONAL_LABELS[kind]), wants(user_id, kind)) for kind in OPTIONAL_KINDS]


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
    from shopapp.errors import NotFoundError

    row = db.session.get(NoticeLog, notice_id)
    if row is None or row.status == SENT or row.outbox_job_id is None:
        raise NotFoundError("Notification introuvable ou déjà envoyée.")
    row.status = RETRYING
    outbox.requeue(row.outbox_job_id)
    db.session.flush()
