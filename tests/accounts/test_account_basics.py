"""The account page's basics: change the password, change the address (confirmed by a link sent to the new
one), and the address confirmed by the link the welcome e-mail carries."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.security import check_password_hash

from shopapp.accounts import services
from shopapp.accounts.models import User
from shopapp.core.outbox import OutboxJob
from shopapp.extensions import db
from tests.conftest import Auth, csrf_token, text_of


def _user(app, email: str) -> User:  # type: ignore[no-untyped-def]
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge(user)
        return user


def _link(message, pattern: str) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r"https?://\S+" + pattern + r"\S+", message.get_body(("plain",)).get_content())
    assert match is not None
    return urlsplit(match.group(0)).path


def test_password_change_needs_the_current_one_and_ends_other_sessions_only(app, client, auth, make_user):
    make_user(email="ines@example.org")
    other = FlaskClient(app, app.response_class, use_cookies=True)
    Auth(other).login("ines@example.org")
    auth.login("ines@example.org")

    wrong = client.post("/compte/mot-de-passe", data={
        "current_password": "pas-le-bon", "password": "tout-nouveau-1", "confirm": "tout-nouveau-1",
        "csrf_token": csrf_token(client, "/compte")})
    changed = client.post("/compte/mot-de-passe", data={
        "current_password": "motdepasse1", "password": "tout-nouveau-1", "confirm": "tout-nouveau-1",
        "csrf_token": csrf_token(client, "/compte")})

    assert wrong.status_code == 422 and "Mot de passe actuel incorrect." in text_of(wrong)
    assert changed.status_code == 302
    assert client.get("/compte").status_code == 200  # this browser goes on
    assert other.get("/compte").status_code == 302  # the other session ended
    assert check_password_hash(_user(app, "ines@example.org").password_hash, "tout-nouveau-1")


def test_a_weak_new_password_is_refused_in_french(app, client, auth, make_user):
    make_user(email="ines@example.org")
    auth.login("ines@example.org")

    response = client.post("/compte/mot-de-passe", data={
        "current_password": "motdepasse1", "password": "motdepasse", "confirm": "motdepasse",
        "csrf_token": csrf_token(client, "/compte")})

    assert response.status_code == 422 and "trop courant" in text_of(response)


def test_email_change_waits_for_the_link_sent_to_the_new_address(app, client, auth, make_user, mail_outbox,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", False)
    user_id = make_user(email="ines@example.org")
    make_user(email="pris@example.org")
    auth.login("ines@example.org")

    taken = client.post("/compte/adresse", data={"email": "pris@example.org", "current_password": "motdepasse1",
                                                 "csrf_token": csrf_token(client, "/compte")})
    asked = client.post("/compte/adresse", data={"email": "Ines.Neuve@example.org",
                                                 "current_password": "motdepasse1",
                                                 "csrf_token": csrf_token(client, "/compte")})
    assert taken.status_code == 422 and "Adresse déjà utilisée." in text_of(taken)
    assert asked.status_code == 302
    assert _user(app, "ines@example.org").email == "ines@example.org"  # nothing changes before the link
    with app.app_context():
        job = db.session.scalar(select(OutboxJob).where(OutboxJob.task_name == services.EMAIL_CHANGE_TASK))
        assert job is not None
        assert services.send_email_change(user_id, "ines.neuve@example.org") is True

    (message,) = mail_outbox()
    assert message["To"] == "ines.neuve@example.org"
    link = _link(message, "/compte/adresse/confirmer/")
    first, again = client.get(link), client.get(link)

    assert first.status_code == 302 and again.status_code == 400
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.email == "ines.neuve@example.org" and user.email_confirmed


def test_sign_up_sends_a_confirmation_link_and_ordering_stays_open(app, client, mail_outbox, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", False)
    client.post("/inscription", data={"name": "Léa", "email": "lea@example.org", "password": "un-secret-long",
                                      "confirm": "un-secret-long", "csrf_token": csrf_token(client, "/inscription")})
    page = text_of(client.get("/compte"))
    user = _user(app, "lea@example.org")
    with app.app_context():
        assert services.send_welcome_email(user.id) is True

    (welcome,) = mail_outbox()
    confirmed = client.get(_link(welcome, "/compte/confirmer/"))

    assert user.email_confirmed_at is None and "non confirmée" in page
    assert confirmed.status_code == 200 and "Votre adresse e-mail est confirmée" in text_of(confirmed)
    assert _user(app, "lea@example.org").email_confirmed
    assert "non confirmée" not in text_of(client.get("/compte"))


def test_a_confirmation_link_for_a_former_address_or_tampered_is_refused(app, client, make_user):
    user_id = make_user(email="ines@example.org")
    with app.app_context():
        link = urlsplit(services.confirmation_link(db.session.get(User, user_id))).path
        db.session.get(User, user_id).email = "autre@example.org"
        db.session.commit()

    assert client.get(link).status_code == 400
    assert client.get("/compte/confirmer/nimporte-quoi").status_code == 400
    assert not _user(app, "autre@example.org").email_confirmed


def test_resending_the_confirmation_link_queues_one_mail(app, client, auth, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", False)
    make_user(email="ines@example.org")
    auth.login("ines@example.org")

    response = client.post("/compte/confirmation", data={"csrf_token": csrf_token(client, "/compte")})

    assert response.status_code == 302
    with app.app_context():
        names = db.session.scalars(select(OutboxJob.task_name)).all()
        assert names.count(services.CONFIRM_TASK) == 1
