"""Joining an animation during checkout, the highlighted slot, desk check-in and the dashboard."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from shopapp.core.clock import utcnow
from shopapp.extensions import db
from tests.animations.conftest import call
from tests.conftest import csrf_token, text_of
from tests.orders.services import fill_basket


def _token(client, email):  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/auth/token", json={"email": email, "password": "motdepasse1"})
    return {"Authorization": f"Bearer {response.json['token']}"}


def _slot_start(app, slot_id):  # type: ignore[no-untyped-def]
    from shopapp.orders.models import PickupSlot

    with app.app_context():
        return db.session.get(PickupSlot, slot_id).starts_at


def test_an_order_joins_an_animation_of_its_slot_within_capacity(app, client, world, animations, make_user,
                                                                 no_dispatch):
    shop = world.shop("Fromagerie Lucas")
    comte = world.product(shop, "Comté", 890)
    slot = world.slot(hours_from_now=30)
    other_slot = world.slot(hours_from_now=50)
    tasting = animations.make("Dégustation", starts_at=_slot_start(app, slot), hours=1, capacity=1)
    later = animations.make("Plus tard", starts_at=_slot_start(app, other_slot), hours=1)
    ana = make_user(email="ana@example.org")
    bob = make_user(email="bob@example.org")
    for user in (ana, bob):
        fill_basket(app, user, (comte, 1))
    ha, hb = _token(client, "ana@example.org"), _token(client, "bob@example.org")

    refused = client.post("/api/v1/orders", json={"pickup_slot_id": slot, "payment_method": "at_pickup",
                                                  "join_animation_ids": [later]}, headers=ha)
    joined = client.post("/api/v1/orders", json={"pickup_slot_id": slot, "payment_method": "at_pickup",
                                                 "join_animation_ids": [tasting]}, headers=ha)
    full = client.post("/api/v1/orders", json={"pickup_slot_id": slot, "payment_method": "at_pickup",
                                               "join_animation_ids": [tasting]}, headers=hb)

    assert refused.status_code == 422  # rolled back: no order, no registration
    assert world.booked(slot) == 2
    assert joined.status_code == 201 and full.status_code == 201
    assert animations.registrations(tasting) == [(ana, 1, "registered"), (bob, 1, "waitlisted")]
    assert animations.seats_taken(tasting) == 1
    assert animations.registrations(later) == []
    from shopapp.animations.models import Registration

    with app.app_context():
        assert db.session.scalar(select(Registration.order_id).where(Registration.user_id == ana)) == joined.json["id"]


def test_the_slot_picker_shows_and_highlights_the_basket_shops_animation(app, client, auth, world, animations,
                                                                         make_user):
    cheese = world.shop("Fromagerie Lucas")
    comte = world.product(cheese, "Comté", 890)
    world.slot(hours_from_now=6)  # a day before, with room: the picker opens it first
    slot = world.slot(hours_from_now=30)
    animations.make("Dégustation de comtés", starts_at=_slot_start(app, slot), hours=1, shop_ids=(cheese,))
    ana = make_user(email="ana@example.org")
    auth.login("ana@example.org")
    fill_basket(app, ana, (comte, 1))

    page = text_of(client.get("/commande"))

    assert "slot-highlight" in page
    days = re.findall(r'<details class="slot-day"( open)?>\s*<summary>(.*?)</summary>', page, re.S)
    assert [bool(is_open) for is_open, _summary in days] == [True, True]  # the tasting's day opens too
    assert "Animation de vos boutiques" in days[1][1] and "Animation de vos boutiques" not in days[0][1]
    assert "L'animation « Dégustation de comtés » de Fromagerie Lucas a lieu" in page
    assert "Participer aussi à « Dégustation de comtés »" in page


def test_an_animation_over_several_slots_is_named_once_and_marked_on_the_others(app, client, auth, world, animations,
                                                                               make_user):
    cheese = world.shop("Fromagerie Lucas")
    comte = world.product(cheese, "Comté", 890)
    first = world.slot(hours_from_now=30.25)  # the same local day as the next two (a quarter past the hour)
    world.slot(hours_from_now=30.5)
    world.slot(hours_from_now=30.75)
    animations.make("Dégustation de comtés", starts_at=_slot_start(app, first), hours=2, shop_ids=(cheese,))
    ana = make_user(email="ana@example.org")
    auth.login("ana@example.org")
    fill_basket(app, ana, (comte, 1))

    page = text_of(client.get("/commande"))

    assert page.count("L'animation « Dégustation de comtés » de Fromagerie Lucas a lieu") == 1
    assert page.count("Pendant l'animation") == 2
    assert page.index("L'animation « Dégustation de comtés »") < page.index("Pendant l'animation")


def test_desk_offers_check_in_for_the_slot_and_records_attendance(app, client, auth, world, animations, make_user,
                                                                 no_dispatch):
    from shopapp.animations import registrations
    from tests.orders.services import checkout

    shop = world.shop()
    bread = world.product(shop)
    slot = world.slot(hours_from_now=30)
    tasting = animations.make("Dégustation", starts_at=_slot_start(app, slot) + timedelta(minutes=15), hours=1)
    ana = make_user(email="ana@example.org")
    fill_basket(app, ana, (bread, 1))
    order = checkout(app, ana, slot)
    call(app, registrations.register, tasting, ana, 2)
    auth.login("venue@example.org")

    page = text_of(client.get(f"/comptoir/commandes/{order}"))
    registration_id = animations_registration_id(app, tasting)
    token = csrf_token(client, f"/comptoir/commandes/{order}")
    done = client.post(f"/comptoir/commandes/{order}/animations",
                       data={"csrf_token": token, "registration_ids": [registration_id]})
    foreign = client.post(f"/comptoir/commandes/{order}/animations",
                          data={"csrf_token": token, "registration_ids": [registration_id + 99]})
    dashboard = client.get("/lieu/tableau-de-bord?semaine=" + utcnow().date().isoformat())

    assert "Animations pendant ce créneau" in page and "Dégustation" in page
    assert done.status_code == 302 and foreign.status_code == 404
    from shopapp.animations.models import Registration

    with app.app_context():
        assert db.session.get(Registration, registration_id).checked_in_at is not None
    assert dashboard.status_code == 200
    assert "<svg" in dashboard.get_data(as_text=True)


def animations_registration_id(app, animation_id: int) -> int:  # type: ignore[no-untyped-def]
    from shopapp.animations.models import Registration

    with app.app_context():
        return db.session.scalar(select(Registration.id).where(Registration.animation_id == animation_id))
