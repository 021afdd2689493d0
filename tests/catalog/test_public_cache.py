"""Public catalog answers are cached a few seconds when the cache is on (it is off in the other tests)."""

from __future__ import annotations

import time

import pytest

from shopapp.catalog.models import Product
from shopapp.core import lru, page_cache
from shopapp.extensions import cache, db
from tests.conftest import IS_POSTGRES


def test_a_public_list_is_served_from_the_cache_until_it_expires(app, client, catalog, caching):
    shop = catalog.shop("boulangerie-aurore", "Boulangerie Aurore")
    product_id = catalog.product(shop, "BAG-1", "Baguette tradition", price_cents=130, stock=10)

    first = client.get("/api/v1/products?q=baguette")
    with app.app_context():
        db.session.get(Product, product_id).name = "Baguette de campagne"
        db.session.commit()
    cached = client.get("/api/v1/products?q=baguette")
    with app.app_context():
        page_cache.clear()  # the shared cache and this process's copies
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


@pytest.mark.skipif(not IS_POSTGRES, reason="the shared cache is Redis (services backend)")
def test_each_process_keeps_a_kept_list_until_its_shared_copy_expires_never_longer(
        app, catalog, caching, count_statements, monkeypatch):
    shop = catalog.shop("boulangerie-aurore", "Boulangerie Aurore")
    product_id = catalog.product(shop, "BAG-1", "Baguette tradition", price_cents=130, stock=10)
    first = app.test_client().get("/produits")  # rendered, kept in Redis and in this process
    with app.app_context():
        db.session.get(Product, product_id).name = "Baguette de campagne"
        db.session.commit()
        cache.clear()  # Redis only: this process still holds its copy, until the shared copy's deadline
    with count_statements() as seen:
        again = app.test_client().get("/produits")
    assert again.get_data() == first.get_data() and seen == []  # no database, no Redis copy needed

    later = time.time() + app.config["CACHE_DEFAULT_TIMEOUT"] + 1
    monkeypatch.setattr(lru, "time", lambda: later)  # the shared copy's deadline has passed
    fresh = app.test_client().get("/produits").get_data(as_text=True)
    assert "Baguette de campagne" in fresh and "Baguette tradition" not in fresh


def test_the_near_cache_forgets_an_entry_at_its_deadline(monkeypatch):
    near = lru.NearCache(entries=10)
    now = 1_000_000.0
    monkeypatch.setattr(lru, "time", lambda: now)
    near.set("list", b"page", deadline=now + 10)
    near.set("versioned", b"product page")  # keyed by its data's version: no deadline
    assert near.get("list") == b"page"
    now += 10
    assert near.get("list") is None and near.get("versioned") == b"product page"
