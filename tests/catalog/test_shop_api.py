"""The shop API: a shopkeeper's products and stock, per-shop till tokens, and isolation between shops."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.catalog.conftest import api_token, bearer
from tests.conftest import csrf_token, text_of


@pytest.fixture
def two_shops(catalog, make_user):  # type: ignore[no-untyped-def]
    catalog.category("pains", "Pains")
    alice = make_user(email="alice@example.org", roles=("shopkeeper",))
    bruno = make_user(email="bruno@example.org", roles=("shopkeeper",))
    shop_a = catalog.shop("boutique-a", "Boutique A", staff=(alice,))
    shop_b = catalog.shop("boutique-b", "Boutique B", staff=(bruno,))
    return {
        "a": shop_a, "b": shop_b, "alice": alice, "bruno": bruno,
        "pa": catalog.product(shop_a, "A-1", "Pain A", stock=5, category="pains"),
        "pb": catalog.product(shop_b, "B-1", "Pain B", stock=7, category="pains"),
    }


def test_shopkeeper_lists_and_creates_products(client, catalog, two_shops):
    token = api_token(client, "alice@example.org")

    listed = client.get("/api/v1/shop/products", headers=bearer(token))
    created = client.post("/api/v1/shop/products", headers=bearer(token), json={
        "sku": "A-2", "name": "Pain complet", "price_cents": 380, "unit": "pièce", "category": "pains",
        "vat_rate_bp": 550, "labels": ["bio"], "stock": 6})

    assert [item["sku"] for item in listed.json["items"]] == ["A-1"]
    assert listed.json["items"][0]["stock"] == {"product_id": two_shops["pa"], "on_hand": 5, "allocated": 0,
                                                "available": 5, "low_stock_threshold": 3}
    assert created.status_code == 201
    assert (created.json["name"], created.json["price_cents"], created.json["stock"]["on_hand"]) == (
        "Pain complet", 380, 6)
    assert catalog.movements(created.json["id"]) == [(created.json["id"], 6, "stock initial")]


def test_patch_changes_given_fields_only(client, two_shops):
    token = api_token(client, "alice@example.org")

    response = client.patch(f"/api/v1/shop/products/{two_shops['pa']}", headers=bearer(token),
                            json={"price_cents": 420, "active": False})

    assert response.status_code == 200
    assert (response.json["price_cents"], response.json["active"], response.json["name"]) == (420, False, "Pain A")
    assert client.get(f"/api/v1/products/{two_shops['pa']}").status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"sku": "A-1", "name": "Doublon", "price_cents": 1, "unit": "pièce", "vat_rate_bp": 550}, "sku"),
    ({"sku": "A-3", "name": "Prix", "price_cents": -1, "unit": "pièce", "vat_rate_bp": 550}, "price_cents"),
    ({"sku": "A-3", "name": "TVA", "price_cents": 1, "unit": "pièce", "vat_rate_bp": 700}, "vat_rate_bp"),
    ({"sku": "A-3", "name": "Unité", "price_cents": 1, "unit": "tonne", "vat_rate_bp": 550}, "unit"),
    ({"sku": "A-3", "name": "Cat", "price_cents": 1, "unit": "pièce", "vat_rate_bp": 550, "category": "x"},
     "category"),
])
def test_invalid_product_is_refused_and_nothing_changes(client, catalog, two_shops, body, field):
    token = api_token(client, "alice@example.org")
    before = catalog.snapshot()

    response = client.post("/api/v1/shop/products", headers=bearer(token), json=body)

    assert response.status_code in (409, 422)
    assert field in response.json["error"]["fields"]
    assert catalog.snapshot() == before


def test_stock_set_and_movements(client, catalog, two_shops):
    token = api_token(client, "alice@example.org")
    pa = two_shops["pa"]

    put = client.put(f"/api/v1/shop/products/{pa}/stock", headers=bearer(token),
                     json={"quantity": 12, "reason": "inventaire"})
    moved = client.post(f"/api/v1/shop/products/{pa}/stock-movements", headers=bearer(token),
                        json={"delta": -2, "reason": "casse"})
    listed = client.get(f"/api/v1/shop/products/{pa}/stock-movements", headers=bearer(token))

    assert put.status_code == 200 and put.json["on_hand"] == 12
    assert moved.status_code == 201 and moved.json["on_hand"] == 10
    assert [(m["delta"], m["on_hand_after"], m["reason"]) for m in listed.json["items"]] == [
        (-2, 10, "casse"), (7, 12, "inventaire"), (5, 5, "stock initial")]
    assert listed.json["items"][0]["actor_id"] == two_shops["alice"]


def test_stock_never_goes_negative(client, catalog, two_shops):
    token = api_token(client, "alice@example.org")
    pa = two_shops["pa"]

    response = client.post(f"/api/v1/shop/products/{pa}/stock-movements", headers=bearer(token),
                           json={"delta": -6, "reason": "erreur"})
    negative = client.put(f"/api/v1/shop/products/{pa}/stock", headers=bearer(token),
                          json={"quantity": -1, "reason": "x"})

    assert response.status_code == 409 and response.json["error"]["code"] == "insufficient_stock"
    assert negative.status_code == 422
    assert catalog.stock(pa) == (5, 0)
    assert catalog.movements(pa) == [(pa, 5, "stock initial")]


@pytest.mark.parametrize(("method", "path", "body"), [
    ("get", "/api/v1/shop/products/{pb}", None),
    ("patch", "/api/v1/shop/products/{pb}", {"price_cents": 1}),
    ("put", "/api/v1/shop/products/{pb}/stock", {"quantity": 0, "reason": "vol"}),
    ("post", "/api/v1/shop/products/{pb}/stock-movements", {"delta": -7, "reason": "vol"}),
    ("get", "/api/v1/shop/products/{pb}/stock-movements", None),
    ("get", "/api/v1/shop/products?shop=boutique-b", None),
])
def test_shopkeeper_of_a_cannot_touch_shop_b_through_the_api(client, catalog, two_shops, method, path, body):
    token = api_token(client, "alice@example.org")
    before = catalog.snapshot()

    response = getattr(client, method)(path.format(pb=two_shops["pb"]), headers=bearer(token), json=body)

    assert response.status_code == 404
    assert catalog.snapshot() == before
    assert catalog.movements(two_shops["pb"]) == [(two_shops["pb"], 7, "stock initial")]


def test_residents_get_403_and_anonymous_401(client, make_user, two_shops):
    make_user(email="rita@example.org")
    token = api_token(client, "rita@example.org")

    assert client.get("/api/v1/shop/products", headers=bearer(token)).status_code == 403
    assert client.get("/api/v1/shop/products").status_code == 401


def _issue_shop_token(client, auth, email, shop_slug, label="Caisse"):  # type: ignore[no-untyped-def]
    import re

    auth.login(email)
    page = client.post(f"/ma-boutique/{shop_slug}/jetons", follow_redirects=True,
                       data={"label": label, "csrf_token": csrf_token(client, f"/ma-boutique/{shop_slug}/jetons")})
    match = re.search(r"<code>(amcshop_[^<]+)</code>", page.get_data(as_text=True))
    assert match, text_of(page)
    auth.logout()
    return match.group(1)


def test_shop_token_reads_and_sets_its_own_shop_stock_only(app, client, auth, catalog, two_shops):
    plain = _issue_shop_token(client, auth, "alice@example.org", "boutique-a")
    till = app.test_client()
    before_b = catalog.snapshot()

    listed = till.get("/api/v1/shop/products", headers=bearer(plain))
    put = till.put(f"/api/v1/shop/products/{two_shops['pa']}/stock", headers=bearer(plain),
                   json={"quantity": 3, "reason": "caisse"})
    other = till.put(f"/api/v1/shop/products/{two_shops['pb']}/stock", headers=bearer(plain),
                     json={"quantity": 0, "reason": "caisse"})
    other_shop = till.get("/api/v1/shop/products?shop=boutique-b", headers=bearer(plain))
    create = till.post("/api/v1/shop/products", headers=bearer(plain), json={
        "sku": "T-1", "name": "Par la caisse", "price_cents": 1, "unit": "pièce", "vat_rate_bp": 550})

    assert [item["sku"] for item in listed.json["items"]] == ["A-1"]
    assert put.status_code == 200 and put.json["on_hand"] == 3
    assert other.status_code == 404 and other_shop.status_code == 404
    assert create.status_code == 403
    assert catalog.stock(two_shops["pb"]) == (7, 0)
    assert [row for row in catalog.snapshot() if row[1] == two_shops["b"]] == [
        row for row in before_b if row[1] == two_shops["b"]]
    from shopapp.catalog.models import StockMovement
    from shopapp.extensions import db

    with app.app_context():
        last = db.session.scalars(select(StockMovement).order_by(StockMovement.id.desc())).first()
        assert (last.delta, last.actor_id, last.shop_token_id is not None) == (-2, None, True)


def test_shop_tokens_are_hashed_shown_once_and_revocable(app, client, auth, catalog, two_shops):
    plain = _issue_shop_token(client, auth, "alice@example.org", "boutique-a")
    from shopapp.catalog.models import ShopApiToken
    from shopapp.extensions import db

    with app.app_context():
        stored = db.session.scalars(select(ShopApiToken)).all()
        token_id = stored[0].id
    assert len(stored) == 1 and plain not in stored[0].token_hash and len(stored[0].token_hash) == 64
    auth.login("alice@example.org")
    assert plain not in text_of(client.get("/ma-boutique/boutique-a/jetons"))

    client.post(f"/ma-boutique/boutique-a/jetons/{token_id}/revoquer",
                data={"csrf_token": csrf_token(client, "/ma-boutique/boutique-a/jetons")})

    refused = app.test_client().put(f"/api/v1/shop/products/{two_shops['pa']}/stock", headers=bearer(plain),
                                    json={"quantity": 0, "reason": "caisse"})
    assert refused.status_code == 401
    assert catalog.stock(two_shops["pa"]) == (5, 0)


def test_shopkeeper_of_b_cannot_see_or_revoke_shop_a_tokens(app, client, auth, catalog, two_shops):
    plain = _issue_shop_token(client, auth, "alice@example.org", "boutique-a", label="Caisse secrète")
    from shopapp.catalog.models import ShopApiToken
    from shopapp.extensions import db

    with app.app_context():
        token_id = db.session.scalar(select(ShopApiToken.id))
    auth.login("bruno@example.org")
    token = csrf_token(client, "/ma-boutique/boutique-b/jetons")

    page = client.get("/ma-boutique/boutique-a/jetons")
    revoke_a = client.post(f"/ma-boutique/boutique-a/jetons/{token_id}/revoquer", data={"csrf_token": token})
    revoke_b = client.post(f"/ma-boutique/boutique-b/jetons/{token_id}/revoquer", data={"csrf_token": token})

    assert page.status_code == 404 and revoke_a.status_code == 404 and revoke_b.status_code == 404
    assert "Caisse secrète" not in text_of(client.get("/ma-boutique/boutique-b/jetons"))
    assert app.test_client().get("/api/v1/shop/products", headers=bearer(plain)).status_code == 200


def test_unknown_shop_token_is_401(client, two_shops):
    assert client.get("/api/v1/shop/products", headers=bearer("amcshop_nope")).status_code == 401


def test_shop_api_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]

    assert {"get", "post"} <= set(paths["/api/v1/shop/products"])
    assert "put" in paths["/api/v1/shop/products/{product_id}/stock"]
    assert "get" in paths["/api/v1/products"]
