"""Factory, configuration profiles, health checks, request ids, error pages."""

from __future__ import annotations

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


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/x")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")

    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_refuses_a_short_secret_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "court")
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/x")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")

    with pytest.raises(ConfigError, match="at least 32"):
        create_app(ProductionConfig)


def test_production_profile_uses_postgres_redis_and_secure_cookies(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/prod")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)

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
