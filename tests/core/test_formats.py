"""Dates, times and prices as people write them: `jeudi 4 décembre, 17 h 30`, `4,50 €`; and in English."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from shopapp.core.money import format_cents
from shopapp.templating import format_day, format_local

WINTER_EVENING = datetime(2025, 12, 4, 16, 30, tzinfo=UTC)  # 17:30 in Paris
SUMMER_EVENING = datetime(2025, 7, 3, 15, 30, tzinfo=UTC)  # 17:30 in Paris too (UTC+2)


@pytest.mark.parametrize(
    ("locale", "pattern", "expected"),
    [
        ("fr", None, "jeudi 4 décembre, 17 h 30"),
        ("fr", "HH 'h' mm", "17 h 30"),
        ("en", None, "Thursday 4 December, 5:30\u202fPM"),
        ("en", "HH 'h' mm", "5:30\u202fPM"),
        ("en", "d MMMM yyyy, HH 'h' mm", "4 December 2025, 5:30\u202fPM"),
    ],
)
def test_local_times_in_each_language(app, locale, pattern, expected):
    with app.test_request_context(), force_locale(locale):
        shown = format_local(WINTER_EVENING) if pattern is None else format_local(WINTER_EVENING, pattern)
    assert shown.replace(" ", "\u202f") == expected.replace(" ", "\u202f")


def test_local_time_follows_the_venue_clock_across_seasons(app):
    with app.test_request_context(), force_locale("fr"):
        assert format_local(SUMMER_EVENING) == "jeudi 3 juillet, 17 h 30"


def test_days_and_prices(app):
    with app.test_request_context(), force_locale("fr"):
        assert format_day(date(2026, 12, 3)) == "jeudi 3 décembre 2026"
        assert format_day(date(2026, 12, 3), "EEEE d MMMM") == "jeudi 3 décembre"
        assert format_cents(450) == "4,50\u00a0€"
    with app.test_request_context(), force_locale("en"):
        assert format_day(date(2026, 12, 3)) == "Thursday 3 December 2026"
