"""Walk-ins: the desk lets in people who came without an order or booking, never beyond capacity."""

from __future__ import annotations

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
