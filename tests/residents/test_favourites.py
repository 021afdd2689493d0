"""Favourite products and shops: the API (idempotent, 204), the heart buttons and the "Mes favoris" page."""

from __future__ import annotations

from sqlalchemy import func, select

from shopapp.catalog.models import FavouriteProduct, FavouriteShop, Product
from shopapp.extensions import db
from tests.conftest import csrf_token, text_of


def _token(client, email):  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/auth/token", json={"email": email, "password": "motdepasse1"})
    return {"Authorization": f"Bearer {response.json['token']}"}


def _count(app, model):  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_favourites_api_is_idempotent(app, client, world, make_user):
    shop = world.shop("Boulangerie Aurore")
    bread = world.product(shop, "Baguette")
    make_user(email="res@example.org")
    h = _token(client, "res@example.org")

    puts = [client.put(f"/api/v1/favourites/products/{bread}", headers=h) for _ in range(2)]
    shop_puts = [client.put("/api/v1/favourites/shops/shop-1", headers=h) for _ in range(2)]
    listed = client.get("/api/v1/favourites", headers=h)
    counts = (_count(app, FavouriteProduct), _count(app, FavouriteShop))
    deletes = [client.delete(f"/api/v1/favourites/products/{bread}", headers=h) for _ in range(2)]
    shop_deletes = [client.delete("/api/v1/favourites/shops/shop-1", headers=h) for _ in range(2)]

    assert [r.status_code for r in puts + shop_puts + deletes + shop_deletes] == [204] * 8
    assert all(r.get_data() == b"" for r in puts + deletes)
    assert counts == (1, 1)
    assert [p["id"] for p in listed.json["products"]] == [bread]
    assert listed.json["products"][0]["name"] == "Baguette"
    assert [(s["slug"], s["name"]) for s in listed.json["shops"]] == [("shop-1", "Boulangerie Aurore")]
    assert client.get("/api/v1/favourites", headers=h).json == {"products": [], "shops": []}


def test_favourites_api_refuses_unknown_things_and_strangers(app, client, world, make_user):
    shop = world.shop()
    bread = world.product(shop)
    make_user(email="res@example.org")
    make_user(email="other@example.org")
    h = _token(client, "res@example.org")
    client.put(f"/api/v1/favourites/products/{bread}", headers=h)

    assert client.put("/api/v1/favourites/products/999999", headers=h).status_code == 404
    assert client.put("/api/v1/favourites/shops/nowhere", headers=h).json["error"]["code"] == "not_found"
    assert client.get("/api/v1/favourites").status_code == 401
    assert client.put(f"/api/v1/favourites/products/{bread}").status_code == 401
    assert client.get("/api/v1/favourites", headers=_token(client, "other@example.org")).json["products"] == []


def test_withdrawn_products_leave_the_list(app, client, world, make_user):
    shop = world.shop()
    bread = world.product(shop)
    make_user(email="res@example.org")
    h = _token(client, "res@example.org")
    client.put(f"/api/v1/favourites/products/{bread}", headers=h)
    with app.app_context():
        db.session.get(Product, bread).is_active = False
        db.session.commit()

    assert client.get("/api/v1/favourites", headers=h).json["products"] == []


def test_heart_buttons_work_without_javascript_and_fill_the_favourites_page(app, client, auth, world, make_user):
    shop = world.shop("Boulangerie Aurore")
    bread = world.product(shop, "Baguette")
    make_user(email="res@example.org")
    auth.login("res@example.org")
    token = csrf_token(client, f"/produits/{bread}")
    product_page = client.get(f"/produits/{bread}").get_data(as_text=True)

    refused = client.post(f"/favoris/produits/{bread}", data={"action": "add"})
    added = client.post(f"/favoris/produits/{bread}",
                        data={"action": "add", "csrf_token": token, "next": f"/produits/{bread}"})
    shop_added = client.post("/favoris/boutiques/shop-1", data={"action": "add", "csrf_token": token})
    page = client.get("/mes-favoris")
    shop_page = client.get("/boutiques/shop-1").get_data(as_text=True)
    bad = client.post(f"/favoris/produits/{bread}", data={"action": "explode", "csrf_token": token})
    off = client.post(f"/favoris/produits/{bread}",
                      data={"action": "remove", "csrf_token": token, "next": "https://evil.example/"})

    assert 'aria-pressed="false"' in product_page and "Ajouter à mes favoris" in product_page
    assert refused.status_code == 400
    assert added.status_code == 302 and added.headers["Location"] == f"/produits/{bread}"
    assert shop_added.headers["Location"] == "/boutiques/shop-1"
    assert page.status_code == 200
    text = text_of(page)
    assert "Mes favoris" in text and "Baguette" in text and "Boulangerie Aurore" in text
    assert 'aria-pressed="true"' in shop_page
    assert bad.status_code == 400
    assert off.headers["Location"] == f"/produits/{bread}"
    assert _count(app, FavouriteProduct) == 0 and _count(app, FavouriteShop) == 1


def test_favourites_page_needs_a_log_in_and_is_in_the_menu(app, client, auth, make_user):
    make_user(email="res@example.org")

    anonymous = client.get("/mes-favoris")
    auth.login("res@example.org")
    home = client.get("/").get_data(as_text=True)
    empty = text_of(client.get("/mes-favoris"))

    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
    assert 'href="/mes-favoris"' in home
    assert "Aucune boutique en favori" in empty and "Aucun produit en favori" in empty
