"""The JSON API for basket, slots, orders, shop parts and the desk."""

from __future__ import annotations

from sqlalchemy import func, select

from shopapp.extensions import db
from shopapp.orders.models import Order
from tests.orders.services import checkout, fill_basket


def _token(client, email):  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/auth/token", json={"email": email, "password": "motdepasse1"})
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_basket_api_adds_sets_and_removes_bounded_by_stock(app, client, world, make_user):
    shop = world.shop("Boulangerie Aurore")
    bread = world.product(shop, "Baguette", 120, stock=3)
    make_user(email="res@example.org")
    h = _token(client, "res@example.org")

    added = client.post("/api/v1/basket/lines", json={"product_id": bread, "quantity": 2}, headers=h)
    too_many = client.post("/api/v1/basket/lines", json={"product_id": bread, "quantity": 2}, headers=h)
    patched = client.patch(f"/api/v1/basket/lines/{bread}", json={"quantity": 3}, headers=h)
    removed = client.delete(f"/api/v1/basket/lines/{bread}", headers=h)
    missing = client.delete(f"/api/v1/basket/lines/{bread}", headers=h)

    assert added.status_code == 200
    assert added.json["lines"] == [{"product_id": bread, "name": "Baguette", "unit": "pièce", "quantity": 2,
                                    "available": 3, "unit_price_cents": 120, "line_total_cents": 240,
                                    "merchant": {"id": shop, "slug": "shop-1", "name": "Boulangerie Aurore"}}]
    assert (added.json["total_cents"], added.json["currency"]) == (240, "EUR")
    assert too_many.status_code == 409 and too_many.json["error"]["code"] == "insufficient_stock"
    assert patched.json["total_cents"] == 360
    assert removed.json == {"lines": [], "item_count": 0, "total_cents": 0, "currency": "EUR"}
    assert missing.status_code == 404
    assert world.stock(bread) == (3, 0)


def test_slots_api_says_which_slots_are_bookable_and_why_not(app, client, world, make_user):
    shop = world.shop(preparation_minutes=240)
    bread = world.product(shop)
    soon = world.slot(hours_from_now=2)
    full = world.slot(hours_from_now=30, capacity=2, booked=2)
    fine = world.slot(hours_from_now=48)
    make_user(email="res@example.org")
    h = _token(client, "res@example.org")
    client.post("/api/v1/basket/lines", json={"product_id": bread, "quantity": 1}, headers=h)

    items = client.get("/api/v1/pickup-slots", headers=h).json["items"]

    assert [(i["id"], i["bookable"], i["reason"], i["remaining"]) for i in items] == [
        (soon, False, "too_soon", 10), (full, False, "full", 0), (fine, True, None, 10)]
    assert items[0]["animations"] == []
    assert items[0]["starts_at"].endswith(("+01:00", "+02:00"))


def test_order_api_is_idempotent_by_key(app, client, world, make_user):
    shop = world.shop()
    bread = world.product(shop, stock=10)
    slot = world.slot()
    make_user(email="res@example.org")
    headers = {**_token(client, "res@example.org"), "Idempotency-Key": "abc-1"}
    client.post("/api/v1/basket/lines", json={"product_id": bread, "quantity": 2}, headers=headers)

    first = client.post("/api/v1/orders", json={"pickup_slot_id": slot, "payment_method": "at_pickup"}, headers=headers)
    second = client.post("/api/v1/orders", json={"pickup_slot_id": slot, "payment_method": "at_pickup"},
                         headers=headers)

    assert first.status_code == 201 and second.status_code == 200
    assert first.json == second.json
    body = first.json
    assert (body["status"], body["total_cents"], body["payment"]["method"], body["payment"]["status"]) == (
        "confirmed", 240, "at_pickup", "due")
    assert [(p["status"], p["subtotal_cents"], len(p["lines"])) for p in body["parts"]] == [("received", 240, 1)]
    assert client.get("/api/v1/orders", headers=headers).json["total"] == 1
    assert world.stock(bread) == (10, 2)


def test_card_checkout_is_unavailable_for_now(app, client, world, make_user):
    shop = world.shop()
    bread = world.product(shop)
    make_user(email="res@example.org")
    headers = _token(client, "res@example.org")
    client.post("/api/v1/basket/lines", json={"product_id": bread, "quantity": 1}, headers=headers)

    response = client.post("/api/v1/orders", json={"pickup_slot_id": world.slot(), "payment_method": "card"},
                           headers=headers)

    assert response.status_code == 422 and response.json["error"]["code"] == "payment_unavailable"
    assert world.stock(bread) == (10, 0)


def test_a_resident_gets_404_on_someone_elses_order(app, client, world, make_user):
    shop = world.shop()
    bread = world.product(shop)
    slot = world.slot()
    owner = make_user(email="owner@example.org")
    make_user(email="other@example.org")
    fill_basket(app, owner, (bread, 1))
    order_id = checkout(app, owner, slot)
    headers = _token(client, "other@example.org")

    seen = client.get(f"/api/v1/orders/{order_id}", headers=headers)
    cancelled = client.post(f"/api/v1/orders/{order_id}/cancel", headers=headers)

    assert seen.status_code == 404 and cancelled.status_code == 404
    assert cancelled.json["error"]["code"] == "not_found"
    with app.app_context():
        assert db.session.get(Order, order_id).status == "confirmed"
    assert world.stock(bread) == (10, 1)
    assert world.booked(slot) == 1


