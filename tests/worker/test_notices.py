"""The notice log: exactly-once per (event, recipient, channel), staff view and resend, preferences."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shopapp.core import mail, outbox
from shopapp.core.outbox import OutboxJob
from shopapp.extensions import db
from shopapp.notices import services
from shopapp.notices.channels import Sms
from shopapp.notices.models import NoticeLog
from tests.conftest import csrf_token, text_of


def _mail(to: str = "ana@example.org") -> mail.Mail:
    return mail.Mail(to=to, subject="Votre commande est prête", text="Bonjour")


def test_send_once_sends_then_refuses_a_repeat(app, mail_outbox):
    with app.app_context():
        first = services.send_once("order_ready:1", "ana@example.org", "order_ready", _mail)
        db.session.commit()
        second = services.send_once("order_ready:1", "ana@example.org", "order_ready", _mail)
        db.session.commit()

    assert (first, second) == (True, False)
    assert len(mail_outbox()) == 1


def test_same_event_to_another_recipient_or_channel_is_a_new_notice(app, mail_outbox, sms_provider):
    with app.app_context():
        services.send_once("order_ready:1", "ana@example.org", "order_ready", _mail)
        services.send_once("order_ready:1", "bob@example.org", "order_ready", lambda: _mail("bob@example.org"))
        services.send_once("order_ready:1", "+33600000000", "order_ready",
                           lambda: Sms("+33600000000", "Votre commande est prête"), channel="sms")
        db.session.commit()
        rows = db.session.scalars(select(NoticeLog).order_by(NoticeLog.id)).all()

    assert [(r.recipient, r.channel, r.status) for r in rows] == [
        ("ana@example.org", "email", "sent"), ("bob@example.org", "email", "sent"), ("+33600000000", "sms", "sent")
    ]
    assert len(mail_outbox()) == 2
    assert sms_provider.to("+33600000000") == ["Votre commande est prête"]


def test_a_fresh_claim_held_elsewhere_makes_the_task_wait(app):
    with app.app_context():
        assert services.claim("order_ready:2", "ana@example.org", "email", "order_ready") is not None
        with pytest.raises(services.NoticeBusy):
            services.claim("order_ready:2", "ana@example.org", "email", "order_ready")


def test_a_stale_claim_left_by_a_killed_worker_is_taken_over(app, mail_outbox):
    from datetime import timedelta

    with app.app_context():
        row = db.session.get_one(NoticeLog, services.claim("order_ready:3", "ana@example.org", "email", "order_ready"))
        row.claimed_at = row.claimed_at - services.claim_timeout() - timedelta(seconds=1)
        db.session.commit()

        assert services.send_once("order_ready:3", "ana@example.org", "order_ready", _mail) is True
        db.session.commit()
        assert db.session.scalar(select(NoticeLog.attempts)) == 2
    assert len(mail_outbox()) == 1


def test_temporary_failure_is_recorded_for_retry(app, smtp_server):
    smtp_server.refuse_next(1)
    with app.app_context():
        with pytest.raises(mail.TemporaryMailError):
            services.send_once("order_ready:4", "ana@example.org", "order_ready", _mail)
        row = db.session.scalar(select(NoticeLog))
        assert (row.status, "451" in row.last_error) == ("retrying", True)

        assert services.send_once("order_ready:4", "ana@example.org", "order_ready", _mail) is True
        db.session.commit()
    assert len(smtp_server.to("ana@example.org")) == 1


def test_staff_sees_failures_and_can_resend(app, client, auth, make_user):
    make_user(email="venue@example.org", roles=("venue",))
    with app.app_context():
        job = outbox.enqueue("accounts.send_welcome_email", user_id=999)
        job.status = "failed"
        db.session.add(NoticeLog(event_key="welcome:999", recipient="x@example.org", channel="email",
                                 kind="welcome", status="failed", last_error="550 refusé", outbox_job_id=job.id))
        db.session.commit()
        notice_id = db.session.scalar(select(NoticeLog.id))
    auth.login("venue@example.org")

    page = text_of(client.get("/equipe/notifications"))
    assert "550 refusé" in page and "accounts.send_welcome_email" in page

    client.post(f"/equipe/notifications/{notice_id}/renvoyer",
                data={"csrf_token": csrf_token(client, "/equipe/notifications")})
    with app.app_context():
        assert db.session.scalar(select(OutboxJob.status)) in ("pending", "published")
        assert db.session.scalar(select(NoticeLog.status)) == "retrying"


def test_residents_cannot_reach_the_staff_notices(client, auth, make_user):
    make_user(email="r@example.org", roles=("resident",))
    auth.login("r@example.org")

    assert client.get("/equipe/notifications").status_code == 403


def test_optional_notices_can_be_turned_off_but_transactional_ones_cannot(app, client, auth, make_user):
    user_id = make_user(email="r@example.org")
    auth.login("r@example.org")

    client.post("/compte/notifications", data={"csrf_token": csrf_token(client, "/compte"), "daily_digest": "on"})

    with app.app_context():
        assert services.wants(user_id, "slot_reminder") is False
        assert services.wants(user_id, "daily_digest") is True
        assert services.wants(user_id, "order_confirmed") is True


def test_a_task_failing_after_a_send_rolls_back_its_work_but_keeps_the_sent_record(app, mail_outbox):
    with app.app_context():
        with services.sent_marks_committed_by_caller():
            assert services.send_once("order_ready:9", "ana@example.org", "order_ready", _mail) is True
            outbox.enqueue("accounts.send_welcome_email", user_id=1)  # the task's own unfinished work
            services.commit_pending_sent_marks()  # what the task wrapper does when the task raises
        db.session.remove()
        assert db.session.scalar(select(NoticeLog.status)) == "sent"
        assert db.session.scalar(select(OutboxJob.id)) is None

        assert services.send_once("order_ready:9", "ana@example.org", "order_ready", _mail) is False
    assert len(mail_outbox()) == 1
