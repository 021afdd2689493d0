"""A resident's favourites are in their data export and go with their account."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from shopapp.catalog.models import FavouriteProduct, FavouriteShop
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.privacy import gdpr


def test_favourites_are_exported_and_deleted_with_the_account(app, client, auth, world, make_user):
    shop = world.shop("Boulangerie Aurore")
    bread = world.product(shop, "Baguette")
    user = make_user(email="res@example.org")
    headers = {"Authorization": "Bearer " + client.post(
        "/api/v1/auth/token", json={"email": "res@example.org", "password": "motdepasse1"}).json["token"]}
    client.put(f"/api/v1/favourites/products/{bread}", headers=headers)
    client.put("/api/v1/favourites/shops/shop-1", headers=headers)
    auth.login("res@example.org")

    data = json.loads(client.get("/compte/mes-donnees.json").data)
    with app.app_context():
        gdpr.delete_account(user)
        commit()
        left = [db.session.scalar(select(func.count()).select_from(m)) for m in (FavouriteProduct, FavouriteShop)]

    assert [p["name"] for p in data["favourites"]["products"]] == ["Baguette"]
    assert [s["name"] for s in data["favourites"]["shops"]] == ["Boulangerie Aurore"]
    assert left == [0, 0]
