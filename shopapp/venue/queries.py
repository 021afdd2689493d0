"""Reading the venue: the platform has one, the town's pickup place."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shopapp.extensions import db
from shopapp.venue.models import Venue


def current_venue() -> Venue | None:
    """The venue (the first by id, should more ever be added); None before `flask setup`."""
    return db.session.scalar(select(Venue).order_by(Venue.id).limit(1))


def venue_name() -> str:
    """The venue's name as the association set it, read once per request or task; pages, e-mails and
    calendars show it. Before `flask setup` there is none yet: a plain description stands in."""
    if "venue_name" not in g:
        venue = current_venue()
        g.venue_name = venue.name if venue is not None else str(_l("le lieu de retrait"))
    return str(g.venue_name)
