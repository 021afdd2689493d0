"""Public catalog answers are cached a few seconds when the cache is on (it is off in the other tests)."""

from __future__ import annotations

from shopapp.catalog.models import Product
from shopapp.extensions import cache, db


def test_a_public_list_is_served_from_the_cache_until_it_expires(app, client, catalog, caching):
    shop = catalog.shop("boulangerie-aurore", "Boulangerie Aurore")
    product_id = catalog.product(shop, "BAG-1", "Baguette tradition", price_cents=130, stock=10)

    first = client.get("/api/v1/products?q=baguette")
    with app.app_context():
        db.session.get(Product, product_id).name = "Baguette de campagne"
        db.session.commit()
    cached = client.get("/api/v1/products?q=baguette")
    cache.clear()
    fresh = client.get("/api/v1/products?q=baguette")

    assert first.json["items"][0]["name"] == "Baguette tradition"
    assert cached.json == first.json
    assert cached.headers["X-Request-ID"] != first.headers["X-Request-ID"]
    assert fresh.json["items"][0]["name"] == "Baguette de campagne"


def test_errors_are_not_cached(client, catalog, caching):
    missing = client.get("/api/v1/merchants/boulangerie-aurore")
    catalog.shop("boulangerie-aurore", "Boulangerie Aurore")
    found = client.get("/api/v1/merchants/boulangerie-aurore")
    refused = client.get("/api/v1/products?per_page=500")
    listed = client.get("/api/v1/products")

    # The same URL answered 404, then 200 once the shop exists: the 404 was not kept in the cache.
    assert (missing.status_code, found.status_code) == (404, 200)
    assert found.json["slug"] == "boulangerie-aurore"
    assert (refused.status_code, listed.status_code) == (422, 200)
