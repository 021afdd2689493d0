"""Pickup slots overlapping an animation are linked to it, on both sides of the daylight-saving changes."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from shopapp.core.clock import local_to_utc
from shopapp.errors import ValidationFailed
from shopapp.extensions import db
from tests.animations.conftest import PARIS


def _generate(app, first_day: date) -> None:  # type: ignore[no-untyped-def]
    from shopapp.core.transaction import commit
    from shopapp.orders.slots import generate_slots

    with app.app_context():
        generate_slots(1, today=first_day)
        commit()


def _linked_local(app, animation_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    from shopapp.animations.models import Animation
    from shopapp.animations.queries import slots_of
    from shopapp.core.clock import as_utc

    with app.app_context():
        slots = slots_of(db.session.get(Animation, animation_id))
        return [as_utc(s.starts_at).astimezone(PARIS).strftime("%Y-%m-%d %H:%M%z") for s in slots]


@pytest.mark.parametrize(("day", "offset_before", "offset_after"), [
    (date(2026, 10, 24), "+0200", "+0100"),  # clocks go back in the night of 24→25 October
    (date(2026, 3, 28), "+0100", "+0200"),   # clocks go forward in the night of 28→29 March
])
def test_slots_link_by_local_time_across_the_change(app, world, animations, day, offset_before, offset_after):
    _generate(app, day)
    next_day = date.fromordinal(day.toordinal() + 1)
    before = animations.make("Samedi", starts_at=datetime(day.year, day.month, day.day, 10, 0, tzinfo=PARIS),
                             hours=2)
    after = animations.make("Dimanche", starts_at=datetime(next_day.year, next_day.month, next_day.day, 10, 30,
                                                           tzinfo=PARIS), hours=1)

    assert _linked_local(app, before) == [f"{day} 10:00{offset_before}", f"{day} 11:00{offset_before}"]
    # 10:30–11:30 overlaps the 10:00 and 11:00 slots, at local wall-clock time after the change too.
    assert _linked_local(app, after) == [f"{next_day} 10:00{offset_after}", f"{next_day} 11:00{offset_after}"]


def test_edges_touching_do_not_link(app, world, animations):
    _generate(app, date(2026, 10, 24))
    animation = animations.make("Pile entre deux", starts_at=datetime(2026, 10, 25, 12, 0, tzinfo=PARIS), hours=1)

    assert _linked_local(app, animation) == ["2026-10-25 12:00+0100"]


def test_the_link_shows_on_both_sides_in_the_api(app, client, world, animations):
    _generate(app, date(2026, 10, 24))
    animation = animations.make("Dégustation", starts_at=datetime(2026, 10, 25, 18, 0, tzinfo=PARIS), hours=1)

    listed = client.get("/api/v1/animations?from=2026-10-25&to=2026-10-25").json["items"]
    slots = client.get("/api/v1/pickup-slots?from=2026-10-25T17:00:00&to=2026-10-25T20:00:00").json["items"]

    assert [(i["id"], i["starts_at"], i["ends_at"]) for i in listed] == [
        (animation, "2026-10-25T18:00:00+01:00", "2026-10-25T19:00:00+01:00")]
    assert [s["id"] for s in slots if s["animations"]] == listed[0]["pickup_slot_ids"]
    assert [(s["starts_at"], s["animations"]) for s in slots] == [
        ("2026-10-25T17:00:00+01:00", []),
        ("2026-10-25T18:00:00+01:00", [{"id": animation, "title": "Dégustation", "kind": "tasting"}]),
        ("2026-10-25T19:00:00+01:00", []),
    ]


def test_local_times_are_read_in_the_venue_zone(app):
    with app.app_context():
        assert local_to_utc(datetime(2026, 10, 25, 10, 0)).isoformat() == "2026-10-25T09:00:00+00:00"
        assert local_to_utc(datetime(2026, 10, 24, 10, 0)).isoformat() == "2026-10-24T08:00:00+00:00"
        # 02:30 happens twice on 25 October: the first (summer time) one is taken.
        assert local_to_utc(datetime(2026, 10, 25, 2, 30)).isoformat() == "2026-10-25T00:30:00+00:00"
        # 02:30 does not exist on 29 March.
        with pytest.raises(ValidationFailed):
            local_to_utc(datetime(2026, 3, 29, 2, 30))
