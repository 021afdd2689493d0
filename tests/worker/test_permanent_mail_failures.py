"""SMTP answers, classified: a 5xx (550 mailbox unavailable) fails the notice at once, for staff to see
and resend; a 4xx or an unreachable server stays temporary (retried). Real SMTP server (aiosmtpd)."""

from __future__ import annotations

import socket
import threading

import pytest
from sqlalchemy import func, select

from shopapp.core import mail, outbox
from shopapp.core.outbox import OutboxJob
from shopapp.extensions import db
from shopapp.notices import services
from shopapp.notices.models import NoticeLog
from tests.conftest import csrf_token, text_of
from tests.orders.services import checkout, fill_basket
from tests.support.smtp import free_port
from tests.support.waiting import wait_for


def _mail(to: str = "ana@example.org") -> mail.Mail:
    return mail.Mail(to=to, subject="Votre commande est prête", text="Bonjour")


def _jobs_done(app) -> bool:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(func.count(OutboxJob.id)).where(OutboxJob.status != "done")) == 0


def _notice(app, recipient: str) -> NoticeLog:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.remove()
        row = db.session.scalar(select(NoticeLog).where(NoticeLog.recipient == recipient))
        db.session.expunge(row)
        return row


def test_a_550_fails_the_notice_at_once_staff_see_it_and_resend_it_once_fixed(
    app, town, make_user, client, auth, celery_worker, smtp_server, monkeypatch
):
    make_user(email="venue@example.org", roles=("venue",))
    smtp_server.refuse_recipient("nina@example.org", "550 5.1.1 Mailbox unavailable")
    fill_basket(app, town.resident_id, (town.bread, 1))

    order_id = checkout(app, town.resident_id, town.slot)

    # The shop's two notices go; the resident's is refused for good and the job still completes.
    wait_for(lambda: len(smtp_server.messages) == 2 and _jobs_done(app), timeout=40)
    refused = _notice(app, "nina@example.org")
    assert (refused.event_key, refused.status, refused.attempts) == (f"order_confirmed:{order_id}", "failed", 1)
    assert "550" in refused.last_error and "Mailbox unavailable" in refused.last_error
    # Nothing is left for the sweep to re-publish, however long after: it is not retried again and again.
    monkeypatch.setitem(app.config, "OUTBOX_REPUBLISH_AFTER", 0)
    with app.app_context():
        assert outbox.sweep(pending_grace=0)["published"] == 0
    assert _notice(app, "nina@example.org").attempts == 1

    auth.login("venue@example.org")
    page = text_of(client.get("/equipe/notifications"))
    assert "nina@example.org" in page and "échec" in page and "550 5.1.1 Mailbox unavailable" in page
    assert f"/equipe/notifications/{refused.id}/renvoyer" in page
    assert page.count("/renvoyer") == 1  # the sent ones have no resend button

    smtp_server.accept_recipient("nina@example.org")  # the resident fixed their mailbox
    client.post(
        f"/equipe/notifications/{refused.id}/renvoyer", data={"csrf_token": csrf_token(client, "/equipe/notifications")}
    )

    wait_for(lambda: len(smtp_server.to("nina@example.org")) == 1 and _jobs_done(app), timeout=40)
    resent = _notice(app, "nina@example.org")
    assert (resent.status, resent.attempts, resent.last_error) == ("sent", 2, None)
    assert len(smtp_server.messages) == 3  # the shop's notices were not sent again


def test_a_4xx_at_rcpt_stays_temporary_and_is_delivered_on_the_retry(app, smtp_server):
    smtp_server.refuse_recipient("ana@example.org", "450 4.2.1 Mailbox busy")
    with app.app_context():
        with pytest.raises(mail.TemporaryMailError):
            services.send_once("order_ready:7", "ana@example.org", "order_ready", _mail)
        row = db.session.scalar(select(NoticeLog))
        assert (row.status, "450" in row.last_error) == ("retrying", True)

        smtp_server.accept_recipient("ana@example.org")
        assert services.send_once("order_ready:7", "ana@example.org", "order_ready", _mail) is True
        db.session.commit()
    assert len(smtp_server.to("ana@example.org")) == 1


def test_an_unreachable_server_stays_temporary(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens there
    with app.app_context():
        with pytest.raises(mail.TemporaryMailError):
            services.send_once("order_ready:8", "ana@example.org", "order_ready", _mail)
        assert db.session.scalar(select(NoticeLog.status)) == "retrying"


def test_one_smtp_connection_carries_consecutive_messages_and_a_dropped_one_is_reopened(app, smtp_server):
    connections: list[object] = []
    with app.app_context():
        for n in range(3):
            mail.send(_mail(f"client{n}@example.org"))
            connections.append(mail._connections.get(threading.get_ident()))
        connections[-1].smtp.sock.shutdown(socket.SHUT_RDWR)  # the server (or the network) dropped the idle connection
        mail.send(_mail("client3@example.org"))
        reopened = mail._connections.get(threading.get_ident())

    assert connections[0] is connections[1] is connections[2]
    assert reopened is not connections[0]
    assert [str(m["To"]) for m in smtp_server.messages] == [f"client{n}@example.org" for n in range(4)]
