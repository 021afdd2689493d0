"""Exceptional closures and new opening hours: the pickup slots follow the venue's calendar.

A closed day loses its free slots; a slot that orders already point at is kept for them, withdrawn
from everyone else, and its open orders are listed for the association to warn; reopening offers the
day again. Every change is audited, bad input changes nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from shopapp.association import settings as venue_settings
from shopapp.association.models import SettingChange
from shopapp.core.clock import as_utc, utcnow
from shopapp.core.transaction import commit
from shopapp.errors import SlotFull
from shopapp.extensions import db
from shopapp.orders import slots
from shopapp.orders.models import Order, PickupSlot
from shopapp.venue.models import ClosedDay
from tests.association.conftest import post
from tests.conftest import text_of
from tests.orders.conftest import World
from tests.orders.services import call, checkout, fill_basket

PARIS = ZoneInfo("Europe/Paris")
SETTINGS = "/association/reglages"


@pytest.fixture
def town(app, make_user, admin):  # type: ignore[no-untyped-def]
    """The orders' world (open 8 h-20 h every day, one-hour slots) with two weeks of slots generated."""
    world = World(app, make_user)
    world.bread = world.product(world.shop("Boulangerie Aurore"), "Pain de campagne", 450, stock=20)
    world.resident = make_user(email="suzanne@example.org", name="Suzanne Morel")
    with app.app_context():
        slots.generate_slots(2)
        commit()
    return world


def _day(offset: int) -> date:
    return utcnow().astimezone(PARIS).date() + timedelta(days=offset)


def _slots_of(app, day: date) -> list[tuple[int, int, bool]]:  # type: ignore[no-untyped-def]
    """(id, booked, withdrawn) of the slots starting on this local day."""
    start = datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC)
    with app.app_context():
        rows = db.session.execute(
            select(PickupSlot.id, PickupSlot.booked, PickupSlot.withdrawn)
            .where(PickupSlot.starts_at >= start, PickupSlot.starts_at < start + timedelta(days=1))
            .order_by(PickupSlot.starts_at)
        ).all()
        return [tuple(r) for r in rows]


def _listed(app, day: date) -> list[int]:  # type: ignore[no-untyped-def]
    """Ids of the slots the checkout offers on this day."""
    start = datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC)
    with app.app_context():
        return [v.slot.id for v in slots.list_slots(start, start + timedelta(days=1), lead_minutes=0)]


def _order_on(app, town, day: date) -> tuple[int, int, str]:  # type: ignore[no-untyped-def]
    """An order of Suzanne's in the 10 h slot of `day`: (order id, slot id, order number)."""
    slot_id = next(
        sid for sid, _b, _w in _slots_of(app, day)
        if _local_hour(app, sid) == 10
    )
    fill_basket(app, town.resident, (town.bread, 1))
    order_id = checkout(app, town.resident, slot_id)
    with app.app_context():
        return order_id, slot_id, db.session.get(Order, order_id).number


def _local_hour(app, slot_id: int) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return as_utc(db.session.get(PickupSlot, slot_id).starts_at).astimezone(PARIS).hour


def test_closing_a_day_removes_its_free_slots_and_keeps_the_booked_one_for_its_order(app, client, town, admin):
    day, other_day = _day(3), _day(4)
    order_id, booked_slot, number = _order_on(app, town, day)
    assert len(_slots_of(app, day)) == 12
    other_before = _slots_of(app, other_day)

    response = post(client, f"{SETTINGS}/fermetures", {"day": day.isoformat(), "reason": "Inventaire"}, SETTINGS)
    assert response.status_code == 302
    page = text_of(client.get(SETTINGS))

    assert "11 supprimés, 1 retiré." in page
    assert number in page  # the order to warn
    assert "Inventaire" in page
    assert _slots_of(app, day) == [(booked_slot, 1, True)]
    assert _listed(app, day) == []
    assert _slots_of(app, other_day) == other_before
    with app.app_context():
        assert db.session.get(Order, order_id).pickup_slot_id == booked_slot  # the order keeps its slot
        assert [c.day for c in db.session.scalars(select(ClosedDay))] == [day]
        (change,) = db.session.scalars(select(SettingChange).where(SettingChange.key == "venue.closed_day"))
        assert (change.old_value, change.new_value, change.actor_id) == ("", f"{day.isoformat()} Inventaire", admin)

    # Nobody else can book the withdrawn slot, even by its id.
    error = call(app, slots.check_bookable, booked_slot, lead_minutes=0, now=utcnow())
    assert isinstance(error, SlotFull) and error.code == "slot_withdrawn"


def test_the_api_refuses_a_withdrawn_slot_with_a_clear_error(app, town):
    client = app.test_client()  # the till or app of another resident, no browser session
    day = _day(3)
    _order, booked_slot, _number = _order_on(app, town, day)
    call(app, venue_settings.close_day, town.venue_id, day, "", actor_id=town.resident)
    theo = town.make_user(email="theo@example.org", name="Théo")
    fill_basket(app, theo, (town.bread, 1))
    token = client.post("/api/v1/auth/token", json={"email": "theo@example.org", "password": "motdepasse1"})
    headers = {"Authorization": f"Bearer {token.json['token']}", "Idempotency-Key": "theo-1"}

    response = client.post("/api/v1/orders", json={"pickup_slot_id": booked_slot, "payment_method": "at_pickup"},
                           headers=headers)

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "slot_withdrawn"
    with app.app_context():
        assert db.session.scalar(select(Order.id).where(Order.user_id == theo)) is None
    assert _slots_of(app, day) == [(booked_slot, 1, True)]


