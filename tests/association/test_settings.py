"""The association's settings: venue slots, holding, cut-off, opening hours and commission; each change audited."""

from __future__ import annotations

import re
from datetime import time

import pytest
from sqlalchemy import select

from shopapp.association.models import SettingChange
from shopapp.catalog.models import Shop
from shopapp.extensions import db
from shopapp.payments import commission
from shopapp.payments.models import CommissionRateChange
from shopapp.venue.models import OpeningHours, Venue
from tests.association.conftest import post

VENUE_FORM = {"slot_capacity": "15", "slot_minutes": "30", "holding_amount": "1", "holding_unit": "days",
              "booking_cutoff_minutes": "60"}


@pytest.fixture
def venue(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        place = Venue(name="La Halle Commune", address="3 place de la Halle", slot_minutes=30, slot_capacity=12,
                      holding_minutes=2880, booking_cutoff_minutes=60)
        place.opening_hours = [OpeningHours(weekday=3, opens=time(9), closes=time(19))]
        db.session.add(place)
        db.session.commit()
        return place.id


def _changes(app) -> list[tuple]:  # type: ignore[no-untyped-def]
    with app.app_context():
        rows = db.session.execute(select(SettingChange.key, SettingChange.old_value, SettingChange.new_value,
                                         SettingChange.actor_id).order_by(SettingChange.id)).all()
        return [tuple(r) for r in rows]


def test_venue_settings_are_written_and_each_change_audited(app, client, admin, venue):
    response = post(client, "/association/reglages/lieu", VENUE_FORM, "/association/reglages")

    assert response.status_code == 302
    with app.app_context():
        place = db.session.get(Venue, venue)
        assert (place.slot_capacity, place.slot_minutes, place.holding_minutes, place.booking_cutoff_minutes) == (
            15, 30, 1440, 60)
    assert _changes(app) == [("venue.slot_capacity", "12", "15", admin),
                             ("venue.holding_minutes", "2880", "1440", admin)]


def test_out_of_range_settings_change_nothing(app, client, admin, venue):
    response = post(client, "/association/reglages/lieu", {**VENUE_FORM, "slot_capacity": "0"}, "/association/reglages")

    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(Venue, venue).slot_capacity == 12
    assert _changes(app) == []


def test_opening_hours_are_replaced_and_audited(app, client, admin, venue):
    form = {"hours-0-weekday": "2", "hours-0-opens": "08:00", "hours-0-closes": "12:30",
            "hours-1-weekday": "2", "hours-1-opens": "14:00", "hours-1-closes": "19:00",
            "hours-2-weekday": "0", "hours-2-opens": "", "hours-2-closes": ""}

    response = post(client, "/association/reglages/horaires", form, "/association/reglages")

    assert response.status_code == 302
    with app.app_context():
        rows = db.session.execute(select(OpeningHours.weekday, OpeningHours.opens, OpeningHours.closes)
                                  .order_by(OpeningHours.opens)).all()
        assert [tuple(r) for r in rows] == [(2, time(8), time(12, 30)), (2, time(14), time(19))]
    assert _changes(app) == [("venue.opening_hours", "3 09:00-19:00", "2 08:00-12:30; 2 14:00-19:00", admin)]


def test_overlapping_opening_hours_change_nothing(app, client, admin, venue):
    form = {"hours-0-weekday": "2", "hours-0-opens": "08:00", "hours-0-closes": "12:30",
            "hours-1-weekday": "2", "hours-1-opens": "12:00", "hours-1-closes": "19:00"}

    response = post(client, "/association/reglages/horaires", form, "/association/reglages")

    assert response.status_code == 422
    with app.app_context():
        assert [(h.weekday, h.opens) for h in db.session.scalars(select(OpeningHours))] == [(3, time(9))]
    assert _changes(app) == []


def test_commission_default_and_shop_override_are_audited(app, client, admin):
    with app.app_context():
        db.session.add(Shop(slug="fromagerie-lucas", name="Fromagerie Lucas", trade="Fromagerie", status="approved"))
        db.session.commit()

    default = post(client, "/association/reglages/commission", {"rate_percent": "8"}, "/association/reglages")
    override = post(client, "/association/boutiques/fromagerie-lucas/commission", {"commission-rate_percent": "5"},
                    "/association/reglages")

    assert (default.status_code, override.status_code) == (302, 302)
    with app.app_context():
        from shopapp.payments.commission import platform_rate_bps

        shop = db.session.scalar(select(Shop))
        assert (platform_rate_bps(), shop.commission_rate_bps) == (800, 500)
        rows = db.session.execute(select(CommissionRateChange.shop_id, CommissionRateChange.old_rate_bps,
                                         CommissionRateChange.new_rate_bps, CommissionRateChange.changed_by_id)
                                  .order_by(CommissionRateChange.id)).all()
        assert [tuple(r) for r in rows] == [(None, 1000, 800, admin), (shop.id, None, 500, admin)]


@pytest.mark.parametrize(("typed", "bps"), [("8,5", 850), ("8.5", 850), ("8,5 %", 850), (" 12 ", 1200),
                                            ("0", 0), ("100", 10000), ("7,25%", 725)])
def test_commission_is_typed_in_percent_with_a_comma_or_a_dot(app, client, admin, typed, bps):
    response = post(client, "/association/reglages/commission", {"rate_percent": typed}, "/association/reglages")

    assert response.status_code == 302
    with app.app_context():
        assert commission.platform_rate_bps() == bps


NOT_A_PERCENTAGE = "Indiquez un pourcentage"


@pytest.mark.parametrize(("typed", "message"), [("huit", NOT_A_PERCENTAGE), ("8,5,1", NOT_A_PERCENTAGE),
                                                ("-3", NOT_A_PERCENTAGE), ("101", "Entre 0 et 100"),
                                                ("8,125", "Deux décimales au plus"), ("", "Ce champ est obligatoire")])
def test_a_commission_that_is_no_percentage_is_refused_in_french(app, client, admin, typed, message):
    response = post(client, "/association/reglages/commission", {"rate_percent": typed}, "/association/reglages")

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert commission.platform_rate_bps() == app.config["PLATFORM_COMMISSION_BPS"]
        assert db.session.scalar(select(CommissionRateChange.id)) is None


def test_rates_are_shown_in_percent_and_an_empty_shop_rate_falls_back_to_the_default(app, client, admin):
    with app.app_context():
        db.session.add(Shop(slug="fromagerie-lucas", name="Fromagerie Lucas", trade="Fromagerie", status="approved"))
        db.session.commit()
    post(client, "/association/reglages/commission", {"rate_percent": "8,5"}, "/association/reglages")
    post(client, "/association/boutiques/fromagerie-lucas/commission", {"commission-rate_percent": "6,25"},
         "/association/reglages")

    settings_page = client.get("/association/reglages").get_data(as_text=True)
    shop_page = client.get("/association/boutiques/fromagerie-lucas").get_data(as_text=True)

    assert 'value="8,5"' in settings_page and "6,25\u00a0%" in settings_page and "8,5\u00a0%" in shop_page
    assert 'value="6,25"' in shop_page and "points de base" not in settings_page + shop_page
    cleared = post(client, "/association/boutiques/fromagerie-lucas/commission", {"commission-rate_percent": ""},
                   "/association/reglages")
    assert cleared.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Shop.commission_rate_bps)) is None


