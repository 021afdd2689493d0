"""SMS versions of the resident pickup notices: the mobile number and opt-in on the account page, then
real Celery worker → real SMTP server for the e-mail and the HTTP SMS provider for the text.

The SMS provider here is a stand-in (tests/support/sms_provider.py: a small HTTP server on 127.0.0.1
recording the requests it receives) because no real provider can be reached from the tests; the
`sms_provider` fixture (tests/conftest.py) points SMS_API_URL at it, and the app talks to it exactly as
to a real provider. Without SMS_API_URL the venue sends
no SMS: residents are not offered them and no SMS notice is created.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shopapp.accounts import services as accounts
from shopapp.accounts.models import User
from shopapp.accounts.phones import InvalidPhone, normalise_phone
from shopapp.core import mail, outbox
from shopapp.core.clock import utcnow
from shopapp.core.outbox import OutboxJob
from shopapp.core.transaction import commit
from shopapp.errors import ValidationFailed
from shopapp.extensions import db
from shopapp.notices import services as notices
from shopapp.notices.channels import Sms
from shopapp.notices.models import NoticeLog
from shopapp.orders import fulfilment, reminders
from shopapp.orders import notices as order_notices
from shopapp.orders.models import Order, OrderPart
from tests.conftest import csrf_token, text_of
from tests.orders.services import call, checkout, fill_basket
from tests.support.waiting import drain, wait_for

NINA_MOBILE = "+33612345678"


@pytest.fixture
def no_sms_provider(app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "SMS_API_URL", None)


def _sms_rows(app) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.remove()
        return db.session.execute(
            select(NoticeLog.event_key, NoticeLog.status, NoticeLog.last_error)
            .where(NoticeLog.channel == "sms").order_by(NoticeLog.id)
        ).tuples().all()


def _jobs_done(app) -> bool:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(func.count(OutboxJob.id)).where(OutboxJob.status != "done")) == 0


def _opt_in(app, user_id: int, phone: str | None = NINA_MOBILE, opt_in: bool = True) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        accounts.set_sms_settings(user_id, phone, opt_in)
        commit()


def _order(app, order_id: int) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    with app.app_context():
        order = db.session.get_one(Order, order_id)
        return order.number, order.pickup_code


def _make_ready(app, order_id: int) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        parts = [(p.id, p.shop_id) for p in db.session.scalars(select(OrderPart).where(OrderPart.order_id == order_id))]
    for part_id, shop_id in parts:
        for status in ("preparing", "ready", "at_venue"):
            call(app, fulfilment.set_part_status, part_id, status, shop_id=shop_id, actor_id=None)


# --- the number and the opt-in -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("07-12-34-56-78", "+33712345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("+44 7700 900123", "+447700900123"),
    ],
)
def test_mobile_numbers_are_stored_in_e164(typed, stored):
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["12345", "06 12 34 56", "+33 6 12 34 56 78 9", "01 23 45 67 89", "+33123456789", "06 12 34 56 7a", "+0612345678"],
)
def test_malformed_numbers_and_french_landlines_are_refused(typed):
    with pytest.raises(InvalidPhone):
        normalise_phone(typed)


def test_a_resident_sets_a_mobile_number_and_opts_in_on_the_account_page(
    app, client, auth, make_user, sms_provider
):
    user_id = make_user(email="r@example.org")
    auth.login("r@example.org")
    page = text_of(client.get("/compte"))
    assert "Numéro de mobile" in page and 'name="sms_opt_in"' in page

    response = client.post(
        "/compte/notifications",
        data={
            "csrf_token": csrf_token(client, "/compte"),
            "phone": "06 12 34 56 78",
            "sms_opt_in": "y",
            "slot_reminder": "on",
        },
    )

    assert response.status_code == 302
    with app.app_context():
        user = db.session.get_one(User, user_id)
        assert (user.phone, user.sms_opt_in) == ("+33612345678", True)
        assert notices.wants(user_id, "slot_reminder") and not notices.wants(user_id, "uncollected_reminder")
    assert 'value="+33612345678"' in client.get("/compte").get_data(as_text=True)

    client.post("/compte/notifications", data={"csrf_token": csrf_token(client, "/compte"), "phone": ""})
    with app.app_context():
        user = db.session.get_one(User, user_id)
        assert (user.phone, user.sms_opt_in) == (None, False)


@pytest.mark.parametrize(
    ("phone", "error"),
    [
        ("12 34", "Numéro de mobile invalide : écrivez-le comme 06 12 34 56 78"),
        ("01 23 45 67 89", "Indiquez un numéro de mobile (06 ou 07) : un fixe ne reçoit pas les SMS."),
        ("", "Indiquez votre numéro de mobile pour recevoir les SMS."),
    ],
)
def test_a_bad_number_is_shown_back_with_a_french_error_and_nothing_is_saved(
    app, client, auth, make_user, sms_provider, phone, error
):
    user_id = make_user(email="r@example.org")
    auth.login("r@example.org")

    response = client.post(
        "/compte/notifications", data={"csrf_token": csrf_token(client, "/compte"), "phone": phone, "sms_opt_in": "y"}
    )

    assert response.status_code == 422
    page = text_of(response)
    assert error in page and 'aria-invalid="true"' in page
    with app.app_context():
        user = db.session.get_one(User, user_id)
        assert (user.phone, user.sms_opt_in) == (None, False)
        assert notices.wants(user_id, "slot_reminder")  # the preferences were not touched either


# --- the texts, through a real worker ---------------------------------------------------------------------


def test_an_opted_in_resident_gets_the_ready_email_and_one_sms_even_when_the_job_is_redelivered(
    app, town, celery_worker, smtp_server, sms_provider
):
    _opt_in(app, town.resident_id)
    fill_basket(app, town.resident_id, (town.bread, 1))
    order_id = checkout(app, town.resident_id, town.slot)
    _make_ready(app, order_id)

    wait_for(lambda: len(smtp_server.to("nina@example.org")) == 2 and _jobs_done(app), timeout=40)
    number, code = _order(app, order_id)
    (text,) = sms_provider.to(NINA_MOBILE)  # the ready notice only: no SMS for the confirmation
    assert text == (
        f"Adopte mon commerçant : votre commande {number} est prête à La Halle Commune. "
        f"Code de retrait {code}. À régler au retrait : 1,30\u00a0€."
    )
    assert "\n" not in text and len(text) <= 160
    (request,) = sms_provider.received  # one request: E.164 number, sender and the bearer token
    assert (request.to, request.sender, request.authorization) == (NINA_MOBILE, "AdopteMonCo", "Bearer test-token")

    with app.app_context():  # the broker delivers the job again (lost ack), and once more without its job id
        job = db.session.scalar(select(OutboxJob).where(OutboxJob.task_name == "notices.order_ready"))
        outbox.requeue(job.id)
        commit()
        app.extensions["celery"].send_task(job.task_name, kwargs=dict(job.payload))
    wait_for(lambda: _jobs_done(app), timeout=40)
    with app.app_context():
        db.session.remove()
        redelivered = db.session.scalar(select(OutboxJob.attempts).where(OutboxJob.id == job.id))
        rows = db.session.execute(
            select(NoticeLog.channel, NoticeLog.recipient, NoticeLog.status)
            .where(NoticeLog.event_key == f"order_ready:{order_id}")
            .order_by(NoticeLog.channel)
        ).all()
    assert redelivered == 1  # it really went through the broker again
    drain(app.extensions["celery"])  # and the copy without a job id, which records nothing new
    assert len(sms_provider.to(NINA_MOBILE)) == 1
    assert len(smtp_server.to("nina@example.org")) == 2
    assert rows == [("email", "nina@example.org", "sent"), ("sms", NINA_MOBILE, "sent")]


def test_a_resident_with_a_number_but_no_opt_in_gets_no_sms(app, town, celery_worker, smtp_server, sms_provider):
    _opt_in(app, town.resident_id, opt_in=False)
    fill_basket(app, town.resident_id, (town.bread, 1))
    order_id = checkout(app, town.resident_id, town.slot)
    _make_ready(app, order_id)

    wait_for(lambda: len(smtp_server.to("nina@example.org")) == 2 and _jobs_done(app), timeout=40)
    assert sms_provider.received == []
    with app.app_context():
        assert db.session.scalar(select(func.count(NoticeLog.id)).where(NoticeLog.channel == "sms")) == 0


def test_a_rejected_part_and_a_no_show_are_texted_in_the_residents_language(
    app, town, celery_worker, smtp_server, sms_provider
):
    _opt_in(app, town.resident_id)
    with app.app_context():
        db.session.get_one(User, town.resident_id).locale = "en"
        commit()
    fill_basket(app, town.resident_id, (town.bread, 1), (town.cheese, 1))
    order_id = checkout(app, town.resident_id, town.slot)
    with app.app_context():
        parts = {p.shop_id: p.id for p in db.session.scalars(select(OrderPart).where(OrderPart.order_id == order_id))}
    call(app, fulfilment.set_part_status, parts[town.shop_b], "rejected", shop_id=town.shop_b, actor_id=None)
    wait_for(lambda: len(sms_provider.sent) == 1 and _jobs_done(app), timeout=40)
    for status in ("preparing", "ready", "at_venue"):
        call(app, fulfilment.set_part_status, parts[town.shop_a], status, shop_id=town.shop_a, actor_id=None)
    wait_for(lambda: len(sms_provider.sent) == 2 and _jobs_done(app), timeout=40)
    call(app, fulfilment.mark_no_shows, now=utcnow() + timedelta(days=3))
    wait_for(lambda: len(sms_provider.sent) == 3 and _jobs_done(app), timeout=40)

    number, _code = _order(app, order_id)
    rejected, ready, no_show = sms_provider.to(NINA_MOBILE)
    # Rendered in English (the amount's format says so; the English wording comes with the catalogue).
    assert "Fromagerie Basile" in rejected and number in rejected and "€6.90" in rejected
    assert number in ready and number in no_show
    assert all("\n" not in text and len(text) <= 200 for text in (rejected, ready, no_show))
    with app.app_context():
        keys = db.session.scalars(
            select(NoticeLog.event_key).where(NoticeLog.channel == "sms").order_by(NoticeLog.id)
        ).all()
    assert keys == [f"part_rejected:{parts[town.shop_b]}", f"order_ready:{order_id}", f"order_no_show:{order_id}"]


def test_reminders_are_texted_once_and_follow_the_notice_preferences(
    app, town, make_user, smtp_server, sms_provider
):
    other = make_user(email="zoe@example.org", name="Zoé")
    _opt_in(app, town.resident_id)
    _opt_in(app, other, phone="+33700000001")
    with app.app_context():
        notices.set_preferences(other, set())  # Zoé turned every optional notice off
        commit()
    nina_order, zoe_order = [], []
    for user, orders in ((town.resident_id, nina_order), (other, zoe_order)):
        fill_basket(app, user, (town.bread, 1))
        orders.append(checkout(app, user, town.slot))
    with app.app_context():
        starts = db.session.get_one(Order, nina_order[0]).pickup_slot.starts_at
        for order in db.session.scalars(select(Order)):
            order.created_at = order.created_at - timedelta(days=2)  # placed well before the reminder window
        commit()
        moment = starts - timedelta(minutes=60)

        first = reminders.send_slot_reminders(now=moment)
        second = reminders.send_slot_reminders(now=moment)  # the next beat run
        commit()

    assert (first, second) == (2, 0)  # Nina's e-mail and SMS; nothing for Zoé, nothing twice
    number, code = _order(app, nina_order[0])
    (text,) = sms_provider.to(NINA_MOBILE)
    assert number in text and f"Code de retrait {code}" in text
    assert sms_provider.to("+33700000001") == [] and smtp_server.to("zoe@example.org") == []


def test_the_number_is_in_the_data_export_and_gone_with_the_account(app, make_user, sms_provider):
    from shopapp.privacy import gdpr

    user_id = make_user(email="r@example.org")
    _opt_in(app, user_id)
    with app.app_context():
        notices.send_once("order_ready:1", NINA_MOBILE, "order_ready", lambda: Sms(NINA_MOBILE, "Prête"), channel="sms")
        exported = gdpr.export_data(user_id)
        assert (exported["account"]["phone"], exported["account"]["sms_opt_in"]) == (NINA_MOBILE, True)
        assert [n["kind"] for n in exported["notices_sent"]] == ["order_ready"]

        gdpr.delete_account(user_id)
        commit()
        user = db.session.get_one(User, user_id)
        assert (user.phone, user.sms_opt_in) == (None, False)
        assert db.session.scalar(select(NoticeLog.recipient)) == f"supprime-{user_id}"


# --- the provider's answers ---------------------------------------------------------------------------------


def _ready_after_the_provider_answers(app, town, sms_provider, status: int) -> int:  # type: ignore[no-untyped-def]
    """An opted-in resident's order made ready, the provider set to answer `status` to the next SMS."""
    _opt_in(app, town.resident_id)
    fill_basket(app, town.resident_id, (town.bread, 1))
    order_id = checkout(app, town.resident_id, town.slot)
    sms_provider.answer_next(status)
    _make_ready(app, order_id)
    return order_id


