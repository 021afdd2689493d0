"""Alcohol: the health mention beside alcoholic products, and the buyer certifies being 18 or older
before placing an order that holds one (page and API alike); baskets without alcohol are unchanged."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from shopapp.catalog.categories import create_default_categories
from shopapp.catalog.models import Category, Product
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.orders.models import Order
from tests.conftest import csrf_token, text_of
from tests.orders.conftest import world  # noqa: F401 - fixture reused as it is
from tests.orders.services import fill_basket

MENTION = "L'abus d'alcool est dangereux pour la santé, à consommer avec modération."


def _wine(app, world):  # type: ignore[no-untyped-def]  # noqa: F811
    shop = world.shop("Cave")
    wine = world.product(shop, "Chinon", 1200, unit="bouteille", vat_rate_bp=2000)
    with app.app_context():
        category = Category(slug="vins", name="Vins", is_alcoholic=True)
        db.session.add(category)
        db.session.flush()
        db.session.get(Product, wine).category_id = category.id
        commit()
    return shop, wine


def _orders(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count(Order.id))) or 0


def test_alcoholic_products_carry_the_health_mention(app, client, world):  # noqa: F811
    shop, wine = _wine(app, world)
    bread = world.product(shop, "Pain", 120)

    listing = text_of(client.get("/produits"))
    page = text_of(client.get(f"/produits/{wine}"))
    api = client.get(f"/api/v1/products/{wine}").json

    assert listing.count(MENTION) == 1 and MENTION in page
    assert MENTION not in text_of(client.get(f"/produits/{bread}"))
    assert api["alcoholic"] is True
    assert client.get(f"/api/v1/products/{bread}").json["alcoholic"] is False


def test_the_checkout_page_asks_for_the_age_confirmation(app, client, auth, world, make_user):  # noqa: F811
    _shop, wine = _wine(app, world)
    slot = world.slot()
    user = make_user(email="res@example.org")
    fill_basket(app, user, (wine, 1))
    auth.login("res@example.org")

    page = text_of(client.get("/commande"))
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)
    data = {"slot_id": slot, "payment_method": "at_pickup", "accept_terms": "y", "idempotency_key": key}
    refused = client.post("/commande", data={**data, "csrf_token": csrf_token(client, "/commande")})
    orders_after_refusal = _orders(app)
    placed = client.post("/commande", data={**data, "confirm_adult": "y",
                                            "csrf_token": csrf_token(client, "/commande")})

    assert 'name="confirm_adult"' in page and "Je certifie avoir 18 ans ou plus" in page
    assert refused.status_code == 422
    assert "Confirmez que vous avez 18 ans ou plus pour acheter de l'alcool." in text_of(refused)
    assert orders_after_refusal == 0
    assert placed.status_code == 302 and _orders(app) == 1
    assert world.stock(wine) == (10, 1)


def test_a_basket_without_alcohol_asks_nothing_more(app, client, auth, world, make_user):  # noqa: F811
    shop = world.shop()
    bread = world.product(shop, "Pain", 120)
    slot = world.slot()
    user = make_user(email="res@example.org")
    fill_basket(app, user, (bread, 1))
    auth.login("res@example.org")

    page = text_of(client.get("/commande"))
    placed = client.post("/commande", data={"slot_id": slot, "payment_method": "at_pickup", "accept_terms": "y",
                                            "idempotency_key": "k1", "csrf_token": csrf_token(client, "/commande")})

    assert 'name="confirm_adult"' not in page
    assert placed.status_code == 302 and _orders(app) == 1


def test_the_order_api_requires_confirm_adult_for_alcohol(app, client, world, make_user):  # noqa: F811
    shop, wine = _wine(app, world)
    bread = world.product(shop, "Pain", 120)
    slot = world.slot()
    make_user(email="res@example.org")
    token = client.post("/api/v1/auth/token", json={"email": "res@example.org", "password": "motdepasse1"})
    headers = {"Authorization": f"Bearer {token.json['token']}"}
    client.post("/api/v1/basket/lines", json={"product_id": bread, "quantity": 1}, headers=headers)
    client.post("/api/v1/basket/lines", json={"product_id": wine, "quantity": 2}, headers=headers)
    body = {"pickup_slot_id": slot, "payment_method": "at_pickup"}

    missing = client.post("/api/v1/orders", json=body, headers=headers)
    declined = client.post("/api/v1/orders", json={**body, "confirm_adult": False}, headers=headers)
    orders_after_refusal = _orders(app)
    placed = client.post("/api/v1/orders", json={**body, "confirm_adult": True}, headers=headers)

    for refused in (missing, declined):
        assert refused.status_code == 422
        assert refused.json["error"]["code"] == "adult_confirmation_required"
        assert "18 ans" in refused.json["error"]["message"]
    assert orders_after_refusal == 0 and world.stock(wine) == (10, 2)
    assert placed.status_code == 201 and placed.json["total_cents"] == 2520


def test_the_order_api_without_alcohol_is_unchanged(app, client, world, make_user):  # noqa: F811
    shop = world.shop()
    bread = world.product(shop, "Pain", 120)
    slot = world.slot()
    make_user(email="res@example.org")
    token = client.post("/api/v1/auth/token", json={"email": "res@example.org", "password": "motdepasse1"})
    headers = {"Authorization": f"Bearer {token.json['token']}"}
    client.post("/api/v1/basket/lines", json={"product_id": bread, "quantity": 1}, headers=headers)

    placed = client.post("/api/v1/orders", json={"pickup_slot_id": slot, "payment_method": "at_pickup"},
                         headers=headers)

    assert placed.status_code == 201


def test_the_default_wine_beer_and_spirits_categories_are_alcoholic(app):
    with app.app_context():
        create_default_categories()
        commit()
        flags = {c.slug: c.is_alcoholic for c in db.session.scalars(select(Category))}
    assert {slug for slug, alcoholic in flags.items() if alcoholic} == {
        "vins-spiritueux", "vins-rouges", "vins-blancs", "vins-roses", "bieres-artisanales", "cidres", "spiritueux"}
    assert not flags["jus-limonades"] and not flags["pains"]