@pytest.mark.parametrize(("amount", "unit", "minutes"), [("2", "days", 2880), ("36", "hours", 2160),
                                                         ("1,5", "hours", 90), ("0", "hours", 0),
                                                         ("14", "days", 20160), ("0.5", "days", 720)])
def test_holding_time_is_typed_in_hours_or_days(app, client, admin, venue, amount, unit, minutes):
    form = {**VENUE_FORM, "holding_amount": amount, "holding_unit": unit}

    response = post(client, "/association/reglages/lieu", form, "/association/reglages")

    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Venue, venue).holding_minutes == minutes


@pytest.mark.parametrize(("amount", "unit"), [("15", "days"), ("337", "hours"), ("deux", "days"), ("", "days"),
                                              ("2", "weeks")])
def test_a_holding_time_out_of_bounds_or_unreadable_changes_nothing(app, client, admin, venue, amount, unit):
    form = {**VENUE_FORM, "holding_amount": amount, "holding_unit": unit}

    response = post(client, "/association/reglages/lieu", form, "/association/reglages")

    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(Venue, venue).holding_minutes == 2880
    assert _changes(app) == []


def test_the_settings_page_shows_the_holding_time_in_days_or_hours(app, client, admin, venue):
    page = client.get("/association/reglages").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="holding_amount"[^>]*value="2"', page)
    assert '<option selected value="days">' in page

    post(client, "/association/reglages/lieu", {**VENUE_FORM, "holding_amount": "1,5", "holding_unit": "hours"},
         "/association/reglages")
    page = client.get("/association/reglages").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="holding_amount"[^>]*value="1,5"', page)
    assert '<option selected value="hours">' in page
