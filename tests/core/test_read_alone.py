"""`read_alone`: one read outside the session's transaction when that changes nothing the caller can see."""

from __future__ import annotations

from sqlalchemy import select

from shopapp.core.transaction import read_alone
from shopapp.extensions import db
from shopapp.venue.models import Venue
from tests.conftest import IS_POSTGRES


def test_a_read_alone_sees_what_the_session_holds_and_otherwise_needs_no_transaction(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.add(Venue(name="La Halle Commune", address="3 place de la Halle"))  # not flushed yet
        assert read_alone(select(Venue.name)) == [("La Halle Commune",)]  # in the session: flushed, then read
        db.session.commit()

    with app.app_context():
        assert read_alone(select(Venue.name)) == [("La Halle Commune",)]
        # On PostgreSQL it ran in autocommit on a connection of its own: the session began nothing.
        assert db.session().in_transaction() is not IS_POSTGRES
