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
    """An iCalendar (RFC 5545) document with one VEVENT per event and the VTIMEZONEs they use.

    The events are written here, line by line (escaped and folded as RFC 5545 says): a worker writes one
    invitation per notice, and building them as icalendar components cost a tenth of a notice. The
    VTIMEZONEs come from icalendar (`vtimezone_ical`), built once per process.
    """
    items = list(events)
    lines = [b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:" + PRODID.encode() + b"\r\nMETHOD:PUBLISH\r\n"]
    if items:
        # VTIMEZONE rules around the events only (the default covers 1970-2038: a long e-mail), from the
        # year before the first event to the year after the last one, before the first event.
        first = min(as_utc(item.starts_at) for item in items).year - 1
        last = max(as_utc(item.ends_at) for item in items).year + 1
        lines.extend(vtimezone_ical(tzid, first, last) for tzid in sorted({item.timezone for item in items}))
    dtstamp = as_utc(stamp).strftime("%Y%m%dT%H%M%SZ")
    for item in items:
        zone = ZoneInfo(item.timezone)
        lines.append(b"BEGIN:VEVENT\r\n")
        lines.append(_line("SUMMARY:" + _text(item.summary)))
        lines.append(_line(f"DTSTART;TZID={item.timezone}:{_local(item.starts_at, zone)}"))
        lines.append(_line(f"DTEND;TZID={item.timezone}:{_local(item.ends_at, zone)}"))
        lines.append(_line(f"DTSTAMP:{dtstamp}"))
        lines.append(_line("UID:" + _text(item.uid)))
        if item.description:
            lines.append(_line("DESCRIPTION:" + _text(item.description)))
        if item.latitude is not None and item.longitude is not None:
            lines.append(_line(f"GEO:{float(item.latitude)};{float(item.longitude)}"))
        if item.location:
            lines.append(_line("LOCATION:" + _text(item.location)))
        if item.url:
            lines.append(_line("URL:" + _uri(item.url)))
        lines.append(b"END:VEVENT\r\n")
    lines.append(b"END:VCALENDAR\r\n")
    return b"".join(lines)


def _text(value: str) -> str:
    """A TEXT value (RFC 5545, 3.3.11): backslash, semicolon and comma escaped, line breaks as \\n, other
    control characters (which TEXT does not allow) left out."""
    escaped = (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
               .replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n"))
    return escaped if escaped.isprintable() else escaped.translate(_CONTROLS)


# Every control character but the tab, which TEXT allows.
_CONTROLS = dict.fromkeys([*range(0x20), 0x7F], None) | {0x09: 0x09}


def _uri(value: str) -> str:
    """A URI value as is, with no control character (a line break would end the property)."""
    return value if value.isprintable() else value.translate(_CONTROLS).replace("\t", "")


def _local(moment: datetime, zone: ZoneInfo) -> str:
    """A wall-clock time in `zone`, the form a TZID-qualified DATE-TIME takes."""
    return as_utc(moment).astimezone(zone).strftime("%Y%m%dT%H%M%S")


def _line(content: str) -> bytes:
    """One content line, folded at 75 octets (RFC 5545, 3.1): each continuation begins with a space, and
    no UTF-8 character is cut in two."""
    data = content.encode()
    if len(data) <= 75:
        return data + b"\r\n"
    pieces = []
    start, width = 0, 75
    while start < len(data):
        end = min(start + width, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a continuation byte: back to the character's start
            end -= 1
        pieces.append(data[start:end])
        start, width = end, 74  # a continuation line: the space, then 74 octets
    return b"\r\n ".join(pieces) + b"\r\n"


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
