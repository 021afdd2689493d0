"""The one commit boundary: commit the session, then hand the outbox jobs it wrote to the broker."""

from __future__ import annotations

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
