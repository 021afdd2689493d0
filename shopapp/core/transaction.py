"""The one commit boundary: commit the session, then hand the outbox jobs it wrote to the broker. And the
one way to read outside the session's transaction: `read_alone`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Dialect, Executable
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.compiler import Compiled, SQLCompiler

from shopapp.core import outbox
from shopapp.extensions import db


def commit() -> None:
    """Commit the current session, then hand the outbox jobs it wrote to the broker.

    The one commit boundary used by the request layer, CLI commands and tasks. Dispatching happens
    after the commit so that a worker never sees a job for a row it cannot read yet.
    """
    if not db.session.registry.has():  # nothing was read or written in this scope (a kept page, say)
        return
    jobs = outbox.pop_new_jobs(db.session)
    if not jobs and not db.session().in_transaction():
        return
    db.session.commit()
    if jobs:
        outbox.dispatch(jobs)


def read_alone(statement: Executable, params: dict[str, Any] | None = None) -> Sequence[Any]:
    """The rows of one read-only statement. On PostgreSQL, when the session has no transaction open, it
    runs in autocommit on a pooled connection: no BEGIN nor COMMIT to wait for, which on a busy server are
    two of a public page's round trips to the database. Otherwise (a transaction open, or SQLite, whose
    writes BEGIN IMMEDIATE serialises: see core.db) it runs in the session, as any read."""
    if db.engine.dialect.name == "postgresql" and not in_transaction():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            plain = _plain(statement, conn.dialect) if not conn._has_events and not db.engine._has_events else None
            if plain is None:
                return conn.execute(statement, params or {}).all()
            sql, compiled = plain
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(sql, _bound(compiled, params or {}))
                return cursor.fetchall()  # type: ignore[no-any-return]
            finally:
                cursor.close()
    return db.session.execute(statement, params or {}).all()


# Statements `read_alone` sends straight to the driver, by identity: (the statement, kept alive so that its id
# is not reused, its SQL and its compiled form), or None for one that needs SQLAlchemy's execution.
_PLAIN_KEPT = 256
_plain_statements: dict[int, tuple[Executable, tuple[str, Compiled] | None]] = {}


def _plain(statement: Executable, dialect: Dialect) -> tuple[str, Compiled] | None:
    """The SQL of a statement whose rows come from the driver as they are (no column of it has a result
    processor: psycopg itself gives JSON, dates and numbers their Python types) and whose parameters need no
    SQLAlchemy rendering at execution (no expanding IN): SQLAlchemy's execution then adds only work, some
    0.25 ms of CPU for the product page's row of 51 columns (its result's metadata, read from psycopg's
    description, is most of it). Listeners on the engine (statement counts in tests) take SQLAlchemy's path."""
    held = _plain_statements.get(id(statement))
    if held is not None and held[0] is statement:
        return held[1]
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    plain = None
    if (isinstance(compiled, SQLCompiler) and not compiled.post_compile_params and not compiled.literal_execute_params
            and _rows_as_the_driver_gives_them(compiled, dialect)):
        plain = (str(compiled), compiled)
    if len(_plain_statements) >= _PLAIN_KEPT:
        _plain_statements.clear()
    _plain_statements[id(statement)] = (statement, plain)
    return plain


def _rows_as_the_driver_gives_them(compiled: SQLCompiler, dialect: Dialect) -> bool:
    """No column of the statement has a result processor. A type whose processor depends on the type code the
    driver reports (PostgreSQL's numerics) cannot tell here: not plain."""
    try:
        return all(column[3]._cached_result_processor(dialect, None) is None for column in compiled._result_columns)
    except (SQLAlchemyError, TypeError):
        return False


def _bound(compiled: Compiled, params: dict[str, Any]) -> dict[str, Any]:
    """The statement's parameters as the driver takes them: the given ones and the statement's own literals,
    through their types' bind processors (an enum's value, say)."""
    values = compiled.construct_params(params)
    processors = compiled._bind_processors
    return {name: processors[name](value) if name in processors else value for name, value in values.items()}


def in_transaction() -> bool:
    """Whether this scope's session has a transaction open: begun by a read or a write, or by `session.add`
    of an object not flushed yet (the session's own read flushes it first, and sees it)."""
    return db.session.registry.has() and db.session().in_transaction()
