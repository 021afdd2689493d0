"""Factory, configuration profiles, health checks, request ids, error pages."""

from __future__ import annotations

import re

import pytest

from shopapp.app import create_app
from shopapp.config import ConfigError, ProductionConfig
from tests.conftest import text_of


@pytest.fixture(autouse=True)
def _restore_default_celery(app):  # type: ignore[no-untyped-def]
    # create_app() makes its Celery the process default; give it back to the suite's app afterwards.
    yield
    app.extensions["celery"].set_default()


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "broker": "ok"}


def test_request_id_is_echoed_or_made(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    assert len(client.get("/healthz").headers["X-Request-ID"]) == 32


def test_unknown_page_is_a_french_404_and_api_gets_the_envelope(client):
    page = client.get("/pas-de-page")
    api = client.get("/api/v1/pas-de-route")

    assert page.status_code == 404 and "Page introuvable" in text_of(page)
    assert api.status_code == 404 and api.json["error"]["code"] == "not_found"


PRODUCTION = {
    "SECRET_KEY": "x" * 40,
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/prod",
    "REDIS_URL": "redis://127.0.0.1:6379/3",
    "PUBLIC_URL": "https://commerces.example.fr",
    "MAIL_SERVER": "smtp.example.fr",
}


def _production_env(monkeypatch, **changes):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("MAIL_BACKEND", raising=False)
    for name, value in {**PRODUCTION, **changes}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "PUBLIC_URL", "MAIL_SERVER", "REDIS_URL"])
def test_production_refuses_to_start_with_one_line_naming_a_missing_setting(monkeypatch, missing):
    _production_env(monkeypatch, **{missing: None})

    with pytest.raises(ConfigError) as refused:
        create_app(ProductionConfig)

    assert str(refused.value) == f"Production start refused, missing settings: {missing}" + (
        " (or CELERY_BROKER_URL)" if missing == "REDIS_URL" else "")


@pytest.mark.parametrize(("changes", "message"), [
    ({"SECRET_KEY": "court"}, "at least 32"),
    ({"PUBLIC_URL": "commerces.example.fr"}, "PUBLIC_URL must be the site's address"),
    ({"MAIL_BACKEND": "outbox"}, "MAIL_BACKEND must be smtp in production"),
    ({"TRUSTED_PROXIES": "many"}, "TRUSTED_PROXIES must be a whole number"),
    ({"SMS_API_URL": "http://sms.example.fr/send", "SMS_API_TOKEN": "t"}, "SMS_API_URL must be the provider's https"),
    ({"SMS_API_URL": "https://sms.example.fr/send", "SMS_API_TOKEN": None}, "SMS_API_URL must be the provider's https"),
])
def test_production_refuses_unsafe_settings(monkeypatch, changes, message):
    _production_env(monkeypatch, **changes)

    with pytest.raises(ConfigError, match=message):
        create_app(ProductionConfig)


def test_production_never_seeds_the_demo_town(monkeypatch):
    _production_env(monkeypatch)

    result = create_app(ProductionConfig).test_cli_runner().invoke(args=["dev", "seed"])

    assert result.exit_code != 0
    assert "never seeded in production" in result.output


def test_behind_one_trusted_proxy_the_log_in_limit_counts_each_visitor(monkeypatch, make_user):
    from shopapp.config import TestConfig
    from tests.conftest import csrf_token

    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    proxied = create_app(TestConfig)
    proxied.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    client = proxied.test_client()
    token = csrf_token(client, "/connexion")

    def attempt(visitor: str) -> int:
        return client.post("/connexion", data={"email": f"{visitor}@example.org", "password": "x",
                                               "csrf_token": token},
                           environ_base={"REMOTE_ADDR": "10.0.0.2"},  # the proxy
                           headers={"X-Forwarded-For": visitor.replace("v", "203.0.113.")}).status_code

    first_visitor = [attempt("v1") for _ in range(4)]
    second_visitor = attempt("v2")

    assert first_visitor == [422, 422, 422, 429]
    assert second_visitor == 422


def test_production_profile_uses_postgres_redis_and_secure_cookies(monkeypatch):
    _production_env(monkeypatch)

    application = create_app(ProductionConfig)

    assert application.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://postgres@127.0.0.1:5432/prod"
    assert application.extensions["celery"].conf.broker_url == "redis://127.0.0.1:6379/3"
    assert application.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"
    assert application.config["SESSION_COOKIE_SECURE"] is True


def test_embedded_default_needs_no_server(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY", "MAIL_SERVER", "MAIL_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SHOPAPP_INSTANCE", str(tmp_path))

    application = create_app()

    assert application.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'shopapp.sqlite3'}"
    assert application.extensions["celery"].conf.broker_url.startswith("sqla+sqlite:///")
    assert application.config["MAIL_BACKEND"] == "outbox"
    assert len(application.config["SECRET_KEY"]) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_security_headers(client):
    headers = client.get("/").headers

    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "same-origin" and headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in headers  # plain HTTP
    assert "max-age=31536000" in client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"]


