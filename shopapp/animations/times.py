"""Local wall-clock times of the venue ↔ stored UTC, DST-safe."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app

from shopapp.errors import ValidationFailed


def venue_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["VENUE_TIMEZONE"])


def to_utc(value: datetime, *, field: str = "starts_at") -> datetime:
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
