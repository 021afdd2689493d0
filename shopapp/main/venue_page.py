"""The venue's public page: where it is, when it opens, what happens there next, how pickup works; and
the schema.org LocalBusiness description search engines read from it (JSON-LD)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any
from urllib.parse import quote

from shopapp.animations.models import Animation
from shopapp.animations.queries import list_animations
from shopapp.core.clock import utcnow, venue_today
from shopapp.errors import NotFoundError
from shopapp.venue.models import Venue
from shopapp.venue.queries import Closure, current_venue, upcoming_closures

SCHEMA_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NEXT_ANIMATIONS = 5
CLOSURE_DAYS = 90


@dataclass(frozen=True)
class WeekdayHours:
    weekday: int  # ISO: 1 = Monday
    periods: list[tuple[time, time]]


@dataclass(frozen=True)
class VenuePage:
    venue: Venue
    week: list[WeekdayHours]
    closures: list[Closure]
    animations: list[Animation]


def venue_page(viewer_id: int | None) -> VenuePage:
    """What the venue's page shows. :raise NotFoundError: no venue yet (before `flask setup`)."""
    venue = current_venue()
    if venue is None:
        raise NotFoundError("Le lieu n'est pas encore configuré.")
    week = [WeekdayHours(day, [(h.opens, h.closes) for h in venue.opening_hours if h.weekday == day])
            for day in range(1, 8)]
    now = utcnow()
    animations = list_animations(now, now + timedelta(days=60), viewer_id)[:NEXT_ANIMATIONS]
    return VenuePage(venue, week, upcoming_closures(venue, venue_today(), CLOSURE_DAYS), animations)


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def structured_data(page: VenuePage, url: str) -> dict[str, Any]:
    """schema.org LocalBusiness: name, address, position, weekly hours and the coming closures."""
    venue = page.venue
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "LocalBusiness",
        "name": venue.name,
        "url": url,
        "address": {"@type": "PostalAddress", "streetAddress": venue.address, "addressCountry": "FR",
                    **({"addressLocality": venue.town} if venue.town else {})},
        "openingHoursSpecification": [
            {"@type": "OpeningHoursSpecification", "dayOfWeek": f"https://schema.org/{SCHEMA_DAYS[day.weekday - 1]}",
             "opens": _hhmm(opens), "closes": _hhmm(closes)}
            for day in page.week for opens, closes in day.periods
        ],
    }
    if venue.description:
        data["description"] = venue.description
    if venue.latitude is not None and venue.longitude is not None:
        data["geo"] = {"@type": "GeoCoordinates", "latitude": venue.latitude, "longitude": venue.longitude}
        data["hasMap"] = venue.map_url
    if page.closures:
        data["specialOpeningHoursSpecification"] = [
            {"@type": "OpeningHoursSpecification", "opens": "00:00", "closes": "00:00",
             "validFrom": closure.day.isoformat(), "validThrough": closure.day.isoformat()}
            for closure in page.closures
        ]
    return data


def map_search_url(venue: Venue) -> str:
    """An openstreetmap.org link: the venue's position when known, else a search for its address."""
    if venue.map_url:
        return venue.map_url
    query = ", ".join(part for part in (venue.address, venue.town) if part)
    return "https://www.openstreetmap.org/search?query=" + quote(query)