def test_a_header_set_by_the_view_is_kept_and_not_doubled(app):
    from flask import Response

    with app.test_request_context("/"):  # the app's after-request hooks, on an answer with its own headers
        headers = app.process_response(
            Response("ok", headers={"x-frame-options": "SAMEORIGIN", "Content-Security-Policy": "default-src 'none'"})
        ).headers

    assert headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_home_lists_approved_shops_only(app, client):
    from shopapp.catalog.models import Shop
    from shopapp.extensions import db

    with app.app_context():
        db.session.add_all([
            Shop(slug="boulangerie-du-pont", name="Boulangerie du Pont", trade="Boulangerie", status="approved"),
            Shop(slug="en-attente", name="Fromagerie en attente", trade="Fromagerie", status="pending"),
        ])
        db.session.commit()

    html = text_of(client.get("/"))

    assert "Boulangerie du Pont" in html
    assert "Fromagerie en attente" not in html


def test_the_favicon_is_served_and_every_page_describes_itself(client):
    icon = client.get("/favicon.ico")
    pages = {path: client.get(path).get_data(as_text=True) for path in ("/", "/produits", "/connexion", "/agenda")}

    assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon"
    assert icon.data[:4] == b"\x00\x00\x01\x00"  # the ICO header
    for path, html in pages.items():
        description = re.search(r'<meta name="description" content="([^"]+)">', html)
        assert description and "centre-ville" in description.group(1), path
        assert 'rel="icon" href="/favicon.ico"' in html, path


def test_home_explains_how_it_works_and_shows_this_weeks_animations_only(app, client):
    from datetime import timedelta

    from shopapp.animations.models import Animation
    from shopapp.core.clock import utcnow
    from shopapp.extensions import db

    with app.app_context():
        soon = utcnow() + timedelta(days=2)
        later = utcnow() + timedelta(days=12)
        db.session.add_all([
            Animation(title="Dégustation de comté", kind="tasting", starts_at=soon, ends_at=soon + timedelta(hours=1),
                      capacity=10, status="published"),
            Animation(title="Atelier dans deux semaines", kind="cooking_workshop", starts_at=later,
                      ends_at=later + timedelta(hours=1), capacity=10, status="published"),
            Animation(title="Brouillon", kind="tasting", starts_at=soon, ends_at=soon + timedelta(hours=1),
                      capacity=10, status="draft"),
        ])
        db.session.commit()

    html = text_of(client.get("/"))

    steps = html.split('<ol class="steps">')[1].split("</ol>")[0]
    assert steps.count("<li>") == 3 and "Choisissez un créneau" in steps
    assert "Dégustation de comté" in html
    assert "Atelier dans deux semaines" not in html and "Brouillon" not in html


def test_a_request_without_a_session_cookie_gets_an_empty_session_without_the_signer(app, monkeypatch):
    from flask import request, session

    from shopapp.core.sessions import CookieSessions

    assert isinstance(app.session_interface, CookieSessions)
    client = app.test_client()
    with client.session_transaction() as kept:  # a signed cookie, as a signed-in visitor brings
        kept["lang"] = "en"
    built: list[bool] = []
    real = CookieSessions.get_signing_serializer
    monkeypatch.setattr(CookieSessions, "get_signing_serializer",
                        lambda self, application: built.append(True) or real(self, application))

    with app.test_request_context("/"):
        assert dict(app.session_interface.open_session(app, request)) == {}
    assert built == []  # no cookie: no signer built

    with client:
        client.get("/produits")
        assert session.get("lang") == "en"  # a cookie: read and verified through Flask as before
    assert built


def test_the_rate_limits_shared_by_every_route_are_checked_before_a_view_only_once_one_is_set(app, monkeypatch):  # type: ignore[no-untyped-def]
    # The app's limits decorate their views (log-in, sign-up…): before an undecorated view nothing is checked
    # (shopapp/app.py, `_check_shared_limits_once_set`). A default limit set later applies to every route.
    from flask_limiter import Limit

    from shopapp.extensions import limiter

    resolved: list[object] = []
    resolve = limiter.limit_manager.resolve_limits
    monkeypatch.setattr(limiter.limit_manager, "resolve_limits",
                        lambda *args, **kwargs: resolved.append(args) or resolve(*args, **kwargs))
    client = app.test_client()
    assert [client.get("/healthz").status_code for _ in range(3)] == [200, 200, 200]
    assert resolved == []

    monkeypatch.setattr(limiter.limit_manager, "_default_limits",
                        [Limit(limit_provider="2 per hour", key_function=lambda: "test-client").bind(limiter)])
    assert [client.get("/healthz").status_code for _ in range(3)] == [200, 200, 429]
    assert resolved
