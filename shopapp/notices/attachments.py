"""Attachments notices carry: an iCalendar invitation (.ics) and a QR code of a pickup code (PNG).

Calendar times are written as local wall-clock times with their TZID (and the matching VTIMEZONE
built from zoneinfo), so a calendar shows 10:00 on a slot at 10:00 in Paris on either side of a
daylight-saving change.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import icalendar
import segno

from shopapp.core.clock import as_utc
from shopapp.core.mail import Attachment

PRODID = "-//Adopte mon commercant//notices//FR"


@dataclass(frozen=True)
class CalendarEvent:
    """One event of an invitation. Times are aware (or naive UTC, as SQLite returns them)."""

    uid: str
    summary: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    location: str = ""
    description: str = ""
    url: str = ""
    latitude: float | None = None
    longitude: float | None = None


def calendar_bytes(events: Iterable[CalendarEvent], *, stamp: datetime) -> bytes:
    """An iCalendar (RFC 5545) document with one VEVENT per event and the VTIMEZONEs they use."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    items = list(events)
    for item in items:
        zone = ZoneInfo(item.timezone)
        event = icalendar.Event()
        event.add("uid", item.uid)
        event.add("dtstamp", as_utc(stamp))
        event.add("summary", item.summary)
        event.add("dtstart", as_utc(item.starts_at).astimezone(zone))
        event.add("dtend", as_utc(item.ends_at).astimezone(zone))
        if item.location:
            event.add("location", item.location)
        if item.description:
            event.add("description", item.description)
        if item.url:
            event.add("url", item.url)
        if item.latitude is not None and item.longitude is not None:
            event.add("geo", (item.latitude, item.longitude))
        calendar.add_component(event)
    document = bytes(calendar.to_ical())
    if not items:
        return document
    # VTIMEZONE rules around the events only (the default covers 1970-2038: a long e-mail), from the year
    # before the first event to the year after the last one, placed before the first event. Each is
    # serialised once per process (every invitation of a worker carries the same one).
    first = min(as_utc(item.starts_at) for item in items).year - 1
    last = max(as_utc(item.ends_at) for item in items).year + 1
    zones = b"".join(vtimezone_ical(tzid, first, last) for tzid in sorted({item.timezone for item in items}))
    head, event_marker, rest = document.partition(b"BEGIN:VEVENT\r\n")
    return head + zones + event_marker + rest


@functools.lru_cache(maxsize=32)
def vtimezone_ical(tzid: str, first_year: int, last_year: int) -> bytes:
    """The VTIMEZONE of a zone over whole years, as iCalendar bytes, built once per process (building it
    walks the zone's transitions)."""
    return bytes(icalendar.Timezone.from_tzid(tzid, first_date=date(first_year, 1, 1),
                                              last_date=date(last_year, 12, 31)).to_ical())


def calendar_attachment(events: Iterable[CalendarEvent], *, stamp: datetime,
                        filename: str = "invitation.ics") -> Attachment:
    return Attachment(filename=filename, content=calendar_bytes(events, stamp=stamp), maintype="text",
                      subtype="calendar")


def qr_png(text: str) -> bytes:
    """The QR code of `text` (a pickup code, read by the desk's scanner) as PNG bytes."""
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=8, border=2, dark="#1f2a24")
    return buffer.getvalue()


def qr_data_uri(text: str) -> str:
    """The same QR code as a `data:image/png;base64,…` URI, for the HTML part of an e-mail."""
    return str(segno.make(text, error="m", micro=False).png_data_uri(scale=8, border=2, dark="#1f2a24"))


def qr_attachment(text: str, filename: str = "code-retrait.png") -> Attachment:
    return Attachment(filename=filename, content=qr_png(text), maintype="image", subtype="png")
