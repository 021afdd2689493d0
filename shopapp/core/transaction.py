"""The one commit boundary: commit the session, then hand the outbox jobs it wrote to the broker. And the
one way to read outside the session's transaction: `read_alone`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable

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
            return conn.execute(statement, params or {}).all()
    return db.session.execute(statement, params or {}).all()


def in_transaction() -> bool:
    """Whether this scope's session has a transaction open: begun by a read or a write, or by `session.add`
    of an object not flushed yet (the session's own read flushes it first, and sees it)."""
    return db.session.registry.has() and db.session().in_transaction()
