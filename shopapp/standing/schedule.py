"""The dates of a standing order and their local pickup times (pure, apart from reading the venue's zone).

A standing order is a weekday and a wall-clock time at the venue: "every Saturday at 10:00". Each date's
pickup time is computed in the venue's time zone, so 10:00 stays 10:00 on both sides of a daylight-saving
change while its UTC value moves by an hour.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shopapp.core.clock import venue_zone
from shopapp.venue.queries import current_venue


def zone() -> ZoneInfo:
    """The venue's zone (its row's, which the slots follow), else the configured one."""
    venue = current_venue()
    return ZoneInfo(venue.timezone) if venue is not None else venue_zone()


def starts_at(day: date, at: time, tz: ZoneInfo) -> datetime:
    """`day` at the local time `at`, in UTC (an hour skipped in spring is its neighbour's: fold 0)."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def dates_between(anchor: date, every_weeks: int, first: date, last: date) -> list[date]:
    """The series' dates (anchor + k × every_weeks weeks, k ≥ 0) within [first, last]."""
    step = 7 * every_weeks
    start = max(first, anchor)
    if last < start:
        return []
    k = -(-(start - anchor).days // step)
    day = anchor + timedelta(days=k * step)
    found = []
    while day <= last:
        found.append(day)
        day += timedelta(days=step)
    return found


def is_in_series(anchor: date, every_weeks: int, day: date) -> bool:
    return day >= anchor and (day - anchor).days % (7 * every_weeks) == 0
