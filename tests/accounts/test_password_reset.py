"""Password reset by an e-mailed signed token that expires and works once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from shopapp.accounts import services
from shopapp.accounts.models import User
from shopapp.core.outbox import OutboxJob
from shopapp.extensions import db
from tests.conftest import csrf_token, text_of


def _token_for(app, email: str) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        user = services.get_user_by_email(email)
        assert user is not None
        return services.make_reset_token(user)


def _reset(client, token: str, password: str = "nouveau-secret"):  # type: ignore[no-untyped-def]
    path = f"/mot-de-passe/reinitialiser/{token}"
    return client.post(path, data={"password": password, "confirm": password, "csrf_token": csrf_token(client, path)})


def test_forgot_password_enqueues_a_reset_email_only_for_known_addresses(app, client, make_user):
    make_user(email="ines@example.org")
    for address in ("ines@example.org", "inconnu@example.org"):
        response = client.post("/mot-de-passe/oubli", data={"email": address,
                                                            "csrf_token": csrf_token(client, "/mot-de-passe/oubli")})
        assert response.status_code == 302

    with app.app_context():
        jobs = db.session.scalars(select(OutboxJob)).all()
        assert [job.task_name for job in jobs] == ["accounts.send_password_reset"]


def test_reset_email_carries_a_working_link(app, make_user, mail_outbox):
    user_id = make_user(email="ines@example.org")
    with app.app_context():  # as in the worker: no request
        assert services.send_password_reset(user_id, request_id=1) is True

    (message,) = mail_outbox()
    assert message["To"] == "ines@example.org"
    link = re.search(r"https?://\S+/mot-de-passe/reinitialiser/\S+", message.get_body(("plain",)).get_content())
    assert link is not None


def test_reset_token_changes_the_password_once(app, client, make_user, auth):
    make_user(email="ines@example.org")
    token = _token_for(app, "ines@example.org")

    first = _reset(client, token)
    second = _reset(client, token, "encore-un-autre")

    assert first.status_code == 302
    assert second.status_code == 422
    assert "déjà servi" in text_of(second)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ines@example.org"))
        assert check_password_hash(user.password_hash, "nouveau-secret")
    assert auth.login("ines@example.org", "nouveau-secret").status_code == 302


def test_expired_reset_token_is_refused_and_changes_nothing(app, client, make_user, monkeypatch):
    make_user(email="ines@example.org")
    token = _token_for(app, "ines@example.org")
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)

    response = _reset(client, token)

    assert response.status_code == 422
    assert "expiré" in text_of(response)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ines@example.org"))
        assert check_password_hash(user.password_hash, "motdepasse1")


@pytest.mark.parametrize("token", ["nimporte-quoi", "eyJ1aWQiOjF9.abc.def"])
def test_tampered_reset_token_is_refused(client, make_user, token):
    make_user(email="ines@example.org")

    response = _reset(client, token)

    assert response.status_code == 422
    assert "n'est pas valide" in text_of(response)


def test_password_change_ends_other_sessions(app, client, make_user, auth):
    make_user(email="ines@example.org")
    auth.login("ines@example.org")
    assert client.get("/compte").status_code == 200

    with app.app_context():
        user = services.get_user_by_email("ines@example.org")
        services.set_password(user, "tout-nouveau-1")
        db.session.commit()

    assert client.get("/compte").status_code == 302
