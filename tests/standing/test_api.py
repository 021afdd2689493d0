"""The standing-orders API: create, read, skip, pause, resume, end; someone else's is 404; JSON errors."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from shopapp.core.clock import utcnow
from shopapp.extensions import db
from shopapp.standing.models import StandingOccurrence, StandingOrder
from tests.checkout.flow import token_headers
from tests.standing.conftest import beat, orders_of, slot_at
from tests.support.clock import PARIS


def _setup(app, world, make_user):  # type: ignore[no-untyped-def]
    bakery = world.shop("Boulangerie Aurore")
    bread = world.product(bakery, "Pain de campagne", 420, stock=50)
    croissant = world.product(bakery, "Croissant", 110, stock=50)
    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    slot_id = slot_at(app, world, start)
    make_user(email="camille@example.org", name="Camille")
    return bread, croissant, slot_id, start


def _create(client, headers, lines, slot_id, every_weeks=1):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/standing-orders", headers=headers, json={
        "lines": [{"product_id": p, "quantity": q} for p, q in lines], "every_weeks": every_weeks,
        "first_pickup_slot_id": slot_id, "payment_method": "at_pickup"})


def test_create_and_read_a_weekly_standing_order(app, client, world, make_user):  # type: ignore[no-untyped-def]
    bread, croissant, slot_id, start = _setup(app, world, make_user)
    headers = token_headers(client, "camille@example.org")

    created = _create(client, headers, [(bread, 1), (croissant, 4)], slot_id)

    assert created.status_code == 201
    body = created.json
    local = start.astimezone(PARIS)
    assert body["status"] == "active" and body["every_weeks"] == 1
    assert body["weekday"] == local.isoweekday() and body["time"] == local.strftime("%H:%M")
    assert [(x["product_id"], x["quantity"], x["unit_price_cents"]) for x in body["lines"]] == [
        (bread, 1, 420), (croissant, 4, 110)]
    assert body["next_pickup"] == {"date": local.date().isoformat(), "pickup_slot_id": slot_id}
    assert body["skipped_dates"] == [] and body["payment_method"] == "at_pickup" and body["card_saved"] is False
    listed = client.get("/api/v1/standing-orders", headers=headers).json
    assert [item["id"] for item in listed["items"]] == [body["id"]] and listed["total"] == 1
    assert client.get(f"/api/v1/standing-orders/{body['id']}", headers=headers).json == body


def test_skip_pause_resume_and_end(app, client, world, make_user, no_dispatch):  # type: ignore[no-untyped-def]
    bread, _croissant, slot_id, start = _setup(app, world, make_user)
    headers = token_headers(client, "camille@example.org")
    standing_id = _create(client, headers, [(bread, 2)], slot_id).json["id"]
    first = start.astimezone(PARIS).date()
    second = first + timedelta(days=7)
    second_slot = slot_at(app, world, start + timedelta(days=7))
    third_slot = slot_at(app, world, start + timedelta(days=14))

    skipped = client.post(f"/api/v1/standing-orders/{standing_id}/skip", headers=headers,
                          json={"date": first.isoformat()})
    again = client.post(f"/api/v1/standing-orders/{standing_id}/skip", headers=headers,
                        json={"date": first.isoformat()})

    assert skipped.status_code == 200 and again.status_code == 200
    assert skipped.json["skipped_dates"] == [first.isoformat()]
    assert skipped.json["next_pickup"] == {"date": second.isoformat(), "pickup_slot_id": second_slot}
    # The skipped date's beat makes no order.
    beat(app, start - timedelta(hours=2))
    assert orders_of(app, standing_id) == []

    paused = client.post(f"/api/v1/standing-orders/{standing_id}/pause", headers=headers)
    assert paused.status_code == 200 and paused.json["status"] == "paused" and paused.json["next_pickup"] is None
    beat(app, start + timedelta(days=7) - timedelta(hours=2))  # the second date passes while paused
    assert orders_of(app, standing_id) == []

    resumed = client.post(f"/api/v1/standing-orders/{standing_id}/resume", headers=headers)
    assert resumed.status_code == 200 and resumed.json["status"] == "active"
    beat(app, start + timedelta(days=14) - timedelta(hours=2))
    [(_order, when, total)] = orders_of(app, standing_id)
    assert when == (start + timedelta(days=14)).astimezone(PARIS) and total == 840
    assert world.booked(third_slot) == 1

    ended = client.delete(f"/api/v1/standing-orders/{standing_id}", headers=headers)
    assert ended.status_code == 204
    assert client.delete(f"/api/v1/standing-orders/{standing_id}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/standing-orders/{standing_id}", headers=headers).json["status"] == "ended"
    slot_at(app, world, start + timedelta(days=21))
    assert beat(app, start + timedelta(days=21) - timedelta(hours=2)) == 0
    assert len(orders_of(app, standing_id)) == 1
    refused = client.post(f"/api/v1/standing-orders/{standing_id}/resume", headers=headers)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "invalid_transition"


def test_skip_refuses_a_date_outside_the_series_or_already_ordered(app, client, world, make_user, no_dispatch):  # type: ignore[no-untyped-def]
    bread, _croissant, slot_id, start = _setup(app, world, make_user)
    headers = token_headers(client, "camille@example.org")
    standing_id = _create(client, headers, [(bread, 2)], slot_id).json["id"]
    first = start.astimezone(PARIS).date()

    off = client.post(f"/api/v1/standing-orders/{standing_id}/skip", headers=headers,
                      json={"date": (first + timedelta(days=1)).isoformat()})
    bad = client.post(f"/api/v1/standing-orders/{standing_id}/skip", headers=headers, json={"date": "demain"})
    beat(app, start - timedelta(hours=2))
    placed = client.post(f"/api/v1/standing-orders/{standing_id}/skip", headers=headers,
                         json={"date": first.isoformat()})

    assert off.status_code == 422 and off.json["error"]["fields"] == {"date": "hors série"}
    assert bad.status_code == 422 and "date" in bad.json["error"]["fields"]
    assert placed.status_code == 409 and placed.json["error"]["code"] == "already_placed"
    assert len(orders_of(app, standing_id)) == 1


def test_someone_elses_standing_order_is_404_and_unchanged(app, client, world, make_user):  # type: ignore[no-untyped-def]
    bread, _croissant, slot_id, start = _setup(app, world, make_user)
    owner = token_headers(client, "camille@example.org")
    standing_id = _create(client, owner, [(bread, 2)], slot_id).json["id"]
    make_user(email="autre@example.org")
    other = token_headers(client, "autre@example.org")
    day = start.astimezone(PARIS).date().isoformat()

    answers = [
        client.get(f"/api/v1/standing-orders/{standing_id}", headers=other),
        client.post(f"/api/v1/standing-orders/{standing_id}/skip", headers=other, json={"date": day}),
        client.post(f"/api/v1/standing-orders/{standing_id}/pause", headers=other),
        client.delete(f"/api/v1/standing-orders/{standing_id}", headers=other),
    ]

    assert [a.status_code for a in answers] == [404, 404, 404, 404]
    assert all(a.json["error"]["code"] == "not_found" for a in answers)
    assert client.get("/api/v1/standing-orders", headers=other).json["items"] == []
    with app.app_context():
        assert db.session.get(StandingOrder, standing_id).status == "active"
        assert db.session.scalar(select(func.count(StandingOccurrence.id))) == 0
    assert client.get("/api/v1/standing-orders").status_code == 401


def test_invalid_creations_answer_json_errors(app, client, world, make_user):  # type: ignore[no-untyped-def]
    bread, _croissant, slot_id, _start = _setup(app, world, make_user)
    headers = token_headers(client, "camille@example.org")
    soon = slot_at(app, world, utcnow().replace(second=0, microsecond=0) + timedelta(minutes=30))

    fortnightly_three = client.post("/api/v1/standing-orders", headers=headers, json={
        "lines": [{"product_id": bread, "quantity": 1}], "every_weeks": 3, "first_pickup_slot_id": slot_id,
        "payment_method": "at_pickup"})
    empty = _create(client, headers, [], slot_id)
    unknown = _create(client, headers, [(999999, 1)], slot_id)
    too_soon = _create(client, headers, [(bread, 1)], soon)
    card_off = client.post("/api/v1/standing-orders", headers=headers, json={
        "lines": [{"product_id": bread, "quantity": 1}], "every_weeks": 1, "first_pickup_slot_id": slot_id,
        "payment_method": "card"})

    assert fortnightly_three.status_code == 422 and "every_weeks" in fortnightly_three.json["error"]["fields"]
    assert empty.status_code == 422
    assert unknown.status_code == 404 and unknown.json["error"]["fields"] == {"product_id": "999999"}
    assert too_soon.status_code == 409 and too_soon.json["error"]["code"] == "slot_too_soon"
    assert card_off.status_code == 422 and card_off.json["error"]["code"] == "payment_unavailable"
    with app.app_context():
        assert db.session.scalar(select(func.count(StandingOrder.id))) == 0


def test_orders_made_by_a_standing_order_say_so(app, client, world, make_user, no_dispatch):  # type: ignore[no-untyped-def]
    bread, _croissant, slot_id, start = _setup(app, world, make_user)
    headers = token_headers(client, "camille@example.org")
    standing_id = _create(client, headers, [(bread, 2)], slot_id, every_weeks=2).json["id"]

    beat(app, start - timedelta(hours=2))

    [order] = client.get("/api/v1/orders", headers=headers).json["items"]
    assert order["standing_order_id"] == standing_id and order["status"] == "confirmed"
    assert client.get(f"/api/v1/standing-orders/{standing_id}", headers=headers).json["next_pickup"]["date"] == \
        start.astimezone(PARIS).date().isoformat()


def test_skipping_a_date_already_handled_without_an_order_says_so(app, client, world, make_user,
                                                                  no_dispatch):  # type: ignore[no-untyped-def]
    from shopapp.catalog.models import Product

    bread, _croissant, slot_id, start = _setup(app, world, make_user)
    headers = token_headers(client, "camille@example.org")
    standing_id = _create(client, headers, [(bread, 2)], slot_id).json["id"]
    first = start.astimezone(PARIS).date()
    with app.app_context():
        db.session.get(Product, bread).stock.on_hand = 0
        db.session.commit()
    beat(app, start - timedelta(hours=2))  # nothing in stock: the date is handled, with no order

    refused = client.post(f"/api/v1/standing-orders/{standing_id}/skip", headers=headers,
                          json={"date": first.isoformat()})

    assert refused.status_code == 409
    error = refused.json["error"]
    assert error["code"] == "no_order_that_date" and error["fields"] == {"date": "sans commande"}
    assert error["message"] == ("Il n'y a déjà pas de commande pour cette date "
                                "(aucun produit n'était disponible) : rien à sauter.")
    assert orders_of(app, standing_id) == []
    with app.app_context():
        assert db.session.scalar(select(StandingOccurrence.outcome)) == "nothing_available"