def test_cancel_api_returns_stock_and_slot(app, client, world, make_user):
    shop = world.shop()
    bread = world.product(shop)
    slot = world.slot()
    owner = make_user(email="owner@example.org")
    fill_basket(app, owner, (bread, 4))
    order_id = checkout(app, owner, slot)

    response = client.post(f"/api/v1/orders/{order_id}/cancel", headers=_token(client, "owner@example.org"))

    assert response.status_code == 200 and response.json["status"] == "cancelled"
    assert world.stock(bread) == (10, 0)
    assert world.booked(slot) == 0


def test_a_shopkeeper_sees_only_their_part(app, client, world, make_user):
    baker = world.shop("Boulangerie", keeper="baker@example.org")
    cheese = world.shop("Fromagerie", keeper="cheese@example.org")
    bread = world.product(baker, "Baguette")
    brie = world.product(cheese, "Brie")
    resident = make_user(email="res@example.org", name="Suzanne Morel")
    fill_basket(app, resident, (bread, 1), (brie, 1))
    order_id = checkout(app, resident, world.slot())
    headers = _token(client, "baker@example.org")

    listing = client.get("/api/v1/shop/orders", headers=headers)

    assert listing.status_code == 200 and listing.json["total"] == 1
    part = listing.json["items"][0]
    assert [line["name"] for line in part["lines"]] == ["Baguette"]
    assert part["order"] == {"id": order_id, "number": part["order"]["number"], "status": "confirmed",
                             "customer_name": "Suzanne Morel"}
    assert "Brie" not in listing.get_data(as_text=True) and "pickup_code" not in listing.get_data(as_text=True)
    with app.app_context():
        brie_part = next(p.id for p in db.session.get(Order, order_id).parts if p.shop_id == cheese)
    denied = client.post(f"/api/v1/shop/order-parts/{brie_part}/status", json={"status": "preparing"},
                         headers=headers)
    moved = client.post(f"/api/v1/shop/order-parts/{part['id']}/status", json={"status": "preparing"},
                        headers=headers)
    illegal = client.post(f"/api/v1/shop/order-parts/{part['id']}/status", json={"status": "at_venue"},
                          headers=headers)
    assert denied.status_code == 404
    assert moved.status_code == 200 and moved.json["status"] == "preparing"
    assert illegal.status_code == 409 and illegal.json["error"]["code"] == "invalid_transition"


def test_the_desk_needs_the_venue_role_and_collects_only_when_all_parts_are_there(app, client, world, make_user):
    baker = world.shop("Boulangerie", keeper="baker@example.org")
    bread = world.product(baker, "Baguette", 120)
    resident = make_user(email="res@example.org")
    make_user(email="venue@example.org", roles=("venue",))
    fill_basket(app, resident, (bread, 2))
    order_id = checkout(app, resident, world.slot(hours_from_now=3))
    with app.app_context():
        order = db.session.get(Order, order_id)
        code, part_id = order.pickup_code, order.parts[0].id
    resident_headers = _token(client, "res@example.org")
    venue_headers = _token(client, "venue@example.org")

    assert client.get(f"/api/v1/venue/orders/by-code/{code}", headers=resident_headers).status_code == 403
    assert client.post(f"/api/v1/venue/orders/{order_id}/collect", json={"paid_via": "cash"},
                       headers=resident_headers).status_code == 403
    found = client.get(f"/api/v1/venue/orders/by-code/{code.lower()}", headers=venue_headers)
    early = client.post(f"/api/v1/venue/orders/{order_id}/collect", json={"paid_via": "cash"}, headers=venue_headers)
    keeper = _token(client, "baker@example.org")
    for status in ("preparing", "ready", "at_venue"):
        client.post(f"/api/v1/shop/order-parts/{part_id}/status", json={"status": status}, headers=keeper)
    day = client.get("/api/v1/venue/pickups", headers=venue_headers)
    collected = client.post(f"/api/v1/venue/orders/{order_id}/collect", json={"paid_via": "cash"},
                            headers=venue_headers)

    assert found.status_code == 200 and found.json["all_at_venue"] is False
    assert early.status_code == 409 and early.json["error"]["code"] == "parts_missing"
    orders_today = [o for s in day.json["slots"] for o in s["orders"]]
    if orders_today:  # the slot is 3 h from now: today unless the test runs late in the evening
        assert orders_today[0]["all_at_venue"] is True
    assert collected.status_code == 200
    assert (collected.json["status"], collected.json["payment"]["status"], collected.json["payment"]["paid_via"]) == (
        "collected", "paid", "cash")
    assert world.stock(bread) == (8, 0)


def test_openapi_documents_the_order_routes(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]

    assert {"/api/v1/basket", "/api/v1/orders", "/api/v1/pickup-slots", "/api/v1/shop/orders",
            "/api/v1/venue/pickups", "/api/v1/venue/orders/{order_id}/collect"} <= set(paths)


def test_no_order_is_created_without_a_basket(app, client, world, make_user):
    make_user(email="res@example.org")

    response = client.post("/api/v1/orders", json={"pickup_slot_id": world.slot(), "payment_method": "at_pickup"},
                           headers=_token(client, "res@example.org"))

    assert response.status_code == 409 and response.json["error"]["code"] == "basket_empty"
    with app.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == 0
