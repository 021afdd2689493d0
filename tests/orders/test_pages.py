"""Pages: basket (anonymous, merged at log-in), checkout, my orders with QR, shop preparation, desk."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from shopapp.extensions import db
from shopapp.orders.models import Basket, Order, PickupSlot
from tests.conftest import csrf_token, text_of
from tests.orders.services import checkout, fill_basket


def _add(client, product_id, quantity=1):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/panier")
    return client.post("/panier/ajouter", data={"csrf_token": token, "product_id": product_id, "quantity": quantity})


def test_anonymous_basket_is_grouped_by_shop_and_merged_at_login(app, client, auth, world, make_user):
    baker = world.shop("Boulangerie Aurore")
    cheese = world.shop("Fromagerie Lucas")
    bread = world.product(baker, "Baguette", 120, stock=5)
    brie = world.product(cheese, "Brie", 900, stock=5)
    user = make_user(email="res@example.org")
    fill_basket(app, user, (bread, 4))

    assert _add(client, bread, 2).status_code == 302
    assert _add(client, brie, 1).status_code == 302
    page = text_of(client.get("/panier"))
    auth.login("res@example.org")
    merged = client.get("/panier").get_data(as_text=True).replace(" ", "")

    positions = [page.index(text) for text in ("Boulangerie Aurore", "Baguette", "Fromagerie Lucas", "Brie")]
    assert positions == sorted(positions)
    assert "11,40\u00a0€" in page
    with app.app_context():
        basket = db.session.scalar(select(Basket).where(Basket.user_id == user))
        assert sorted((line.product_id, line.quantity) for line in basket.lines) == [(bread, 5), (brie, 1)]
        assert db.session.scalar(select(func.count(Basket.id))) == 1
    assert ">6<" in merged


def test_adding_more_than_the_stock_is_refused_with_a_french_message(app, client, world):
    shop = world.shop()
    bread = world.product(shop, "Baguette", stock=2)

    response = _add(client, bread, 3)

    assert response.status_code == 422
    assert "Il ne reste que 2 « Baguette »." in text_of(response)


def test_checkout_page_shows_why_slots_are_not_bookable_and_places_the_order(app, client, auth, world, make_user):
    shop = world.shop("Boulangerie", preparation_minutes=240)
    bread = world.product(shop, "Baguette", 120)
    world.slot(hours_from_now=2)
    world.slot(hours_from_now=30, capacity=1, booked=1)
    good = world.slot(hours_from_now=50)
    user = make_user(email="res@example.org")
    fill_basket(app, user, (bread, 2))
    auth.login("res@example.org")

    page = client.get("/commande")
    html = text_of(page)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html).group(1)
    token = csrf_token(client, "/commande")
    data = {"csrf_token": token, "slot_id": good, "payment_method": "at_pickup", "accept_terms": "y",
            "idempotency_key": key}
    placed = client.post("/commande", data=data)
    again = client.post("/commande", data=data)

    assert page.status_code == 200
    assert "Trop tôt pour la préparation" in html and "Complet" in html
    assert "<legend>Créneau de retrait à La Halle Commune</legend>" in html
    assert placed.status_code == 302 and again.status_code == 302
    assert placed.headers["Location"] == again.headers["Location"]
    with app.app_context():
        order = db.session.scalar(select(Order))
        assert db.session.scalar(select(func.count(Order.id))) == 1
    mine = text_of(client.get(placed.headers["Location"]))
    assert order.pickup_code in mine
    assert 'src="data:image/svg+xml' in mine


def test_a_slot_filled_while_on_the_checkout_page_is_refused_clearly(app, client, auth, world, make_user):
    shop = world.shop()
    bread = world.product(shop, "Baguette", 120)
    slot = world.slot(hours_from_now=30, capacity=1)
    user = make_user(email="res@example.org")
    fill_basket(app, user, (bread, 1))
    auth.login("res@example.org")
    token = csrf_token(client, "/commande")
    with app.app_context():  # someone else takes the last place meanwhile
        db.session.get(PickupSlot, slot).booked = 1
        db.session.commit()

    response = client.post("/commande", data={"csrf_token": token, "slot_id": slot, "payment_method": "at_pickup",
                                              "accept_terms": "y", "idempotency_key": "k1"})

    assert response.status_code == 422
    assert "Ce créneau vient d'être complet : choisissez un autre créneau de retrait." in text_of(response)
    assert world.stock(bread) == (10, 0)


def test_terms_must_be_accepted(app, client, auth, world, make_user):
    shop = world.shop()
    bread = world.product(shop)
    slot = world.slot()
    user = make_user(email="res@example.org")
    fill_basket(app, user, (bread, 1))
    auth.login("res@example.org")
    token = csrf_token(client, "/commande")

    response = client.post("/commande", data={"csrf_token": token, "slot_id": slot, "payment_method": "at_pickup",
                                              "idempotency_key": "k2"})

    assert response.status_code == 422
    assert "Vous devez accepter les conditions pour commander." in text_of(response)
    assert world.booked(slot) == 0


def test_a_resident_gets_404_on_another_residents_order_page(app, client, auth, world, make_user):
    shop = world.shop()
    bread = world.product(shop)
    owner = make_user(email="owner@example.org")
    make_user(email="other@example.org")
    fill_basket(app, owner, (bread, 1))
    order_id = checkout(app, owner, world.slot())
    auth.login("other@example.org")
    token = csrf_token(client, "/mes-commandes")

    assert client.get(f"/mes-commandes/{order_id}").status_code == 404
    assert client.post(f"/mes-commandes/{order_id}/annuler", data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.get(Order, order_id).status == "confirmed"


def test_shop_preparation_page_shows_only_the_shops_part_and_moves_it(app, client, auth, world, make_user):
    baker = world.shop("Boulangerie", keeper="baker@example.org")
    cheese = world.shop("Fromagerie", keeper="cheese@example.org")
    bread = world.product(baker, "Baguette")
    brie = world.product(cheese, "Brie de Meaux")
    resident = make_user(email="res@example.org", name="Suzanne Morel")
    fill_basket(app, resident, (bread, 2), (brie, 1))
    order_id = checkout(app, resident, world.slot())
    with app.app_context():
        part_id = next(p.id for p in db.session.get(Order, order_id).parts if p.shop_id == baker)
    auth.login("baker@example.org")

    page = text_of(client.get("/preparation"))
    picking = client.get("/preparation/liste?date=" + _slot_day(app, order_id))
    token = csrf_token(client, "/preparation")
    moved = client.post(f"/preparation/parts/{part_id}/statut", data={"csrf_token": token, "status": "preparing"})
    illegal = client.post(f"/preparation/parts/{part_id}/statut", data={"csrf_token": token, "status": "at_venue"})

    assert "Baguette" in page and "Suzanne Morel" in page
    assert "Brie" not in page
    assert picking.status_code == 200 and "Baguette" in text_of(picking) and "Brie" not in text_of(picking)
    assert moved.status_code == 302
    assert illegal.status_code == 422 and "ne peut pas passer" in text_of(illegal)


def _slot_day(app, order_id):  # type: ignore[no-untyped-def]
    from shopapp.core.clock import venue_time

    with app.app_context():
        return venue_time(db.session.get(Order, order_id).pickup_slot.starts_at).date().isoformat()


def test_the_desk_needs_the_venue_role(app, client, auth, make_user):
    make_user(email="res@example.org")
    auth.login("res@example.org")

    assert client.get("/comptoir").status_code == 403
    assert client.get("/comptoir/charge").status_code == 403


def test_desk_finds_by_code_and_collects_with_payment(app, client, auth, world, make_user):
    baker = world.shop("Boulangerie", keeper="baker@example.org")
    bread = world.product(baker, "Baguette", 120)
    resident = make_user(email="res@example.org", name="Suzanne Morel")
    make_user(email="venue@example.org", roles=("venue",))
    fill_basket(app, resident, (bread, 2))
    order_id = checkout(app, resident, world.slot())
    from shopapp.orders import fulfilment
    from tests.orders.services import call

    with app.app_context():
        order = db.session.get(Order, order_id)
        code, part_id = order.pickup_code, order.parts[0].id
    for status in ("preparing", "ready", "at_venue"):
        call(app, fulfilment.set_part_status, part_id, status, shop_id=baker, actor_id=None)
    auth.login("venue@example.org")

    found = client.get(f"/comptoir?q={code.lower()}")
    by_name = text_of(client.get("/comptoir?q=morel"))
    token = csrf_token(client, f"/comptoir/commandes/{order_id}")
    no_payment = client.post(f"/comptoir/commandes/{order_id}/remise", data={"csrf_token": token})
    collected = client.post(f"/comptoir/commandes/{order_id}/remise", data={"csrf_token": token, "paid_via": "cash"})

    assert found.status_code == 302 and found.headers["Location"].endswith(f"/comptoir/commandes/{order_id}")
    assert "Suzanne Morel" in by_name
    assert no_payment.status_code == 422 and "carte ou espèces" in text_of(no_payment)
    assert collected.status_code == 302
    assert "Retirée" in text_of(client.get(f"/comptoir/commandes/{order_id}"))
    assert world.stock(bread) == (8, 0)


def _slot_on(app, world, days_ahead: int, hour: int, capacity: int = 10, booked: int = 0) -> int:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from shopapp.core.clock import utcnow

    paris = ZoneInfo("Europe/Paris")
    day = utcnow().astimezone(paris).date() + timedelta(days=days_ahead)
    start = datetime.combine(day, time(hour), tzinfo=paris).astimezone(UTC)
    with app.app_context():
        slot = PickupSlot(venue_id=world.venue_id, starts_at=start, ends_at=start + timedelta(hours=1),
                          capacity=capacity, booked=booked)
        db.session.add(slot)
        db.session.commit()
        return slot.id


def _days(html: str) -> list[tuple[bool, str, list[str]]]:
    """(open?, summary text, slot ids) of each day of the picker."""
    found = []
    days = r'<details class="slot-day"( open)?>\s*<summary>(.*?)</summary>(.*?)</details>'
    for attrs, summary, body in re.findall(days, html, re.S):
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", summary)).strip()
        found.append((bool(attrs), text, re.findall(r'id="(slot-\d+)"', body)))
    return found


def test_the_slot_picker_shows_one_day_at_a_time_opening_the_first_with_room(app, client, auth, world, make_user):
    shop = world.shop("Boulangerie", preparation_minutes=60)
    bread = world.product(shop, "Baguette", 120)
    full = _slot_on(app, world, 1, 10, capacity=1, booked=1)
    first_free = [_slot_on(app, world, 2, 10), _slot_on(app, world, 2, 11)]
    later = _slot_on(app, world, 3, 10)
    user = make_user(email="res@example.org")
    fill_basket(app, user, (bread, 1))
    auth.login("res@example.org")

    days = _days(text_of(client.get("/commande")))

    assert [(is_open, slots) for is_open, _text, slots in days] == [
        (False, [f"slot-{full}"]),
        (True, [f"slot-{i}" for i in first_free]),
        (False, [f"slot-{later}"]),
    ]
    assert "0 créneaux libres" in days[0][1] and "2 créneaux libres" in days[1][1]
    assert re.match(r"^(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) \d{1,2} \w+", days[1][1])

    # Sent back with an error (terms not accepted), the day of the chosen slot stays open.
    token = csrf_token(client, "/commande")
    refused = client.post("/commande", data={"csrf_token": token, "slot_id": later, "payment_method": "at_pickup",
                                             "idempotency_key": "k-1"})
    assert refused.status_code == 422
    assert [is_open for is_open, _text, _slots in _days(text_of(refused))] == [False, True, True]