def test_a_503_from_the_provider_is_retried_and_the_sms_delivered_once(
    app, town, celery_worker, smtp_server, sms_provider
):
    order_id = _ready_after_the_provider_answers(app, town, sms_provider, 503)

    wait_for(lambda: len(sms_provider.sent) == 1 and _jobs_done(app), timeout=40)
    number, code = _order(app, order_id)
    assert [r.status for r in sms_provider.received] == [503, 200]
    (text,) = sms_provider.to(NINA_MOBILE)
    assert number in text and code in text
    assert len(smtp_server.to("nina@example.org")) == 2  # the e-mail went once, not again on the retry
    assert _sms_rows(app) == [(f"order_ready:{order_id}", "sent", None)]


def test_a_400_from_the_provider_is_recorded_as_failed_and_not_retried(
    app, town, celery_worker, smtp_server, sms_provider
):
    order_id = _ready_after_the_provider_answers(app, town, sms_provider, 400)

    wait_for(lambda: len(smtp_server.to("nina@example.org")) == 2 and _jobs_done(app), timeout=40)
    ((key, status, error),) = _sms_rows(app)
    assert (key, status) == (f"order_ready:{order_id}", "failed") and "400" in error
    assert [r.status for r in sms_provider.received] == [400] and sms_provider.sent == []


