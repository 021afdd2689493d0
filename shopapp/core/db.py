"""Declarative base, naming convention, connection hooks and the one commit boundary."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, Text, cast, event, func, tuple_
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
from sqlalchemy.pool import Pool

from shopapp.core.clock import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    # Every datetime column is timezone-aware: times are stored in UTC.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: DateTime(timezone=True)},
    )


# Row ids are PostgreSQL INTEGERs: a larger number names no row and must never reach the database driver
# (SQLite overflows on it). Routes (core.urls), API bodies (core.api.RowId) and forms (core.forms) use it.
MAX_ROW_ID = 2**31 - 1


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):  # type: ignore[no-untyped-def]
    # SQLite is the embedded default: WAL lets the web process and the worker read while one writes,
    # busy_timeout makes a second writer wait instead of failing at once, foreign keys are off by default.
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        dbapi_connection.create_function("row_digest", -1, _row_digest, deterministic=True)


def _row_digest(*values: Any) -> str:
    return hashlib.blake2b(repr(values).encode(), digest_size=16).hexdigest()


def row_digest(dialect_name: str, columns: Sequence[Any]) -> Any:
    """A SQL expression: a digest of the values of `columns` in a row, computed by the database, so that a
    statement can return one short version of many columns (any change to one of them changes it).
    PostgreSQL: md5 of the row's text form (which tells NULL from an empty string); SQLite: `row_digest()`,
    a function this module gives every SQLite connection."""
    if dialect_name == "postgresql":
        return func.md5(cast(tuple_(*columns), Text))
    return func.row_digest(*columns)


# Pessimistic disconnect handling for pooled connections (SQLAlchemy's "custom pessimistic ping"
# recipe), but only for a connection that sat idle in the pool: `pool_pre_ping` would ping at every
# checkout, one more round trip for each transaction of a worker that runs thousands back to back on
# a connection used milliseconds before.
PING_AFTER_IDLE_SECONDS = 1.0


@event.listens_for(Pool, "checkin")
def _note_idle_since(dbapi_connection, connection_record):  # type: ignore[no-untyped-def]
    connection_record.info["idle_since"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_if_idle(dbapi_connection, connection_record, connection_proxy):  # type: ignore[no-untyped-def]
    idle_since = connection_record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return  # new, or used a moment ago
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        return  # a file, not a server that can go away
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as error:
        # The pool discards this connection and checks out another (a new one if need be).
        raise DisconnectionError() from error


def serialise_sqlite_writers(engine: Engine) -> None:
    """On SQLite, start every transaction with BEGIN IMMEDIATE (SQLAlchemy's documented recipe).

    A deferred SQLite transaction that reads and then writes can fail at once with "database is
    locked" when another writer got there first; taking the write lock at BEGIN makes concurrent
    checkouts queue (busy_timeout) instead, so conditional stock and capacity updates stay exact.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection, connection_record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")
