"""Slot generation from weekly hours and exceptions, local times across daylight-saving changes."""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from shopapp.core.clock import as_utc
from shopapp.extensions import db
from shopapp.orders.models import PickupSlot
from shopapp.orders.slots import generate_slots
from shopapp.venue.holidays import easter_sunday, public_holidays
from shopapp.venue.models import ClosedDay, OpeningHours, Venue

PARIS = ZoneInfo("Europe/Paris")


def _venue(app, **extra):  # type: ignore[no-untyped-def]
    with app.app_context():
        venue = Venue(name="Halle", address="Place", slot_minutes=30, slot_capacity=8, **extra)
        venue.opening_hours = [OpeningHours(weekday=6, opens=time(9, 30), closes=time(11)),
                               OpeningHours(weekday=7, opens=time(17), closes=time(18))]
        db.session.add(venue)
        db.session.commit()
        return venue.id


def _local_starts(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        rows = db.session.scalars(select(PickupSlot).order_by(PickupSlot.starts_at))
        return [as_utc(s.starts_at).astimezone(PARIS).strftime("%Y-%m-%d %H:%M") for s in rows]


def test_slots_keep_local_time_across_the_autumn_clock_change(app):
    _venue(app, closed_on_public_holidays=False)

    with app.app_context():
        created = generate_slots(1, today=date(2026, 10, 24))  # Saturday; clocks go back on Sunday 25th
        db.session.commit()

    assert created == 5
    assert _local_starts(app) == ["2026-10-24 09:30", "2026-10-24 10:00", "2026-10-24 10:30",
                                  "2026-10-25 17:00", "2026-10-25 17:30"]
    with app.app_context():
        offsets = [PARIS.utcoffset(s.starts_at.replace(tzinfo=None)) for s in db.session.scalars(select(PickupSlot))]
        assert {o.total_seconds() for o in offsets} == {7200.0, 3600.0}


def test_generation_is_idempotent_and_keeps_bookings(app):
    _venue(app, closed_on_public_holidays=False)
    with app.app_context():
        generate_slots(2, today=date(2026, 11, 2))
        slot = db.session.scalars(select(PickupSlot).order_by(PickupSlot.starts_at)).first()
        slot.booked = 3
        db.session.commit()

        again = generate_slots(2, today=date(2026, 11, 2))
        db.session.commit()

        assert again == 0
        assert db.session.scalars(select(PickupSlot).order_by(PickupSlot.starts_at)).first().booked == 3
        assert len(db.session.scalars(select(PickupSlot)).all()) == 10


def test_closed_days_and_public_holidays_get_no_slots(app):
    venue_id = _venue(app, closed_on_public_holidays=True)
    with app.app_context():
        db.session.add(ClosedDay(venue_id=venue_id, day=date(2026, 11, 7), reason="Inventaire"))
        db.session.commit()
        # Sunday 1 Nov 2026 is Toussaint; Saturday 7 Nov is closed; Sunday 8 and Saturday 14 are open.
        generate_slots(2, today=date(2026, 11, 1))
        db.session.commit()

    assert _local_starts(app) == ["2026-11-08 17:00", "2026-11-08 17:30", "2026-11-14 09:30", "2026-11-14 10:00",
                                  "2026-11-14 10:30"]


def test_french_public_holidays():
    assert easter_sunday(2026) == date(2026, 4, 5)
    assert len(public_holidays(2026)) == 11
    assert date(2026, 5, 14) in public_holidays(2026)  # Ascension


def test_cli_generates_slots(app, runner):
    _venue(app, closed_on_public_holidays=False)

    result = runner.invoke(args=["venue", "slots", "--weeks", "2"])

    assert result.exit_code == 0, result.output
    assert "10 créneaux créés sur 2 semaines." in result.output
