"""The one place the code reads the time: UTC now, the venue's time zone, its "today", and local ↔ UTC.

Every stored timestamp is UTC; pages, e-mails and calendars show the venue's wall-clock time
(`VENUE_TIMEZONE`, Europe/Paris by default). Tests move this clock with time-machine or build their
dates from `utcnow()`; nothing else in the code calls `datetime.now()`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

from shopapp.errors import ValidationFailed


def utcnow() -> datetime:
    """Aware UTC now; every stored timestamp is UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns: read them as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def venue_zone() -> ZoneInfo:
    """The venue's time zone (needs an app context)."""
    return ZoneInfo(current_app.config["VENUE_TIMEZONE"])


def venue_time(value: datetime) -> datetime:
    """A stored (UTC, possibly naive from SQLite) datetime as the venue's local time."""
    return as_utc(value).astimezone(venue_zone())


def venue_today(now: datetime | None = None, *, zone: ZoneInfo | None = None) -> date:
    """Today's date at the venue (or the venue's date of `now`), in `VENUE_TIMEZONE` unless `zone` is
    given (the venue row's own zone, which its calendar of slots and closures follows)."""
    return (now or utcnow()).astimezone(zone or venue_zone()).date()


def local_to_utc(value: datetime, *, field: str = "starts_at") -> datetime:
    """An aware datetime as UTC; a naive one is read as the venue's local wall-clock time.

    A local time that does not exist (the hour skipped when clocks go forward in March) is refused
    rather than silently moved; an ambiguous one (the hour repeated in October) is its first occurrence.

    :raise ValidationFailed: the local time does not exist.
    """
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    zone = venue_zone()
    aware = value.replace(tzinfo=zone, fold=0)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value:
        raise ValidationFailed("Cette heure n'existe pas (passage à l'heure d'été).",
                               fields={field: "heure inexistante"})
    return aware.astimezone(UTC)
