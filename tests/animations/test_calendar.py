"""iCalendar feeds parse back with the right local times and time zone; the personal feed is secret
and revocable."""

from __future__ import annotations

import re
from datetime import timedelta

import icalendar

from tests.animations.conftest import call
from tests.conftest import csrf_token
from tests.orders.services import checkout, fill_basket
from tests.support.clock import days_ahead, local, next_clock_change


def test_public_agenda_parses_back_in_paris_time_across_dst(app, client, world, animations):
    change = next_clock_change(10)  # the Sunday the clocks go back, at 3:00
    summer = animations.make("Avant le changement", starts_at=local(change - timedelta(days=1), 18))
    winter = animations.make("Après le changement", starts_at=local(change, 18))
    animations.make("Entre membres", audience="members", starts_at=local(change + timedelta(days=1), 18))
    animations.make("Brouillon", publish=False, starts_at=local(change + timedelta(days=2), 18))

    response = client.get("/api/v1/animations.ics")

    assert response.status_code == 200 and response.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(response.data)
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert sorted(events) == ["Après le changement", "Avant le changement"]
    assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
    before, after = events["Avant le changement"], events["Après le changement"]
    assert before.decoded("dtstart") == local(change - timedelta(days=1), 18)
    assert before.decoded("dtstart").utcoffset().total_seconds() == 7200
    assert after.decoded("dtstart").utcoffset().total_seconds() == 3600
    assert after.decoded("dtend") == local(change, 20)
    assert str(before["uid"]).startswith(f"animation-{summer}@") and str(after["uid"]).startswith(
        f"animation-{winter}@")


def test_personal_feed_lists_pickups_and_animations_and_can_be_revoked(app, client, auth, world, animations,
                                                                       make_user, no_dispatch):
    from shopapp.animations import registrations

    shop = world.shop()
    bread = world.product(shop)
    slot = world.slot(hours_from_now=30)
    resident = make_user(email="ana@example.org", name="Ana")
    fill_basket(app, resident, (bread, 1))
    checkout(app, resident, slot)
    starts_at = days_ahead(3, 18)
    animation = animations.make("Atelier", starts_at=starts_at)
    call(app, registrations.register, animation, resident, 1)
    auth.login("ana@example.org")

    client.post("/mes-animations/agenda-personnel", data={"csrf_token": csrf_token(client, "/mes-animations")})
    page = client.get("/mes-animations").get_data(as_text=True)
    url = re.search(r'<code id="feed-url">([^<]+)</code>', page).group(1)
    path = url.split("localhost", 1)[1]
    feed = client.get(path)
    cal = icalendar.Calendar.from_ical(feed.data)
    summaries = sorted(str(e["summary"]) for e in cal.walk("VEVENT"))
    client.post("/mes-animations/agenda-personnel/revoquer",
                data={"csrf_token": csrf_token(client, "/mes-animations")})
    revoked = client.get(path)

    assert feed.status_code == 200
    assert summaries[0] == "Atelier" and summaries[1].startswith("Retrait de la commande AMC-")
    animation_event = next(e for e in cal.walk("VEVENT") if str(e["summary"]) == "Atelier")
    assert animation_event.decoded("dtstart") == starts_at
    assert revoked.status_code == 404
    assert client.get("/api/v1/calendar/cal_guess.ics").status_code == 404
