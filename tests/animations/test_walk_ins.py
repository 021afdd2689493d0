"""Walk-ins: the desk lets in people who came without an order or booking, never beyond capacity."""

from __future__ import annotations

import pytest

from shopapp.animations import registrations
from shopapp.animations.errors import AnimationClosed, AnimationFull
from shopapp.errors import ValidationFailed
from tests.animations.conftest import call
from tests.conftest import csrf_token, text_of
from tests.support.races import at_once


def _token(client, email):  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/auth/token", json={"email": email, "password": "motdepasse1"})
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_walk_ins_take_seats_within_capacity_and_are_refused_beyond(app, animations, make_user, no_dispatch):
    animation = animations.make(capacity=5)
    ana = make_user(email="ana@example.org")
    call(app, registrations.register, animation, ana, 2)

    first = call(app, registrations.add_walk_in, animation, 2, name="Famille Martin", actor_id=animations.staff_id)
    too_many = call(app, registrations.add_walk_in, animation, 2, actor_id=animations.staff_id)
    last = call(app, registrations.add_walk_in, animation, 1, actor_id=animations.staff_id)
    beyond = call(app, registrations.add_walk_in, animation, 1, actor_id=animations.staff_id)

    assert isinstance(first, int) and isinstance(last, int)
    assert isinstance(too_many, AnimationFull) and too_many.status == 409
    assert "1 sur 5" in too_many.message
    assert isinstance(beyond, AnimationFull)
    assert animations.seats_taken(animation) == 5


def test_walk_ins_need_a_published_animation_and_a_sane_count(app, animations):
    draft = animations.make("Brouillon", publish=False)
    open_one = animations.make(capacity=100)

    assert isinstance(call(app, registrations.add_walk_in, draft, 1, actor_id=animations.staff_id), AnimationClosed)
    assert isinstance(call(app, registrations.add_walk_in, open_one, 0, actor_id=animations.staff_id),
                      ValidationFailed)
    assert isinstance(call(app, registrations.add_walk_in, open_one, 51, actor_id=animations.staff_id),
                      ValidationFailed)
    assert isinstance(call(app, registrations.add_walk_in, open_one, 1, name="Léa\x00", actor_id=animations.staff_id),
                      ValidationFailed)
    assert animations.seats_taken(draft) == 0 and animations.seats_taken(open_one) == 0


def test_two_desks_racing_for_the_last_seats_never_exceed_capacity(app, animations, no_dispatch):
    # Real concurrent transactions: the conditional UPDATE decides (PostgreSQL row lock, SQLite's
    # BEGIN IMMEDIATE). 8 desks each let in 2 people for the 5 seats.
    animation = animations.make(capacity=5)
    staff = animations.staff_id

    outcomes = at_once(app, [lambda: registrations.add_walk_in(animation, 2, actor_id=staff) for _ in range(8)])

    assert outcomes == ["animation_full"] * 6 + ["ok"] * 2
    assert animations.seats_taken(animation) == 4


def test_the_api_records_walk_ins_for_venue_staff_only(app, client, animations, make_user):
    animation = animations.make(capacity=3)
    make_user(email="ana@example.org")
    venue = _token(client, "venue@example.org")
    resident = _token(client, "ana@example.org")
    url = f"/api/v1/venue/animations/{animation}/walk-ins"

    created = client.post(url, json={"seats": 2, "name": "Léa"}, headers=venue)
    full = client.post(url, json={"seats": 2}, headers=venue)
    invalid = client.post(url, json={"seats": 0}, headers=venue)
    forbidden = client.post(url, json={"seats": 1}, headers=resident)
    anonymous = client.post(url, json={"seats": 1})
    unknown = client.post("/api/v1/venue/animations/999999/walk-ins", json={"seats": 1}, headers=venue)

    assert created.status_code == 201
    assert created.json["seats"] == 2 and created.json["name"] == "Léa" and created.json["seats_left"] == 1
    assert full.status_code == 409 and full.json["error"]["code"] == "animation_full"
    assert invalid.status_code == 422
    assert forbidden.status_code == 403 and anonymous.status_code == 401
    assert unknown.status_code == 404
    assert animations.seats_taken(animation) == 2


