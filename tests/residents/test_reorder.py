"""Order again: a past order's products go back into the basket, as far as they can still be sold."""

from __future__ import annotations

from shopapp.catalog.models import Product, StockRecord
from shopapp.extensions import db
from tests.conftest import csrf_token, text_of
from tests.orders.services import checkout, fill_basket


def _token(client, email):  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/auth/token", json={"email": email, "password": "motdepasse1"})
    return {"Authorization": f"Bearer {response.json['token']}"}


def _past_order(app, world, user_id):  # type: ignore[no-untyped-def]
    shop = world.shop("Boulangerie Aurore")
    bread = world.product(shop, "Baguette", 120, stock=10)
    cake = world.product(shop, "Flan pâtissier", 300, stock=10)
    eggs = world.product(shop, "Œufs fermiers", 250, stock=10)
    jam = world.product(shop, "Confiture de fraises", 450, stock=10)
    fill_basket(app, user_id, (bread, 2), (cake, 1), (eggs, 3), (jam, 1))
    order_id = checkout(app, user_id, world.slot())
    return order_id, bread, cake, eggs, jam


def _set(app, product_id, *, active=True, on_hand=None):  # type: ignore[no-untyped-def]
    with app.app_context():
        product = db.session.get(Product, product_id)
        product.is_active = active
        if on_hand is not None:
            record = db.session.get(StockRecord, product.stock.id)
            record.on_hand = record.allocated + on_hand
        db.session.commit()


def test_reorder_adds_what_is_still_sold_and_says_what_is_not(app, client, world, make_user):
    user = make_user(email="res@example.org")
    order_id, bread, cake, eggs, jam = _past_order(app, world, user)
    _set(app, cake, active=False)       # withdrawn by the shop
    _set(app, eggs, on_hand=1)          # 3 bought, 1 left
    _set(app, jam, on_hand=0)           # sold out
    h = _token(client, "res@example.org")

    response = client.post(f"/api/v1/orders/{order_id}/reorder", headers=h)

    assert response.status_code == 200
    assert response.json["added"] == [{"product_id": bread, "quantity": 2}, {"product_id": eggs, "quantity": 1}]
    assert response.json["unavailable"] == [
        {"product_id": cake, "name": "Flan pâtissier", "reason": "withdrawn"},
        {"product_id": eggs, "name": "Œufs fermiers", "reason": "reduced"},
        {"product_id": jam, "name": "Confiture de fraises", "reason": "sold_out"},
    ]
    basket = response.json["basket"]
    assert [(line["product_id"], line["quantity"]) for line in basket["lines"]] == [(bread, 2), (eggs, 1)]
    assert (basket["item_count"], basket["total_cents"]) == (3, 2 * 120 + 250)
    assert client.get("/api/v1/basket", headers=h).json == basket


def test_reorder_twice_never_goes_past_the_stock(app, client, world, make_user):
    user = make_user(email="res@example.org")
    order_id, bread, *_ = _past_order(app, world, user)
    _set(app, bread, on_hand=3)
    h = _token(client, "res@example.org")

    client.post(f"/api/v1/orders/{order_id}/reorder", headers=h)
    again = client.post(f"/api/v1/orders/{order_id}/reorder", headers=h)

    lines = {line["product_id"]: line["quantity"] for line in again.json["basket"]["lines"]}
    assert lines[bread] == 3
    assert {"product_id": bread, "quantity": 1} in again.json["added"]


def test_reorder_of_someone_elses_order_is_404_and_changes_nothing(app, client, world, make_user):
    owner = make_user(email="owner@example.org")
    make_user(email="other@example.org")
    order_id, *_ = _past_order(app, world, owner)
    h = _token(client, "other@example.org")

    response = client.post(f"/api/v1/orders/{order_id}/reorder", headers=h)

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert client.get("/api/v1/basket", headers=h).json["lines"] == []
    assert client.post("/api/v1/orders/999999/reorder", headers=h).status_code == 404


def test_reorder_needs_a_log_in(app, client, world, make_user):
    owner = make_user(email="owner@example.org")
    order_id, *_ = _past_order(app, world, owner)

    assert client.post(f"/api/v1/orders/{order_id}/reorder").status_code == 401


def test_order_page_button_fills_the_basket_and_tells_what_is_missing(app, client, auth, world, make_user):
    user = make_user(email="res@example.org")
    order_id, _bread, cake, eggs, jam = _past_order(app, world, user)
    _set(app, cake, active=False)
    _set(app, eggs, on_hand=1)
    _set(app, jam, on_hand=0)
    auth.login("res@example.org")
    page = client.get(f"/mes-commandes/{order_id}")
    token = csrf_token(client, f"/mes-commandes/{order_id}")

    refused = client.post(f"/mes-commandes/{order_id}/commander-a-nouveau")
    response = client.post(f"/mes-commandes/{order_id}/commander-a-nouveau", data={"csrf_token": token},
                           follow_redirects=True)

    assert "Commander à nouveau" in text_of(page)
    assert refused.status_code == 400
    assert response.request.path == "/panier"
    text = text_of(response)
    assert "3 articles ajoutés à votre panier." in text
    assert "« Flan pâtissier » n'est plus proposé." in text
    assert "« Œufs fermiers » : stock insuffisant, 1 ajouté au lieu de 3." in text
    assert "« Confiture de fraises » est en rupture de stock." in text


def test_order_page_reorder_of_someone_elses_order_is_404(app, client, auth, world, make_user):
    owner = make_user(email="owner@example.org")
    make_user(email="other@example.org")
    order_id, *_ = _past_order(app, world, owner)
    auth.login("other@example.org")
    token = csrf_token(client, "/mes-commandes")

    response = client.post(f"/mes-commandes/{order_id}/commander-a-nouveau", data={"csrf_token": token})

    assert response.status_code == 404
    assert client.get("/api/v1/basket").json["lines"] == []
