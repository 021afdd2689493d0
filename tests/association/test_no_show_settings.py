"""The association's no-show policy on its settings page: saved and audited, French errors, admins only."""

from __future__ import annotations

import re
from datetime import time

import pytest
from sqlalchemy import select

from shopapp.association.models import SettingChange
from shopapp.extensions import db
from shopapp.venue.models import OpeningHours, Venue
from tests.association.conftest import post

PAGE, ACTION = "/association/reglages", "/association/reglages/non-retraits"


@pytest.fixture
def venue(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        place = Venue(name="La Halle Commune", address="3 place de la Halle", slot_minutes=30, slot_capacity=12)
        place.opening_hours = [OpeningHours(weekday=3, opens=time(9), closes=time(19))]
        db.session.add(place)
        db.session.commit()
        return place.id


def _policy(app, venue_id: int) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    with app.app_context():
        place = db.session.get(Venue, venue_id)
        return place.no_show_policy, place.no_show_fee_cents


def _changes(app) -> list[tuple]:  # type: ignore[no-untyped-def]
    with app.app_context():
        rows = db.session.execute(select(SettingChange.key, SettingChange.old_value, SettingChange.new_value)
                                  .order_by(SettingChange.id)).all()
        return [tuple(r) for r in rows]


def test_full_refund_is_the_default_and_the_page_explains_it(app, client, admin, venue):
    page = client.get(PAGE)

    assert page.status_code == 200 and _policy(app, venue) == ("refund", 0)
    html = page.get_data(as_text=True)
    assert "Commandes payées en ligne et non retirées" in html
    (checked,) = [tag for tag in re.findall(r"<input[^>]*>", html) if 'name="policy"' in tag and "checked" in tag]
    assert 'value="refund"' in checked


def test_a_fee_in_euros_is_saved_in_cents_and_audited(app, client, admin, venue):
    response = post(client, ACTION, {"policy": "fee", "fee": "2,50 €"}, PAGE)

    assert response.status_code == 302
    assert _policy(app, venue) == ("fee", 250)
    assert _changes(app) == [("venue.no_show_policy", "refund", "fee"), ("venue.no_show_fee_cents", "0", "250")]
    assert "2,50" in client.get(PAGE).get_data(as_text=True)

    back = post(client, ACTION, {"policy": "refund", "fee": "2,50"}, PAGE)

    assert back.status_code == 302
    assert _policy(app, venue) == ("refund", 0)
    assert _changes(app)[2:] == [("venue.no_show_policy", "fee", "refund"), ("venue.no_show_fee_cents", "250", "0")]


@pytest.mark.parametrize(("data", "message"), [
    ({"policy": "fee", "fee": ""}, "Indiquez le montant des frais."),
    ({"policy": "fee", "fee": "deux euros"}, "Indiquez un montant en euros, par exemple 2,50."),
    ({"policy": "fee", "fee": "2,505"}, "Deux décimales au plus, par exemple 2,50."),
    ({"policy": "fee", "fee": "0"}, "Entre 0,01 et 1 000 €."),
    ({"policy": "fee", "fee": "1000,01"}, "Entre 0,01 et 1 000 €."),
    ({"policy": "tout garder", "fee": ""}, "Choisissez ce qui est fait de l&#39;argent."),
    ({"fee": "2"}, "Choisissez ce qui est fait de l&#39;argent."),
])
def test_bad_input_changes_nothing_and_says_why_in_french(app, client, admin, venue, data, message):
    response = post(client, ACTION, data, PAGE)

    assert response.status_code == 422
    assert _policy(app, venue) == ("refund", 0) and _changes(app) == []
    assert message in response.get_data(as_text=True)


def test_only_admins_set_the_policy(app, client, make_user, auth, venue):
    make_user(email="desk@example.org", roles=("venue",))
    auth.login("desk@example.org")

    response = post(client, ACTION, {"policy": "fee", "fee": "5"})

    assert response.status_code == 403
    assert _policy(app, venue) == ("refund", 0)