def test_the_venue_page_lets_people_in_and_shows_a_french_error_when_full(app, client, auth, animations):
    animation = animations.make(capacity=2)
    animations.staff_id  # noqa: B018  (creates the venue account)
    auth.login("venue@example.org")
    page = f"/lieu/animations/{animation}"
    url = f"{page}/sans-inscription"

    ok = client.post(url, data={"csrf_token": csrf_token(client, page), "seats": "2", "name": "Famille Roux"})
    full = client.post(url, data={"csrf_token": csrf_token(client, page), "seats": "1"})
    bad = client.post(url, data={"csrf_token": csrf_token(client, page), "seats": "zéro"})
    shown = client.get(page)

    assert ok.status_code == 302
    assert full.status_code == 409 and "Plus assez de places" in text_of(full)
    assert bad.status_code == 422
    assert "Famille Roux" in text_of(shown) and "2 personnes entrées" in text_of(shown)
    assert animations.seats_taken(animation) == 2


def test_residents_cannot_record_walk_ins_on_the_page(app, client, auth, animations, make_user):
    animation = animations.make(capacity=2)
    make_user(email="ana@example.org")
    auth.login("ana@example.org")

    response = client.post(f"/lieu/animations/{animation}/sans-inscription",
                           data={"csrf_token": csrf_token(client, "/compte"), "seats": "1"})

    assert response.status_code == 403
    assert animations.seats_taken(animation) == 0


def _seed_week(app, make_user):  # type: ignore[no-untyped-def]
    """The week of Monday 10 March 2025 (Paris): one tasting on Wednesday 12 March, 10:00–11:00 UTC."""
    from datetime import UTC, datetime

    from shopapp.animations.models import Animation, Registration, WalkIn
    from shopapp.extensions import db
    from shopapp.orders.models import Order, PickupSlot
    from shopapp.venue.models import Venue

    def utc(*args: int) -> datetime:
        return datetime(*args, tzinfo=UTC)

    ana, ben, cleo = (make_user(email=f"{n}@example.org") for n in ("ana", "ben", "cleo"))
    with app.app_context():
        venue = Venue(name="La Halle Commune", address="3 place de la Halle")
        db.session.add(venue)
        db.session.flush()
        slot = PickupSlot(venue_id=venue.id, starts_at=utc(2025, 3, 12, 10), ends_at=utc(2025, 3, 12, 11),
                          capacity=10)
        db.session.add(slot)
        db.session.flush()
        tasting = Animation(title="Dégustation", kind="tasting", starts_at=utc(2025, 3, 12, 10),
                            ends_at=utc(2025, 3, 12, 11), capacity=20, seats_taken=11, status="published")
        db.session.add(tasting)
        db.session.flush()
        checked = utc(2025, 3, 12, 10, 5)
        db.session.add_all([
            Registration(animation_id=tasting.id, user_id=ana, seats=2, status="registered", checked_in_at=checked),
            Registration(animation_id=tasting.id, user_id=ben, seats=1, status="registered", checked_in_at=checked),
            Registration(animation_id=tasting.id, user_id=cleo, seats=3, status="registered"),
            WalkIn(animation_id=tasting.id, seats=4, name="Famille Roux", created_at=checked),
            WalkIn(animation_id=tasting.id, seats=1, created_at=checked),
        ])

        def order(n: int, user_id: int, placed: datetime, status: str) -> None:
            db.session.add(Order(number=f"AMC-9{n:04d}", pickup_code=f"W{n:05d}", user_id=user_id,
                                 pickup_slot_id=slot.id, status=status, payment_method="at_pickup",
                                 payment_status="due", total_cents=1000, created_at=placed))

        order(1, ana, utc(2025, 3, 11, 9), "collected")   # collected at the pickup where she was checked in
        order(2, ana, utc(2025, 3, 14, 9), "confirmed")   # placed after the tasting: Ana counts as a buyer
        order(3, ben, utc(2025, 3, 12, 10, 30), "confirmed")  # during the tasting, not after it
        order(4, ben, utc(2025, 3, 13, 9), "cancelled")   # cancelled: not a purchase
        order(5, cleo, utc(2025, 3, 14, 9), "confirmed")  # Cléo never came
        db.session.commit()