def test_reopening_a_day_offers_its_slots_again(app, client, town, admin):
    day = _day(5)
    _order, booked_slot, _number = _order_on(app, town, day)
    post(client, f"{SETTINGS}/fermetures", {"day": day.isoformat()}, SETTINGS)
    with app.app_context():
        closure = db.session.scalar(select(ClosedDay.id))

    response = post(client, f"{SETTINGS}/fermetures/{closure}/rouvrir", {}, SETTINGS)

    assert response.status_code == 302
    assert "Créneaux de retrait mis à jour : 11 ajoutés, 1 proposé de nouveau." in text_of(client.get(SETTINGS))
    again = _slots_of(app, day)
    assert len(again) == 12 and all(not withdrawn for _id, _b, withdrawn in again)
    assert (booked_slot, 1, False) in again
    assert len(_listed(app, day)) == 12
    with app.app_context():
        assert db.session.scalar(select(ClosedDay.id)) is None


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("2020-01-02", "Choisissez un jour à venir."),
        ("pas une date", "N'est pas une date valide."),
        ("", "Ce champ est obligatoire."),
    ],
)
def test_a_bad_closing_day_is_refused_next_to_the_field_and_changes_nothing(app, client, town, admin, day, message):
    before = _slots_of(app, _day(3))

    response = post(client, f"{SETTINGS}/fermetures", {"day": day, "reason": "x"}, SETTINGS)

    assert response.status_code == 422
    body = text_of(response)
    assert f'<p class="error" id="day-error"><span aria-hidden="true">⚠ </span>{message}</p>' in body
    assert _slots_of(app, _day(3)) == before
    with app.app_context():
        assert db.session.scalar(select(ClosedDay.id)) is None
        assert db.session.scalar(select(SettingChange.id)) is None


def test_closing_the_same_day_twice_is_refused(app, client, town, admin):
    day = _day(2)
    post(client, f"{SETTINGS}/fermetures", {"day": day.isoformat()}, SETTINGS)

    response = post(client, f"{SETTINGS}/fermetures", {"day": day.isoformat()}, SETTINGS)

    assert response.status_code == 422
    assert "Déjà fermé." in text_of(response)
    with app.app_context():
        assert len(db.session.scalars(select(ClosedDay)).all()) == 1


def test_reopening_an_unknown_closure_is_a_404(client, town, admin):
    assert post(client, f"{SETTINGS}/fermetures/999999/rouvrir", {}, SETTINGS).status_code == 404


def test_new_opening_hours_remove_the_slots_outside_them(app, client, town, admin):
    day = _day(3)
    _order, booked_slot, number = _order_on(app, town, day)  # at 10 h
    form = {f"hours-{d - 1}-{k}": v for d in range(1, 8) for k, v in
            (("weekday", str(d)), ("opens", "14:00"), ("closes", "18:00"))}

    response = post(client, f"{SETTINGS}/horaires", form, SETTINGS)

    assert response.status_code == 302
    assert number in text_of(client.get(SETTINGS))
    rows = _slots_of(app, day)
    hours = {sid: _local_hour(app, sid) for sid, _b, _w in rows}
    assert sorted(hours.values()) == [10, 14, 15, 16, 17]
    assert (booked_slot, 1, True) in rows
    assert sorted(_local_hour(app, sid) for sid in _listed(app, day)) == [14, 15, 16, 17]


def test_a_new_slot_length_recuts_the_future_free_slots(app, client, town, admin):
    day = _day(4)
    assert len(_slots_of(app, day)) == 12  # one-hour slots, 8 h-20 h
    form = {"slot_capacity": "10", "slot_minutes": "30", "holding_amount": "2", "holding_unit": "hours",
            "booking_cutoff_minutes": "60"}

    response = post(client, f"{SETTINGS}/lieu", form, SETTINGS)

    assert response.status_code == 302
    assert "supprimés" in text_of(client.get(SETTINGS))
    assert len(_slots_of(app, day)) == 24
    assert len(_listed(app, day)) == 24
    with app.app_context():
        lengths = {as_utc(s.ends_at) - as_utc(s.starts_at) for s in db.session.scalars(
            select(PickupSlot).where(PickupSlot.starts_at > utcnow() + timedelta(hours=1)))}
    assert lengths == {timedelta(minutes=30)}


def test_the_settings_page_lists_the_orders_to_reschedule_until_they_move(app, client, town, admin):
    from shopapp.orders import fulfilment

    day = _day(3)
    order_id, _slot, number = _order_on(app, town, day)
    assert "Commandes à reprogrammer" not in text_of(client.get(SETTINGS))
    post(client, f"{SETTINGS}/fermetures", {"day": day.isoformat()}, SETTINGS)

    page = text_of(client.get(SETTINGS))
    assert "Commandes à reprogrammer" in page
    assert re.search(rf"<strong>{number}</strong> · \w+ \d+ \w+, 10 h 00 · Confirmée", page)

    other_day = _slots_of(app, _day(4))[0][0]
    assert call(app, fulfilment.change_pickup_slot, order_id, other_day, owner_id=town.resident) == order_id
    page = text_of(client.get(SETTINGS))
    assert "Commandes à reprogrammer" not in page and number not in page
