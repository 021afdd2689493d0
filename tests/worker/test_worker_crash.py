"""A worker SIGKILLed in the middle of a batch, then restarted: nothing lost, nothing doubled."""

from __future__ import annotations

import signal

from sqlalchemy import func, select

from shopapp.accounts.services import register_user
from shopapp.core import outbox
from shopapp.core.outbox import OutboxJob
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.notices.models import NoticeLog
from tests.support.processes import start_worker_process
from tests.support.waiting import wait_for

BATCH = 12


def _done(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(func.count(OutboxJob.id)).where(OutboxJob.status == "done")) or 0


def test_sigkill_mid_batch_then_restart_delivers_each_welcome_once(app, smtp_server, monkeypatch, tmp_path):
    smtp_server.rcpt_delay = 0.4
    env = {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_server.port),
           "NOTICE_CLAIM_TIMEOUT": "2", "LOG_JSON": "0"}
    app.extensions["celery"].control.purge()
    with app.app_context():
        for number in range(BATCH):
            register_user(f"client{number}@example.org", "motdepasse1", f"Client {number}")
        commit()  # the jobs are published to the broker here

    first = start_worker_process(env, tmp_path / "worker1.log")
    try:
        # Killed while a send waits in the RCPT delay, before the server took it: killing just after a
        # message was accepted and before it was recorded may repeat that one message, by design.
        wait_for(lambda: len(smtp_server.messages) >= 3 and smtp_server.rcpt_waiting > 0, timeout=60, interval=0.02)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    delivered_before_restart = len(smtp_server.messages)
    assert delivered_before_restart < BATCH

    monkeypatch.setitem(app.config, "OUTBOX_REPUBLISH_AFTER", 1)
    second = start_worker_process(env, tmp_path / "worker2.log")
    try:
        def all_done() -> bool:
            with app.app_context():
                outbox.sweep(pending_grace=0)
            return _done(app) == BATCH

        wait_for(all_done, timeout=120, interval=1.5)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)

    recipients = sorted(message["To"] for message in smtp_server.messages)
    assert recipients == sorted(f"client{number}@example.org" for number in range(BATCH))
    with app.app_context():
        statuses = db.session.scalars(select(NoticeLog.status)).all()
    assert statuses == ["sent"] * BATCH