def test_the_week_report_counts_walk_ins_and_residents_who_ordered_after(app, make_user):
    from datetime import date

    from shopapp.animations import dashboard

    _seed_week(app, make_user)
    with app.app_context():
        report = dashboard.week_report(date(2025, 3, 10))

    [row] = report.animations
    # Registered 2 + 1 + 3 seats; present 2 + 1 checked in and 4 + 1 walk-ins.
    assert (row.capacity, row.registered_seats, row.attended_seats, row.walk_in_seats, row.present) == (20, 6, 3, 5, 8)
    assert report.attendees == 8
    # Ana and Ben were checked in; only Ana ordered after the tasting ended (Ben: during it, then cancelled).
    assert (report.attendee_accounts, report.attendees_who_bought) == (2, 1)


def test_the_week_dashboard_page_shows_the_figures(app, client, auth, make_user):
    _seed_week(app, make_user)
    make_user(email="venue@example.org", roles=("venue",))
    auth.login("venue@example.org")

    page = text_of(client.get("/lieu/tableau-de-bord?semaine=2025-03-10"))

    assert '<strong id="attendees">8</strong>' in page
    assert '<strong id="attendee-accounts">2</strong>' in page and '<strong id="attendees-bought">1</strong>' in page
    assert "<td>Dégustation</td><td>20</td><td>6</td><td>3</td><td>5</td><td>8</td>" in page


def test_the_occupancy_report_sets_slots_and_animations_against_capacity(app, make_user):
    from datetime import date

    from shopapp.animations import dashboard

    _seed_week(app, make_user)
    with app.app_context():
        report = dashboard.occupancy_report(date(2025, 3, 12))  # any day: its week
        empty = dashboard.occupancy_report(date(2025, 3, 17))

    # The slot of 12 March, 11:00 in Paris: 5 orders, one cancelled → 4 of 10 (40 %).
    [slot] = report.slots
    assert (slot.starts_at.strftime("%d/%m %H:%M"), slot.orders, slot.capacity, slot.percent) == \
        ("12/03 11:00", 4, 10, 40)
    # The tasting: 2 + 1 + 3 registered seats and 4 + 1 walk-ins → 11 of 20 (55 %).
    [tasting] = report.animations
    assert (tasting.registered_seats, tasting.walk_in_seats, tasting.seats, tasting.capacity,
            tasting.percent) == (6, 5, 11, 20, 55)
    assert report.slots_chart.count("<rect") == 2 + 2 and 'stroke-dasharray="6 3"' in report.slots_chart
    assert (empty.slots, empty.animations) == ([], [])


@pytest.mark.parametrize("role, status", [("venue", 200), ("admin", 200), ("resident", 403)])
def test_the_occupancy_page_shows_the_charts_and_the_figures(app, client, auth, make_user, role, status):
    _seed_week(app, make_user)
    make_user(email=f"{role}-staff@example.org", roles=(role,))
    auth.login(f"{role}-staff@example.org")

    response = client.get("/lieu/frequentation?semaine=2025-03-10")

    assert response.status_code == status
    if status == 200:
        page = text_of(response)
        assert page.count("<svg") == 2
        assert "<td>11:00</td><td>4</td><td>10</td><td>40 %</td>" in page
        assert "<td>Dégustation</td><td>12/03 11:00</td><td>6</td><td>5</td><td>20</td><td>55 %</td>" in page