def test_an_unreachable_provider_is_a_temporary_failure(app, monkeypatch):
    from tests.support.smtp import free_port

    monkeypatch.setitem(app.config, "SMS_API_URL", f"http://127.0.0.1:{free_port()}/sms")
    with app.app_context(), pytest.raises(mail.TemporaryMailError):
        notices.send_once("order_ready:1", NINA_MOBILE, "order_ready", lambda: Sms(NINA_MOBILE, "Prête"),
                          channel="sms")
    ((_key, status, error),) = _sms_rows(app)
    assert status == "retrying" and NINA_MOBILE not in error


def test_logs_hold_neither_the_number_nor_the_pickup_code(app, town, smtp_server, sms_provider, caplog):
    _opt_in(app, town.resident_id)
    fill_basket(app, town.resident_id, (town.bread, 1))
    order_id = checkout(app, town.resident_id, town.slot)
    _make_ready(app, order_id)  # no worker here: the ready notice is sent below, in this thread
    _number, code = _order(app, order_id)
    caplog.set_level(logging.DEBUG)

    with app.app_context():
        assert order_notices.send_order_ready(order_id) == 2

    (text,) = sms_provider.to(NINA_MOBILE)
    assert code in text  # the code did go to the provider...
    sent = [r for r in caplog.records if r.name == "shopapp.sms"]
    assert [(r.getMessage(), r.event_key, r.status) for r in sent] == [  # type: ignore[attr-defined]
        ("sms sent", f"order_ready:{order_id}", 200)
    ]
    # Every record but the test SMTP server's own (aiosmtpd's "mail.log" echoes the e-mail it receives).
    logged = "\n".join(f"{r.getMessage()} {r.__dict__!r}" for r in caplog.records if r.name != "mail.log")
    for secret in (NINA_MOBILE, NINA_MOBILE[3:], code, text):  # ...and never to the logs
        assert secret not in logged


