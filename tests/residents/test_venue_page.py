"""The venue's page: address with an OpenStreetMap link, hours, closures, next animations, pickup, JSON-LD."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta

import time_machine

from shopapp.core.clock import venue_today
from shopapp.extensions import db
from shopapp.venue.models import ClosedDay, OpeningHours, Venue
from tests.conftest import text_of


def _venue(app, *, closed_in_days=10):  # type: ignore[no-untyped-def]
    with app.app_context():
        venue = Venue(name="La Halle Commune", town="Saint-Aubin", address="3 place de la Halle, 45000 Saint-Aubin",
                      latitude=47.9, longitude=1.9, closed_on_public_holidays=True)
        venue.opening_hours = [OpeningHours(weekday=d, opens=time(9), closes=time(19)) for d in range(1, 7)]
        venue.opening_hours.append(OpeningHours(weekday=6, opens=time(20), closes=time(22)))
        closed = venue_today() + timedelta(days=closed_in_days)
        while closed.isoweekday() == 7:
            closed += timedelta(days=1)
        venue.closed_days = [ClosedDay(day=closed, reason="Inventaire")]
        db.session.add(venue)
        db.session.commit()
        return closed


def _json_ld(html):  # type: ignore[no-untyped-def]
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD"
    return json.loads(match.group(1))


def test_venue_page_shows_address_map_hours_and_closures(app, client):
    closed = _venue(app)

    response = client.get("/le-lieu")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(response)
    assert "3 place de la Halle, 45000 Saint-Aubin" in text
    assert 'href="https://www.openstreetmap.org/?mlat=47.9&amp;mlon=1.9#map=18/47.9/1.9"' in html
    assert "<iframe" not in html
    assert re.search(r"Lundi</th>\s*<td>09 h 00 – 19 h 00</td>", text)
    assert re.search(r"Samedi</th>\s*<td>09 h 00 – 19 h 00, 20 h 00 – 22 h 00</td>", text)
    assert re.search(r"Dimanche</th>\s*<td>Fermé</td>", text)
    assert "Inventaire" in text
    assert "Comment se passe le retrait" in text
    assert str(closed.day) in text


def test_venue_page_has_local_business_structured_data(app, client):
    closed = _venue(app)

    data = _json_ld(client.get("/le-lieu").get_data(as_text=True))

    assert data["@context"] == "https://schema.org" and data["@type"] == "LocalBusiness"
    assert data["name"] == "La Halle Commune"
    assert data["address"] == {"@type": "PostalAddress", "streetAddress": "3 place de la Halle, 45000 Saint-Aubin",
                               "addressLocality": "Saint-Aubin", "addressCountry": "FR"}
    assert data["geo"] == {"@type": "GeoCoordinates", "latitude": 47.9, "longitude": 1.9}
    assert data["url"].endswith("/le-lieu")
    hours = data["openingHoursSpecification"]
    assert len(hours) == 7
    assert hours[0] == {"@type": "OpeningHoursSpecification", "dayOfWeek": "https://schema.org/Monday",
                        "opens": "09:00", "closes": "19:00"}
    special = {spec["validFrom"] for spec in data["specialOpeningHoursSpecification"]}
    assert closed.isoformat() in special


def test_public_holidays_on_open_days_are_listed_as_closures(app, client):
    with app.app_context():
        today = venue_today()
    christmas = date(today.year + 1, 12, 25)
    while christmas.isoweekday() == 7:  # the venue is closed on Sundays anyway
        christmas = date(christmas.year + 1, 12, 25)
    with time_machine.travel(datetime.combine(christmas - timedelta(days=20), time(12), tzinfo=UTC)):
        _venue(app, closed_in_days=3)
        response = client.get("/le-lieu")

    special = _json_ld(response.get_data(as_text=True))["specialOpeningHoursSpecification"]
    listed = {spec["validFrom"] for spec in special}
    assert christmas.isoformat() in listed
    assert "Noël" in text_of(response)


def test_venue_page_lists_the_next_animations(app, client, world, make_user):
    from tests.animations.conftest import Animations

    animations = Animations(app, world, make_user)
    animations.make("Dégustation de comtés")
    animations.make("Atelier brouillon", publish=False)

    text = text_of(client.get("/le-lieu"))

    assert "Dégustation de comtés" in text and "Atelier brouillon" not in text


def test_venue_page_is_linked_from_every_page_and_404_before_setup(app, client):
    assert client.get("/le-lieu").status_code == 404
    _venue(app)

    html = client.get("/").get_data(as_text=True)

    assert html.count('href="/le-lieu"') == 2  # the menu and the footer


def test_shop_page_shows_its_opening_days_and_preparation_time(app, client, world):
    shop = world.shop("Boulangerie Aurore", preparation_minutes=90)
    with app.app_context():
        from shopapp.catalog.models import Shop

        db.session.get(Shop, shop).opening_days = [2, 3, 6]
        db.session.commit()

    text = text_of(client.get("/boutiques/shop-1"))

    assert "Jours de préparation : mardi, mercredi et samedi." in text
    assert "Préparation en 90 minutes environ." in text
