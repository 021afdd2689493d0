"""The one commit boundary: commit the session, then hand the outbox jobs it wrote to the broker."""

from __future__ import annotations

from shopapp.core import outbox
from shopapp.extensions import db


def commit() -> None:
    """Commit the current session, then hand the outbox jobs it wrote to the broker.

    The one commit boundary used by the request layer, CLI commands and tasks. Dispatching happens
    after the commit so that a worker never sees a job for a row it cannot read yet.
    """
    job_ids = outbox.pop_new_job_ids(db.session)
    db.session.commit()
    if job_ids:
        outbox.dispatch(job_ids)