# --- no provider configured ------------------------------------------------------------------------------


def test_without_a_provider_the_account_page_offers_no_sms_and_the_settings_cannot_turn_it_on(
    app, client, auth, make_user, no_sms_provider
):
    user_id = make_user(email="r@example.org")
    auth.login("r@example.org")
    page = text_of(client.get("/compte"))
    assert 'name="sms_opt_in"' not in page and 'name="phone"' not in page and "Numéro de mobile" not in page
    assert "Ce lieu n'envoie pas de SMS : les avis arrivent par courriel." in page

    response = client.post(
        "/compte/notifications",
        data={"csrf_token": csrf_token(client, "/compte"), "phone": "06 12 34 56 78", "sms_opt_in": "y"},
    )

    assert response.status_code == 302
    with app.app_context():
        user = db.session.get_one(User, user_id)
        assert (user.phone, user.sms_opt_in) == (None, False)
        with pytest.raises(ValidationFailed):
            accounts.set_sms_settings(user_id, NINA_MOBILE, True)


def test_without_a_provider_an_opted_in_resident_gets_the_email_and_no_sms_notice(
    app, town, celery_worker, smtp_server, sms_provider, monkeypatch
):
    _opt_in(app, town.resident_id)  # opted in while the venue sent SMS
    monkeypatch.setitem(app.config, "SMS_API_URL", None)  # then the provider is gone
    fill_basket(app, town.resident_id, (town.bread, 1))
    order_id = checkout(app, town.resident_id, town.slot)
    _make_ready(app, order_id)

    wait_for(lambda: len(smtp_server.to("nina@example.org")) == 2 and _jobs_done(app), timeout=40)
    assert sms_provider.received == []
    assert _sms_rows(app) == []
    with app.app_context():
        starts = db.session.get_one(Order, order_id).pickup_slot.starts_at
        assert reminders.send_slot_reminders(now=starts - timedelta(minutes=60)) in (0, 1)  # e-mail only
        commit()
    assert _sms_rows(app) == []
