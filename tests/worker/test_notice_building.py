"""Building notices cheaply: the .ics time-zone block and the e-mail templates are made once per process."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import icalendar

from shopapp.notices import attachments
from shopapp.notices.attachments import CalendarEvent, calendar_bytes
from tests.support.clock import next_clock_change


def _event(n: int, starts_at: datetime) -> CalendarEvent:
    return CalendarEvent(uid=f"pickup-{n}@example.org", summary=f"Retrait {n}", starts_at=starts_at,
                         ends_at=starts_at + timedelta(hours=1), timezone="Europe/Paris")


def test_the_time_zone_block_is_built_once_and_still_covers_both_daylight_saving_changes() -> None:
    attachments.vtimezone_ical.cache_clear()
    # 09:00 UTC the day before the clocks go forward in Paris (the next such Sunday, derived from the clock)
    march = datetime.combine(next_clock_change(3) - timedelta(days=1), time(9), tzinfo=UTC)

    first = calendar_bytes([_event(1, march)], stamp=march)
    second = calendar_bytes([_event(2, march + timedelta(days=2))], stamp=march)

    info = attachments.vtimezone_ical.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    for document in (first, second):
        calendar = icalendar.Calendar.from_ical(document)
        (zone,) = calendar.walk("VTIMEZONE")
        assert str(zone["TZID"]) == "Europe/Paris"
        assert {"STANDARD", "DAYLIGHT"} <= {component.name for component in zone.subcomponents}
    (event,) = icalendar.Calendar.from_ical(second).walk("VEVENT")
    assert event.decoded("dtstart").hour == 11  # 09:00 UTC the Monday after is 11:00 in Paris (summer time)


def test_events_are_escaped_and_folded_so_a_calendar_reads_back_every_value() -> None:
    # Each character RFC 5545 escapes, line breaks of every kind, text long enough to fold, and multi-byte
    # characters placed so that a fold at 75 octets falls inside one of them.
    summary = "Retrait, commande; n° AMC\\42 — « café »\r\nsecond line\rthird\n\tindented" + "é" * 60
    description = "Code : X7K2; apportez un sac, merci.\n" + "日本" * 40
    starts = datetime(2026, 10, 24, 8, 30, tzinfo=UTC)
    event = CalendarEvent(uid="order-7@example.org", summary=summary, starts_at=starts,
                          ends_at=starts + timedelta(hours=1), timezone="Europe/Paris",
                          location="La Halle, 3 place;\x07 Bourg", description=description,
                          url="https://example.org/commandes/7?a=1,2;b", latitude=48.85, longitude=2.35)

    document = calendar_bytes([event], stamp=starts - timedelta(days=2))

    assert all(len(line) <= 75 for line in document.split(b"\r\n"))  # folded at 75 octets
    document.decode("utf-8")  # no character cut in two by a fold
    (parsed,) = icalendar.Calendar.from_ical(document).walk("VEVENT")
    assert str(parsed["SUMMARY"]) == summary.replace("\r\n", "\n").replace("\r", "\n")
    assert str(parsed["DESCRIPTION"]) == description
    assert str(parsed["LOCATION"]) == "La Halle, 3 place; Bourg"
    assert str(parsed["URL"]) == "https://example.org/commandes/7?a=1,2;b"
    assert str(parsed["UID"]) == "order-7@example.org"
    assert parsed.decoded("DTSTART") == starts and parsed.decoded("DTEND") == starts + timedelta(hours=1)
    assert parsed["DTSTART"].params["TZID"] == "Europe/Paris"
    assert parsed.decoded("DTSTART").hour == 10  # 08:30 UTC is 10:30 in Paris (summer time)
    assert parsed.decoded("DTSTAMP") == starts - timedelta(days=2)
    assert tuple(parsed.decoded("GEO")) == (48.85, 2.35)


def test_notice_templates_are_compiled_once(app: Any, monkeypatch: Any) -> None:
    loads: list[str] = []
    loader = app.jinja_env.loader
    original = loader.get_source
    monkeypatch.setattr(loader, "get_source", lambda env, name: loads.append(name) or original(env, name))
    names = [f"emails/order_confirmed{suffix}" for suffix in ("_subject.txt", ".txt", ".html")]

    with app.app_context():
        first = [app.jinja_env.get_template(name) for name in names]
        compiled = list(loads)
        second = [app.jinja_env.get_template(name) for name in names]

    assert all(a is b for a, b in zip(first, second, strict=True))  # the same compiled templates
    assert loads == compiled  # the second message compiled (and read) nothing
    assert app.jinja_env.auto_reload is False  # no file check per message either
