"""Dates for tests, derived from the application's clock (`shopapp.core.clock.utcnow`), never written in.

A test that needs a daylight-saving change takes the next one from here, so it keeps its meaning
whatever day the suite runs (`make test-future` runs it 400 days ahead and on a clock-change night).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shopapp.core.clock import utcnow

PARIS = ZoneInfo("Europe/Paris")


def venue_today() -> date:
    return utcnow().astimezone(PARIS).date()


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """`day` at `hour:minute`, the venue's wall-clock time."""
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def days_ahead(days: int, hour: int, minute: int = 0) -> datetime:
    """`days` after the venue's today, at `hour:minute` local time."""
    return local(venue_today() + timedelta(days=days), hour, minute)


def next_clock_change(month: int, *, at_least_days: int = 2) -> date:
    """The Sunday the venue's clocks change in `month` (3: forward, 10: back), the first one at least
    `at_least_days` ahead: the last Sunday of the month (both months have 31 days)."""
    earliest = venue_today() + timedelta(days=at_least_days)
    year = earliest.year
    while True:
        last = date(year, month, 31)
        sunday = last - timedelta(days=(last.isoweekday() % 7))
        if sunday >= earliest:
            return sunday
        year += 1
