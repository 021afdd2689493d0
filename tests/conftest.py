"""Test fixtures.

The suite runs once per backend (scripts/run_tests.py sets SHOPAPP_TEST_BACKEND):
- `embedded`: SQLite file + Celery on kombu's SQLAlchemy transport (SQLite), as in the demo;
- `services`: PostgreSQL + Redis on 127.0.0.1.

Isolation: one app per session; after each test every table is emptied. Wrapping each test in a
rolled-back outer transaction (with savepoints) does not fit here because real Celery workers, concurrent
threads and browser tests read and write through their own connections, which that transaction would hide.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

BACKEND = os.environ.get("SHOPAPP_TEST_BACKEND", "embedded")
IS_POSTGRES = BACKEND == "services"
_TMP = Path(tempfile.mkdtemp(prefix="shopapp-tests-"))


def _prepare_environment() -> None:
    os.environ["SHOPAPP_INSTANCE"] = str(_TMP / "instance")
    os.environ["MAIL_OUTBOX_DIR"] = str(_TMP / "mail_outbox")
    os.environ.pop("MAIL_SERVER", None)
    if IS_POSTGRES:
        url = os.environ["TEST_DATABASE_URL"]
        _ensure_postgres_database(url)
        os.environ["DATABASE_URL"] = url
        os.environ["CELERY_BROKER_URL"] = os.environ["TEST_REDIS_URL"]
        os.environ["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{_TMP / 'test.sqlite3'}"
        os.environ["CELERY_BROKER_URL"] = f"sqla+sqlite:///{_TMP / 'broker.sqlite3'}"
        os.environ.pop("REDIS_URL", None)


def _ensure_postgres_database(url: str) -> None:
    from shopapp.config import normalise_database_url

    target = normalise_database_url(url)
    name = target.rsplit("/", 1)[1]
    admin = create_engine(target.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


_prepare_environment()


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    shutil.rmtree(_TMP, ignore_errors=True)


def pytest_report_header(config: Any) -> str:
    return f"shopapp backend: {BACKEND} ({os.environ['DATABASE_URL'].split('@')[-1]})"


@pytest.fixture(scope="session")
def app():  # type: ignore[no-untyped-def]
    from shopapp.app import create_app
    from shopapp.config import TestConfig
    from shopapp.extensions import db

    application = create_app(TestConfig)
    with application.app_context():
        db.drop_all()
        if IS_POSTGRES:
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        # The migration creates the search index in production; here tables come from create_all.
        from shopapp.catalog.search import install_search

        install_search(db.engine)
    import worker.tasks  # noqa: F401 - registers every task on the app's Celery
    yield application


@pytest.fixture(autouse=True)
def _limiter_as_it_was() -> Iterator[None]:
    """Flask-Limiter keeps its storage (and settings) on the one `limiter` object, as the last `init_app` set
    them: a test that builds an app of its own (tests/core/test_app.py) leaves the session's app counting
    in that other app's storage. Production has one app per process; here the limiter is put back after
    each test as it was before, so that no test depends on which ran before it."""
    from shopapp.extensions import limiter

    before = dict(vars(limiter))
    yield
    vars(limiter).clear()
    vars(limiter).update(before)


@pytest.fixture(autouse=True)
def _clean_state(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    from shopapp.extensions import db, limiter

    with application.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        limiter.reset()
    shutil.rmtree(os.environ["MAIL_OUTBOX_DIR"], ignore_errors=True)


@pytest.fixture
def app_ctx(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        yield app


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def runner(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):  # type: ignore[no-untyped-def]
    """Factory fixture: make_user(email=..., roles=(...)) → user id, committed."""
    from shopapp.accounts.services import register_user
    from shopapp.core.transaction import commit

    counter = {"n": 0}

    def make(email: str | None = None, password: str = "motdepasse1", name: str = "Test",
             roles: tuple[str, ...] = ("resident",)) -> int:
        counter["n"] += 1
        with app.app_context():
            user = register_user(email or f"user{counter['n']}@example.org", password, name, roles=roles,
                                 send_welcome=False)
            user_id = user.id
            commit()
        return user_id

    return make


class Auth:
    """Log a test client in and out through the real log-in form."""

    def __init__(self, client: Any):
        self.client = client

    def login(self, email: str, password: str = "motdepasse1") -> Any:
        token = csrf_token(self.client, "/connexion")
        return self.client.post("/connexion", data={"email": email, "password": password, "csrf_token": token})

    def logout(self) -> Any:
        token = csrf_token(self.client, "/compte")
        return self.client.post("/deconnexion", data={"csrf_token": token})


def csrf_token(client: Any, path: str) -> str:
    """Fetch a page and read its CSRF token, as a browser would."""
    import re

    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def auth(client):  # type: ignore[no-untyped-def]
    return Auth(client)


@pytest.fixture
def mail_outbox(app) -> Any:  # type: ignore[no-untyped-def]
    """Messages written by the outbox mail backend, parsed."""
    import email
    from email import policy

    def read() -> list[Any]:
        folder = Path(os.environ["MAIL_OUTBOX_DIR"])
        if not folder.exists():
            return []
        return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]

    return read


@pytest.fixture
def smtp_server(app, monkeypatch):  # type: ignore[no-untyped-def]
    """A real SMTP server (aiosmtpd) on 127.0.0.1; the app sends to it for this test."""
    from tests.support.smtp import RecordingSMTP

    server = RecordingSMTP()
    server.start()
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    yield server
    from shopapp.core import mail

    mail.close_connections()  # the SMTP connections kept open for reuse, before the server goes away
    server.stop()


@pytest.fixture
def celery_worker(app):  # type: ignore[no-untyped-def]
    """A real Celery worker (solo pool, in a thread) on this backend's broker."""
    from celery.contrib.testing.worker import start_worker

    celery_app = app.extensions["celery"]
    celery_app.control.purge()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20,
                      loglevel="WARNING") as worker:
        yield worker


@pytest.fixture
def sms_provider(app, monkeypatch):  # type: ignore[no-untyped-def]
    """A stand-in SMS provider (tests/support/sms_provider.py, an HTTP server on 127.0.0.1) configured as
    the app's provider for this test: no real provider can be reached from the tests."""
    from tests.support.sms_provider import FakeSmsProvider

    provider = FakeSmsProvider()
    provider.start()
    monkeypatch.setitem(app.config, "SMS_API_URL", provider.url)
    monkeypatch.setitem(app.config, "SMS_API_TOKEN", "test-token")
    monkeypatch.setitem(app.config, "SMS_SENDER", "AdopteMonCo")
    yield provider
    provider.stop()


def text_of(response: Any) -> str:
    """The response body with HTML entities decoded (Jinja escapes apostrophes)."""
    import html

    return html.unescape(response.get_data(as_text=True))
