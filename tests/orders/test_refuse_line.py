"""A shop refuses one line of its part: the service, the preparation page (with its confirmation) and the API."""

from __future__ import annotations

from sqlalchemy import func, select

from shopapp.core.outbox import OutboxJob
from shopapp.extensions import db
from shopapp.orders import fulfilment
from shopapp.orders.models import Order, OrderEvent, OrderLine, OrderPart
from tests.conftest import csrf_token, text_of
from tests.orders.services import call, checkout, fill_basket


def _order(app, world, make_user):  # type: ignore[no-untyped-def]
    baker = world.shop("Boulangerie", keeper="baker@example.org")
    cheese = world.shop("Fromagerie", keeper="cheese@example.org")
    bread = world.product(baker, "Baguette", 120, stock=10)
    croissant = world.product(baker, "Croissant", 110, stock=10)
    brie = world.product(cheese, "Brie", 900, stock=5)
    resident = make_user(email="res@example.org", name="Suzanne Morel")
    fill_basket(app, resident, (bread, 2), (croissant, 3), (brie, 1))
    order_id = checkout(app, resident, world.slot())
    with app.app_context():
        parts = {p.shop_id: p for p in db.session.get(Order, order_id).parts}
        lines = {line.product_id: line.id for part in parts.values() for line in part.lines}
        return {"order": order_id, "baker": baker, "cheese": cheese, "bread_part": parts[baker].id,
                "brie_part": parts[cheese].id, "bread": lines[bread], "croissant": lines[croissant],
                "brie": lines[brie], "croissant_product": croissant}


def _jobs(app, task):  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count(OutboxJob.id)).where(OutboxJob.task_name == task))


def _token(client, email):  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/auth/token", json={"email": email, "password": "motdepasse1"})
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_refusing_one_line_lowers_the_totals_and_puts_its_stock_back(app, world, make_user, no_dispatch):
    o = _order(app, world, make_user)

    call(app, fulfilment.refuse_line, o["bread_part"], o["croissant"], "Rupture de stock",
         shop_id=o["baker"], actor_id=None)

    with app.app_context():
        order, part = db.session.get(Order, o["order"]), db.session.get(OrderPart, o["bread_part"])
        assert (order.total_cents, part.subtotal_cents, part.status) == (240 + 900, 240, "received")
        assert order.refund_due_cents == 0  # paid at pickup: nothing to give back, the desk takes less
        line = db.session.get(OrderLine, o["croissant"])
        assert (line.is_refused, line.refusal_reason) == (True, "Rupture de stock")
        assert [line.name for line in part.active_lines] == ["Baguette"]
        notes = db.session.scalars(select(OrderEvent.note).where(OrderEvent.part_id == part.id)).all()
        assert "article refusé : Croissant — Rupture de stock" in notes
    assert world.stock(o["croissant_product"]) == (10, 0)
    assert _jobs(app, "notices.line_refused") == 1
    assert _jobs(app, "orders.line_refund_due") == 0
    again = call(app, fulfilment.refuse_line, o["bread_part"], o["croissant"], "Rupture de stock",
                 shop_id=o["baker"], actor_id=None)
    assert again.status == 422
    assert _jobs(app, "notices.line_refused") == 1


def test_refusing_the_last_line_refuses_the_part(app, world, make_user, no_dispatch):
    o = _order(app, world, make_user)

    call(app, fulfilment.refuse_line, o["brie_part"], o["brie"], "Produit abîmé", shop_id=o["cheese"], actor_id=None)

    with app.app_context():
        order, part = db.session.get(Order, o["order"]), db.session.get(OrderPart, o["brie_part"])
        assert (part.status, order.status, order.total_cents) == ("rejected", "confirmed", 240 + 330)
        assert db.session.get(OrderLine, o["brie"]).refusal_reason == "Produit abîmé"
    assert _jobs(app, "notices.part_rejected") == 1
    assert _jobs(app, "notices.line_refused") == 0


def test_another_shops_part_or_line_is_not_found_and_a_part_no_longer_prepared_conflicts(app, world, make_user):
    o = _order(app, world, make_user)

    other_shop = call(app, fulfilment.refuse_line, o["brie_part"], o["brie"], "x", shop_id=o["baker"], actor_id=None)
    other_line = call(app, fulfilment.refuse_line, o["bread_part"], o["brie"], "x", shop_id=o["baker"],
                      actor_id=None)
    no_reason = call(app, fulfilment.refuse_line, o["bread_part"], o["bread"], "  ", shop_id=o["baker"],
                     actor_id=None)
    for status in ("preparing", "ready"):
        call(app, fulfilment.set_part_status, o["bread_part"], status, shop_id=o["baker"], actor_id=None)
    too_late = call(app, fulfilment.refuse_line, o["bread_part"], o["bread"], "x", shop_id=o["baker"], actor_id=None)

    assert (other_shop.status, other_line.status, no_reason.status, too_late.status) == (404, 404, 422, 409)


