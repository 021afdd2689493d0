"""Suspension and reinstatement: a suspended shop disappears from pages, API and search; every decision logged."""

from __future__ import annotations

from sqlalchemy import select

from shopapp.association.models import ShopDecision
from shopapp.catalog.models import Product, Shop, StockRecord
from shopapp.extensions import db
from tests.association.conftest import post
from tests.conftest import text_of


def _shop_with_product(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        shop = Shop(slug="fromagerie-lucas", name="Fromagerie Lucas", trade="Fromagerie", status="approved")
        db.session.add(shop)
        db.session.flush()
        product = Product(shop_id=shop.id, sku="COMTE", name="Comté affiné", slug="comte-affine", price_cents=450)
        product.stock = StockRecord(on_hand=5)
        db.session.add(product)
        db.session.commit()
        return product.id


def _visible(client, product_id: int) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    return {
        "home": "Fromagerie Lucas" in text_of(client.get("/")),
        "shop_page": client.get("/boutiques/fromagerie-lucas").status_code == 200,
        "product_page": client.get(f"/produits/{product_id}").status_code == 200,
        "api_merchants": [m["slug"] for m in client.get("/api/v1/merchants").json["items"]] == ["fromagerie-lucas"],
        "api_product": client.get(f"/api/v1/products/{product_id}").status_code == 200,
        "search": [p["id"] for p in client.get("/api/v1/products?q=comte").json["items"]] == [product_id],
    }


def test_a_suspended_shop_disappears_everywhere_and_comes_back_when_reinstated(app, client, admin):
    product_id = _shop_with_product(app)
    visitor = app.test_client()
    assert set(_visible(visitor, product_id).values()) == {True}

    suspended = post(client, "/association/boutiques/fromagerie-lucas/suspendre",
                     {"suspend-reason": "Fermeture administrative"})

    assert suspended.status_code == 302
    assert _visible(visitor, product_id) == {key: False for key in _visible(visitor, product_id)}

    reinstated = post(client, "/association/boutiques/fromagerie-lucas/retablir", {"reinstate-reason": "Rouverte"})

    assert reinstated.status_code == 302
    assert set(_visible(visitor, product_id).values()) == {True}
    with app.app_context():
        rows = db.session.execute(select(ShopDecision.action, ShopDecision.reason, ShopDecision.actor_id)
                                  .order_by(ShopDecision.id)).all()
        assert [tuple(r) for r in rows] == [("suspend", "Fermeture administrative", admin),
                                            ("reinstate", "Rouverte", admin)]
    page = text_of(client.get("/association/boutiques/fromagerie-lucas"))
    assert "Boutique suspendue" in page and "Fermeture administrative" in page and "Alice Admin" in page


def test_suspending_without_a_reason_changes_nothing(app, client, admin):
    _shop_with_product(app)

    response = post(client, "/association/boutiques/fromagerie-lucas/suspendre", {"suspend-reason": ""})

    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Shop.status)) == "approved"
        assert db.session.scalars(select(ShopDecision)).all() == []


def test_reinstating_an_approved_shop_is_a_conflict(app, client, admin):
    _shop_with_product(app)

    response = post(client, "/association/boutiques/fromagerie-lucas/retablir")

    assert response.status_code == 409
    with app.app_context():
        assert db.session.scalars(select(ShopDecision)).all() == []
