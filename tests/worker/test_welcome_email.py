"""The welcome e-mail, end to end: outbox row → broker → real Celery worker → real SMTP server.

Runs on the suite's backend: kombu's SQLAlchemy transport on SQLite (embedded) or Redis (services).
"""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import select

from shopapp.core import outbox
from shopapp.core.outbox import OutboxJob
from shopapp.extensions import db
from shopapp.notices.models import NoticeLog
from tests.support.waiting import drain, wait_for
from worker.beat import SCHEDULE


def _signup(client, email="nina@example.org"):  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/auth/signup", json={"email": email, "password": "motdepasse1", "name": "Nina"})
    assert response.status_code == 201
    return response.json["user"]["id"]


def _job_status(app, user_id: int) -> str | None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(OutboxJob.status).where(OutboxJob.payload["user_id"].as_integer() == user_id))


@contextmanager
def unreachable_broker(celery_app):  # type: ignore[no-untyped-def]
    """Point the app's publisher at an address where no broker listens, then restore it."""
    real = celery_app.conf.broker_write_url
    dead = "redis://127.0.0.1:9/0" if real.startswith("redis") else "sqla+sqlite:////proc/no-such-dir/broker.sqlite3"

    def reset_pools() -> None:
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    celery_app.conf.broker_write_url = dead
    reset_pools()
    try:
        yield
    finally:
        celery_app.conf.broker_write_url = real
        reset_pools()


def test_worker_delivers_the_welcome_email_once(app, client, celery_worker, smtp_server):
    user_id = _signup(client)

    wait_for(lambda: smtp_server.to("nina@example.org"))
    wait_for(lambda: _job_status(app, user_id) == "done")

    (message,) = smtp_server.to("nina@example.org")
    assert message["Subject"] == "Bienvenue sur Adopte mon commerçant, Nina"
    assert "Bonjour Nina" in message.get_body(("plain",)).get_content()
    with app.app_context():
        log = db.session.scalars(select(NoticeLog)).all()
        assert [(n.event_key, n.recipient, n.status) for n in log] == [
            (f"welcome:{user_id}", "nina@example.org", "sent")
        ]
        # Re-publishing the finished job (as a sweep would after a lost ack) sends nothing more.
        job = db.session.scalar(select(OutboxJob))
        app.extensions["celery"].send_task(job.task_name, kwargs={**job.payload, "outbox_job_id": job.id})
        app.extensions["celery"].send_task(job.task_name, kwargs=dict(job.payload))
    drain(app.extensions["celery"])
    assert len(smtp_server.to("nina@example.org")) == 1


def test_outbox_resends_after_the_broker_was_unreachable_at_commit(app, client, celery_worker, smtp_server):
    with unreachable_broker(app.extensions["celery"]):
        user_id = _signup(client)  # the request still succeeds
        assert _job_status(app, user_id) == "pending"

    assert smtp_server.to("nina@example.org") == []
    with app.app_context():
        assert outbox.sweep(pending_grace=0) == {"published": 1, "failed": 0, "unreachable": 0}

    wait_for(lambda: smtp_server.to("nina@example.org"))
    wait_for(lambda: _job_status(app, user_id) == "done")
    assert len(smtp_server.to("nina@example.org")) == 1


def test_a_stray_message_naming_another_job_changes_nothing(app, client, celery_worker, smtp_server):
    # A message whose job row holds another task or other ids (left in a broker shared with another
    # database, say) must not send anything nor complete the job it names.
    with unreachable_broker(app.extensions["celery"]):
        nina = _signup(client)
    with app.app_context():
        job = db.session.scalar(select(OutboxJob))
        job_id, task_name = job.id, job.task_name
    theo = _signup(client, "theo@example.org")
    wait_for(lambda: smtp_server.to("theo@example.org"))
    wait_for(lambda: _job_status(app, theo) == "done")

    celery = app.extensions["celery"]
    celery.send_task(task_name, kwargs={"user_id": theo, "outbox_job_id": job_id})  # other ids
    celery.send_task("notices.order_confirmed", kwargs={"order_id": nina, "outbox_job_id": job_id})  # other task
    drain(app.extensions["celery"])
    assert _job_status(app, nina) == "pending"
    assert smtp_server.to("nina@example.org") == []
    assert len(smtp_server.to("theo@example.org")) == 1

    with app.app_context():
        assert outbox.sweep(pending_grace=0)["published"] == 1
    wait_for(lambda: smtp_server.to("nina@example.org"))
    wait_for(lambda: _job_status(app, nina) == "done")
    assert len(smtp_server.to("nina@example.org")) == 1


def test_temporary_smtp_refusal_is_retried_then_delivered_once(app, client, celery_worker, smtp_server):
    smtp_server.refuse_next(2)

    user_id = _signup(client)

    wait_for(lambda: smtp_server.to("nina@example.org"), timeout=30)
    wait_for(lambda: _job_status(app, user_id) == "done")
    assert smtp_server.refused == 2
    assert len(smtp_server.to("nina@example.org")) == 1


def test_sweep_fails_a_job_past_its_attempt_bound(app, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 2)
    monkeypatch.setitem(app.config, "OUTBOX_REPUBLISH_AFTER", 0)
    with app.app_context():
        job = outbox.enqueue("accounts.send_welcome_email", user_id=123456)
        job.attempts = 2
        db.session.commit()

        assert outbox.sweep(pending_grace=0)["failed"] == 1
        assert db.session.get(OutboxJob, job.id).status == "failed"


def test_every_scheduled_and_enqueued_task_name_is_registered(app):
    from shopapp.accounts import services

    registered = set(app.extensions["celery"].tasks)
    names = {entry["task"] for entry in SCHEDULE.values()} | {services.WELCOME_TASK, services.RESET_TASK}
    assert names <= registered
