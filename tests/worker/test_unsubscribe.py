"""One-click unsubscribe from optional notices (RFC 8058): the headers, the link at the foot of the message,
and a POST without log-in or CSRF token that stops the next ones. Transactional messages carry none."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from shopapp.accounts import services as accounts
from shopapp.core.clock import utcnow
from shopapp.extensions import db
from shopapp.notices import services as notices
from shopapp.orders import reminders
from shopapp.orders.models import Order, PickupSlot
from tests.orders.services import checkout, fill_basket
from tests.worker.conftest import body


@pytest.fixture(autouse=True)
def _no_dispatch(app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", False)


def _reminded(app, town, mail_outbox):  # type: ignore[no-untyped-def]
    """An order whose slot starts in 90 minutes, and the reminder the sweep sends for it."""
    fill_basket(app, town.resident_id, (town.bread, 1))
    order_id = checkout(app, town.resident_id, town.slot)
    with app.app_context():
        order = db.session.get_one(Order, order_id)
        slot = db.session.get_one(PickupSlot, order.pickup_slot_id)
        slot.starts_at = utcnow() + timedelta(minutes=90)
        slot.ends_at = slot.starts_at + timedelta(hours=1)
        order.created_at = utcnow() - timedelta(days=1)  # not placed just now: a reminder is due
        db.session.commit()
        assert reminders.send_slot_reminders() == 1
        db.session.commit()
    (message,) = [m for m in mail_outbox() if m["Subject"].startswith("Rappel")]
    return message


def test_an_optional_notice_carries_the_rfc_8058_headers_and_a_link(app, town, mail_outbox):
    message = _reminded(app, town, mail_outbox)

    header = message["List-Unsubscribe"]
    assert re.fullmatch(r"<https?://\S+/desabonnement/\S+>", header)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert header.strip("<>") in body(message)
    with app.app_context():  # a transactional message (the welcome e-mail) has no such header
        assert accounts.send_welcome_email(town.resident_id) is True
    (welcome,) = [m for m in mail_outbox() if not m["Subject"].startswith("Rappel")]
    assert welcome["List-Unsubscribe"] is None and "/desabonnement/" not in body(welcome)


def test_one_click_post_unsubscribes_without_log_in(app, town, mail_outbox):
    message = _reminded(app, town, mail_outbox)
    path = urlsplit(message["List-Unsubscribe"].strip("<>")).path
    mail_client = FlaskClient(app, app.response_class, use_cookies=False)  # no session, no CSRF token

    shown = mail_client.get(path)
    response = mail_client.post(path, data={"List-Unsubscribe": "One-Click"})

    assert shown.status_code == 200 and "Me désabonner" in shown.get_data(as_text=True)
    assert response.status_code == 200
    with app.app_context():
        assert notices.wants(town.resident_id, "slot_reminder") is False
        assert notices.wants(town.resident_id, "uncollected_reminder") is True  # only what the link names


def test_a_tampered_unsubscribe_link_stops_nothing(app, town, mail_outbox):
    message = _reminded(app, town, mail_outbox)
    path = urlsplit(message["List-Unsubscribe"].strip("<>")).path

    response = FlaskClient(app, app.response_class).post(path[:-3] + "xyz")

    assert response.status_code == 404
    with app.app_context():
        assert notices.wants(town.resident_id, "slot_reminder") is True
