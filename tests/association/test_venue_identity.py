"""The venue belongs to the town: the association sets its name, town, address, map position and how
pickup works, and pages, e-mails and calendars read them from there."""

from __future__ import annotations

import icalendar
import pytest
from sqlalchemy import select

from shopapp.accounts.services import send_welcome_email
from shopapp.association.models import SettingChange
from shopapp.extensions import db
from shopapp.venue.models import Venue
from tests.association.conftest import post
from tests.conftest import text_of

IDENTITY = {"name": "Le Grenier", "town": "Montargis", "address": "2 rue de la Poterie, 45200 Montargis",
            "latitude": "47.9975", "longitude": "2.7331",
            "description": "Entrez par la cour, le comptoir est au fond à gauche."}


@pytest.fixture
def venue(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        place = Venue(name="La Halle Commune", address="3 place de la Halle")
        db.session.add(place)
        db.session.commit()
        return place.id


def test_the_venue_set_by_the_association_shows_in_pages_e_mails_and_calendars(app, client, admin, venue,
                                                                                make_user, mail_outbox):
    saved = post(client, "/association/reglages/identite", IDENTITY, "/association/reglages")
    resident = make_user(email="ana@example.org", name="Ana")
    with app.app_context():
        send_welcome_email(resident)
    home = text_of(client.get("/"))
    agenda = icalendar.Calendar.from_ical(client.get("/api/v1/animations.ics").data)

    assert saved.status_code == 302
    with app.app_context():
        place = db.session.get(Venue, venue)
        assert (place.name, place.town, place.address, place.latitude, place.longitude) == (
            "Le Grenier", "Montargis", "2 rue de la Poterie, 45200 Montargis", 47.9975, 2.7331)
        assert place.description == IDENTITY["description"]
        audited = db.session.scalars(select(SettingChange.key).order_by(SettingChange.id)).all()
        assert audited == ["venue.name", "venue.town", "venue.address", "venue.latitude", "venue.longitude",
                           "venue.description"]
    assert "retirés à Le Grenier" in home and "La Halle Commune" not in home
    assert "<strong>Le Grenier</strong>, 2 rue de la Poterie, 45200 Montargis" in home
    assert IDENTITY["description"] in home
    (welcome,) = mail_outbox()
    assert "retirez tout à Le Grenier." in welcome.get_body(("plain",)).get_content()
    assert str(agenda["x-wr-calname"]) == "Le Grenier — agenda"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"name": " "}, "name", "Ce champ est obligatoire."),
    ({"longitude": ""}, "longitude", "Donnez la latitude et la longitude."),
    ({"latitude": "91"}, "latitude", "Entre -90 et 90."),
])
def test_a_venue_without_a_name_or_with_half_a_position_is_refused_and_nothing_changes(
        app, client, admin, venue, changes, field, message):
    refused = post(client, "/association/reglages/identite", {**IDENTITY, **changes}, "/association/reglages")

    assert refused.status_code == 422
    assert message in text_of(refused) and f'id="{field}"' in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Venue, venue).name == "La Halle Commune"
        assert db.session.scalars(select(SettingChange)).all() == []