def test_preparation_page_refuses_a_line_only_once_confirmed(app, client, auth, world, make_user, no_dispatch):
    o = _order(app, world, make_user)
    auth.login("baker@example.org")
    page_url = f"/preparation/parts/{o['bread_part']}/lignes/{o['croissant']}/refuser"

    listing = client.get("/preparation")
    form = client.get(page_url)
    token = csrf_token(client, page_url)
    unconfirmed = client.post(page_url, data={"csrf_token": token, "reason": "abime"})
    other_empty = client.post(page_url, data={"csrf_token": token, "reason": "autre", "confirm": "y"})
    foreign = client.get(f"/preparation/parts/{o['brie_part']}/lignes/{o['brie']}/refuser")
    done = client.post(page_url, data={"csrf_token": token, "reason": "autre", "other": "Fournée ratée",
                                       "confirm": "y"})

    assert page_url in listing.get_data(as_text=True)
    assert form.status_code == 200 and "Croissant" in text_of(form)
    assert unconfirmed.status_code == 422 and "Cochez la case pour confirmer le refus." in text_of(unconfirmed)
    assert other_empty.status_code == 422 and "Précisez la raison du refus." in text_of(other_empty)
    assert foreign.status_code == 404
    assert done.status_code == 302 and done.headers["Location"].endswith(f"#part-{o['bread_part']}")
    with app.app_context():
        assert db.session.get(OrderLine, o["croissant"]).refusal_reason == "Fournée ratée"
    after = text_of(client.get("/preparation"))
    assert "refusé : Fournée ratée" in after


def test_api_refuses_a_line_for_the_shop_only(app, client, world, make_user, no_dispatch):
    o = _order(app, world, make_user)
    baker = _token(client, "baker@example.org")
    resident = _token(client, "res@example.org")
    url = f"/api/v1/shop/order-parts/{o['bread_part']}/lines/{o['croissant']}/refuse"

    forbidden = client.post(url, json={"reason": "Rupture de stock"}, headers=resident)
    foreign = client.post(f"/api/v1/shop/order-parts/{o['brie_part']}/lines/{o['brie']}/refuse",
                          json={"reason": "Rupture de stock"}, headers=baker)
    empty = client.post(url, json={"reason": ""}, headers=baker)
    done = client.post(url, json={"reason": "Rupture de stock"}, headers=baker)
    client.post(f"/api/v1/shop/order-parts/{o['bread_part']}/status", json={"status": "preparing"}, headers=baker)
    client.post(f"/api/v1/shop/order-parts/{o['bread_part']}/status", json={"status": "ready"}, headers=baker)
    late = client.post(f"/api/v1/shop/order-parts/{o['bread_part']}/lines/{o['bread']}/refuse",
                       json={"reason": "Rupture de stock"}, headers=baker)

    assert forbidden.status_code == 403
    assert foreign.status_code == 404 and "error" in foreign.json
    assert empty.status_code == 422
    assert done.status_code == 200
    assert done.json["subtotal_cents"] == 240
    refused = next(line for line in done.json["lines"] if line["id"] == o["croissant"])
    assert (refused["is_refused"], refused["refusal_reason"]) == (True, "Rupture de stock")
    assert late.status_code == 409 and late.json["error"]["code"] == "part_not_preparing"


def test_refusing_a_whole_part_from_the_page_needs_its_confirmation(app, client, auth, world, make_user,
                                                                    no_dispatch):
    o = _order(app, world, make_user)
    auth.login("baker@example.org")
    page_url = f"/preparation/parts/{o['bread_part']}/refuser"

    listing = client.get("/preparation")
    token = csrf_token(client, page_url)
    bare = client.post(f"/preparation/parts/{o['bread_part']}/statut", data={"csrf_token": token, "status": "rejected"})
    unconfirmed = client.post(page_url, data={"csrf_token": token})
    foreign = client.get(f"/preparation/parts/{o['brie_part']}/refuser")
    with app.app_context():
        assert db.session.get(OrderPart, o["bread_part"]).status == "received"
    done = client.post(page_url, data={"csrf_token": token, "confirm": "y"})

    assert page_url in listing.get_data(as_text=True)
    assert bare.status_code == 302 and bare.headers["Location"].startswith(page_url)
    assert unconfirmed.status_code == 422 and "Cochez la case pour confirmer le refus." in text_of(unconfirmed)
    assert foreign.status_code == 404
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(OrderPart, o["bread_part"]).status == "rejected"
