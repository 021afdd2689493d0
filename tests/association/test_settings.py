"""The association's settings: venue slots, holding, cut-off, opening hours and commission; each change audited."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import select

from shopapp.association.models import SettingChange
from shopapp.catalog.models import Shop
from shopapp.extensions import db
from shopapp.payments.models import CommissionRateChange
from shopapp.venue.models import OpeningHours, Venue
from tests.association.conftest import post

VENUE_FORM = {"slot_capacity": "15", "slot_minutes": "30", "holding_minutes": "1440", "booking_cutoff_minutes": "60"}


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

    default = post(client, "/association/reglages/commission", {"rate_bps": "800"}, "/association/reglages")
    override = post(client, "/association/boutiques/fromagerie-lucas/commission", {"commission-rate_bps": "500"},
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
