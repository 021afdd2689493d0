"""Reading the venue: the platform has one, the town's pickup place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import ScalarSelect, Select, bindparam, select

from shopapp.core.transaction import in_transaction, read_alone
from shopapp.extensions import db
from shopapp.venue.holidays import public_holidays
from shopapp.venue.models import Venue

T = TypeVar("T")

_FIRST_VENUE = select(Venue).order_by(Venue.id).limit(1)  # built once (every request may ask)
_FIRST_VENUE_NAME = select(Venue.name).order_by(Venue.id).limit(1)


def _held_venue() -> Venue | None:
    # The venue this request or task read already, while it belongs to the current session.
    held = g.get("current_venue")
    return held if held is not None and held in db.session else None


def current_venue() -> Venue | None:
    """The venue (the first by id, should more ever be added); None before `flask setup`.

    Kept for the request or task once read: later calls give the same object while it belongs to the
    current session (no query; its attributes reload by themselves after a commit)."""
    held = _held_venue()
    if held is not None:
        return held
    venue = db.session.scalar(_FIRST_VENUE)
    g.current_venue = venue
    return venue


_VENUE_AND_ROW: dict[type[Any], Select[Any]] = {}  # by model, each statement built once


def _venue_and_row_of(model: type[Any]) -> Select[Any]:
    # The first venue, and beside it the row of `model` whose id is asked (or NULLs): one statement.
    statement = _VENUE_AND_ROW.get(model)
    if statement is None:
        statement = _VENUE_AND_ROW[model] = (select(Venue, model).outerjoin(model, model.id == bindparam("ident"))
                                             .order_by(Venue.id).limit(1))
    return statement


def current_venue_and(model: type[T], ident: int) -> tuple[Venue | None, T | None]:
    """`current_venue()` and `db.session.get(model, ident)` read together: one statement when the venue is
    not held yet (the checkout reads its slot so). No venue yet (before `flask setup`): (None, None)."""
    held = _held_venue()
    if held is not None:
        return held, db.session.get(model, ident)
    row = db.session.execute(_venue_and_row_of(model), {"ident": ident}).first()
    venue, found = (row[0], row[1]) if row is not None else (None, None)
    g.current_venue = venue
    return venue, found


def venue_name() -> str:
    """The venue's name as the association set it, read once per request or task; pages, e-mails and
    calendars show it. Before `flask setup` there is none yet: a plain description stands in."""
    if "venue_name" not in g:
        if _held_venue() is not None or in_transaction():  # the venue, read and held as any read
            venue = current_venue()
            name = venue.name if venue is not None else None
        else:  # the name alone: a public page read outside a transaction adds no BEGIN nor COMMIT for it
            names = read_alone(_FIRST_VENUE_NAME)
            name = names[0][0] if names else None
        hold_venue_name(name)
    return str(g.venue_name)


def venue_name_column() -> ScalarSelect[str | None]:
    """The venue's name as a column of another statement (NULL before `flask setup`): a public page that
    reads its rows in one statement reads the name it shows there too, and holds it (`hold_venue_name`)."""
    return _FIRST_VENUE_NAME.scalar_subquery()


def hold_venue_name(name: str | None) -> None:
    """Keep `name`, read with the page's own statement (`venue_name_column`), as the venue's name for the
    rest of the request: `venue_name()` then gives it without a statement of its own."""
    g.venue_name = name if name is not None else str(_l("le lieu de retrait"))


@dataclass(frozen=True)
class Closure:
    day: date
    reason: str


def upcoming_closures(venue: Venue, start: date, days: int = 90) -> list[Closure]:
    """The days in [start, start + days) the venue is closed although its weekday has opening hours:
    the exceptional closures the association set, and the public holidays when the venue closes on them."""
    end = start + timedelta(days=days)
    closures = {closed.day: closed.reason for closed in venue.closed_days if start <= closed.day < end}
    if venue.closed_on_public_holidays:
        for year in range(start.year, end.year + 1):
            for day, name in public_holidays(year).items():
                if start <= day < end:
                    closures.setdefault(day, name)
    open_weekdays = {hours.weekday for hours in venue.opening_hours}
    return [Closure(day, reason) for day, reason in sorted(closures.items()) if day.isoweekday() in open_weekdays]
