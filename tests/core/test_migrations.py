"""`flask db upgrade` builds the schema from zero, and the models match the migrations (no drift)."""

from __future__ import annotations

import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from shopapp.catalog.search import is_search_object
from shopapp.extensions import db
from tests.conftest import IS_POSTGRES


def _scratch_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    if not IS_POSTGRES:
        return f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    from shopapp.config import normalise_database_url

    base = normalise_database_url(os.environ["TEST_DATABASE_URL"]).rsplit("/", 1)[0]
    admin = create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "shopapp_migrations" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "shopapp_migrations"'))
    admin.dispose()
    return base + "/shopapp_migrations"


def test_upgrade_from_zero_matches_the_models(app, tmp_path, monkeypatch):
    from flask_migrate import upgrade

    url = _scratch_url(tmp_path)
    monkeypatch.setitem(app.config, "SQLALCHEMY_DATABASE_URI", url)
    scratch = create_engine(url)
    engines = app.extensions["sqlalchemy"]._app_engines[app]
    real_engine = engines[None]
    engines[None] = scratch
    try:
        with app.app_context():
            upgrade()
            with scratch.connect() as conn:
                opts = {"compare_type": True, "include_object": lambda obj, name, type_, *_: not (
                    type_ == "table" and is_search_object(name))}
                diff = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
    finally:
        engines[None] = real_engine
        scratch.dispose()
    assert diff == []
