"""Sign-up, log-in, log-out, CSRF and the log-in rate limit, through the real pages."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from shopapp.accounts.models import User
from shopapp.core.outbox import OutboxJob
from shopapp.extensions import db
from tests.conftest import IS_POSTGRES, csrf_token, text_of


def _signup(client, **overrides):  # type: ignore[no-untyped-def]
    data = {"name": "Louise Petit", "email": "louise@example.org", "password": "motdepasse1",
            "confirm": "motdepasse1", "csrf_token": csrf_token(client, "/inscription")}
    data.update(overrides)
    return client.post("/inscription", data=data)


def _count_users(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count(User.id))) or 0


def test_signup_creates_a_resident_logs_in_and_enqueues_the_welcome_email(app, client):
    response = _signup(client)

    assert response.status_code == 302
    assert client.get("/compte").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "louise@example.org"))
        assert user is not None and user.roles == ["resident"]
        assert user.password_hash != "motdepasse1" and user.password_hash.startswith("scrypt:")
        jobs = db.session.scalars(select(OutboxJob)).all()
        assert [(j.task_name, j.payload) for j in jobs] == [("accounts.send_welcome_email", {"user_id": user.id})]


def test_duplicate_email_in_another_case_is_refused_in_french(app, client, make_user):
    make_user(email="louise@example.org")

    response = _signup(client, email="LOUISE@Example.ORG")

    assert response.status_code == 422
    assert "Un compte existe déjà avec cette adresse e-mail." in text_of(response) or \
        "Adresse déjà utilisée." in text_of(response)
    assert _count_users(app) == 1


def test_malformed_signup_form_re_renders_with_french_messages_and_an_error_summary(app, client):
    response = _signup(client, name="", email="pas-une-adresse", password="court", confirm="autre")

    html = text_of(response)
    assert response.status_code == 422
    assert 'class="error-summary"' in html
    assert "Ce champ est obligatoire." in html
    assert "Adresse e-mail invalide." in html
    assert "Au moins 8 caractères." in html
    assert 'aria-invalid="true"' in html
    assert _count_users(app) == 0


def test_form_without_csrf_token_is_rejected_and_changes_nothing(app, client):
    response = client.post("/inscription", data={"name": "X", "email": "x@example.org", "password": "motdepasse1",
                                                 "confirm": "motdepasse1"})

    assert response.status_code == 400
    assert "Le formulaire a expiré" in text_of(response)
    assert _count_users(app) == 0


def test_login_with_the_right_password_then_logout(client, auth, make_user):
    make_user(email="remi@example.org")

    response = auth.login("Remi@Example.org")
    assert response.status_code == 302
    assert client.get("/compte").status_code == 200

    assert auth.logout().status_code == 302
    assert client.get("/compte").status_code == 302


def test_wrong_password_is_refused_with_a_french_message(client, auth, make_user):
    make_user(email="remi@example.org")

    response = auth.login("remi@example.org", "mauvais-mot")

    assert response.status_code == 422
    assert "Adresse e-mail ou mot de passe incorrect." in text_of(response)
    assert client.get("/compte").status_code == 302


def test_logout_is_refused_on_get(client, auth, make_user):
    make_user(email="remi@example.org")
    auth.login("remi@example.org")

    assert client.get("/deconnexion").status_code == 405
    assert client.get("/compte").status_code == 200


def test_login_is_rate_limited(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    make_user(email="remi@example.org")
    token = csrf_token(client, "/connexion")

    statuses = [
        client.post("/connexion", data={"email": "remi@example.org", "password": "faux-faux", "csrf_token": token})
        .status_code
        for _ in range(4)
    ]

    assert statuses == [422, 422, 422, 429]
    blocked = client.post("/connexion", data={"email": "remi@example.org", "password": "motdepasse1",
                                              "csrf_token": token})
    assert blocked.status_code == 429
    assert "Trop de tentatives" in text_of(blocked)


@pytest.mark.parametrize("target", [
    "https://evil.example/",
    "/\\evil.example",  # browsers read "/\\evil.example" as "//evil.example", another site
])
def test_a_redirect_after_login_to_another_site_is_ignored(client, make_user, target):
    make_user(email="remi@example.org")
    token = csrf_token(client, "/connexion")

    response = client.post("/connexion", data={"email": "remi@example.org", "password": "motdepasse1",
                                               "next": target, "csrf_token": token})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_language_switch_renders_english(client):
    token = csrf_token(client, "/connexion")  # the home page defers its token to a visitor without a session

    client.post("/langue", data={"lang": "en", "next": "/", "csrf_token": token})
    html = text_of(client.get("/"))

    assert '<html lang="en">' in html


def test_common_passwords_are_refused(app, client):
    response = _signup(client, password="azertyuiop", confirm="azertyuiop")

    assert response.status_code == 422
    assert "trop courant" in text_of(response)
    assert _count_users(app) == 0


def test_login_is_throttled_per_account_across_addresses(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_RATE_LIMIT", "2 per minute")
    make_user(email="remi@example.org")
    token = csrf_token(client, "/connexion")

    statuses = [
        client.post("/connexion", data={"email": "remi@example.org", "password": "faux-faux", "csrf_token": token},
                    environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code
        for n in range(3)
    ]
    other_account = client.post("/connexion", data={"email": "autre@example.org", "password": "x",
                                                     "csrf_token": token}, environ_base={"REMOTE_ADDR": "10.0.0.9"})

    assert statuses == [422, 422, 429]
    assert other_account.status_code == 422


def test_idle_session_expires(app, client, auth, make_user, monkeypatch):
    make_user(email="remi@example.org")
    auth.login("remi@example.org")
    with client.session_transaction() as session:
        session["seen_at"] -= app.config["SESSION_IDLE_MINUTES"] * 60 + 5

    assert client.get("/compte").status_code == 302


def test_absolute_session_lifetime(app, client, auth, make_user):
    make_user(email="remi@example.org")
    auth.login("remi@example.org")
    with client.session_transaction() as session:
        session["auth_at"] -= app.config["SESSION_ABSOLUTE_HOURS"] * 3600 + 5

    assert client.get("/compte").status_code == 302


def test_login_rotates_the_session(client, auth, make_user):
    make_user(email="remi@example.org")
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"

    auth.login("remi@example.org")

    with client.session_transaction() as session:
        assert "planted" not in session


@pytest.mark.skipif(not IS_POSTGRES, reason="the services backend counts attempts in Redis; the embedded one in memory")
def test_log_in_attempts_are_counted_in_redis_on_the_services_backend(app, client):
    import redis

    store = redis.Redis.from_url(os.environ["TEST_REDIS_URL"])
    token = csrf_token(client, "/connexion")

    client.post("/connexion", data={"email": "x@example.org", "password": "x", "csrf_token": token})

    assert app.config["RATELIMIT_STORAGE_URI"] == os.environ["TEST_REDIS_URL"]
    assert any(b"connexion" in key or b"login" in key for key in store.scan_iter("LIMITS*"))
