"""An admin acts for a shop: a banner, shop access through catalog/access.py, every change logged with both ids."""

from __future__ import annotations

from sqlalchemy import select

from shopapp.association.models import ActingLog, ShopDecision
from shopapp.catalog.models import Product, Shop
from shopapp.extensions import db
from tests.association.conftest import post
from tests.conftest import Auth, csrf_token, text_of


def _shop(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        shop = Shop(slug="fromagerie-lucas", name="Fromagerie Lucas", trade="Fromagerie", status="approved")
        db.session.add(shop)
        db.session.commit()
        return shop.id


def _log(app) -> list[tuple]:  # type: ignore[no-untyped-def]
    with app.app_context():
        rows = db.session.execute(select(ActingLog.admin_id, ActingLog.shop_id, ActingLog.method, ActingLog.path,
                                         ActingLog.endpoint).order_by(ActingLog.id)).all()
        return [tuple(r) for r in rows]


def test_acting_for_a_shop_shows_a_banner_and_logs_each_change_with_both_identities(app, client, admin):
    shop_id = _shop(app)

    started = post(client, "/association/boutiques/fromagerie-lucas/agir")

    assert started.status_code == 302
    assert "Vous agissez pour Fromagerie Lucas" in text_of(client.get("/compte"))
    created = client.post("/api/v1/shop/products", json={"sku": "COMTE", "name": "Comté", "price_cents": 450,
                                                         "unit": "pièce", "vat_rate_bp": 550},
                          headers={"X-CSRFToken": csrf_token(client, "/compte")})
    invited = post(client, "/boutique/equipe/inviter", {"name": "Inès", "email": "ines@example.org"},
                   "/boutique/equipe")

    assert (created.status_code, invited.status_code) == (201, 302)
    with app.app_context():
        assert db.session.scalar(select(Product.shop_id)) == shop_id
        decision = db.session.scalar(select(ShopDecision))
        assert (decision.action, decision.actor_id, decision.shop_id) == ("staff_invited", admin, shop_id)
    assert _log(app) == [
        (admin, shop_id, "POST", "/association/boutiques/fromagerie-lucas/agir", "association.act_start"),
        (admin, shop_id, "POST", "/api/v1/shop/products", "catalog_api.shop_create_product"),
        (admin, shop_id, "POST", "/boutique/equipe/inviter", "shop_team.team_invite"),
    ]

    stopped = post(client, "/association/agir/arreter")

    assert stopped.status_code == 302
    assert "Vous agissez pour" not in text_of(client.get("/compte"))
    after = client.post("/api/v1/shop/products", json={"sku": "BRIE", "name": "Brie", "price_cents": 300,
                                                       "unit": "pièce", "vat_rate_bp": 550},
                        headers={"X-CSRFToken": csrf_token(client, "/compte")})
    assert after.status_code == 403
    assert len(_log(app)) == 4 and _log(app)[3][4] == "association.act_stop"
    assert "/api/v1/shop/products" in text_of(client.get("/association/boutiques/fromagerie-lucas"))


def test_only_admins_can_act_for_a_shop(app, client, make_user):
    _shop(app)
    make_user(email="lucas@example.org", roles=("shopkeeper",))
    Auth(client).login("lucas@example.org")

    response = client.post("/association/boutiques/fromagerie-lucas/agir",
                           data={"csrf_token": csrf_token(client, "/compte")})

    assert response.status_code == 403
    assert _log(app) == []
    assert "Vous agissez pour" not in text_of(client.get("/compte"))


def test_an_admin_not_acting_is_not_staff_of_any_shop(app, client, admin):
    _shop(app)

    response = client.get("/api/v1/shop/products?shop=fromagerie-lucas")

    assert response.status_code == 403


def test_acting_admin_uses_the_shops_html_back_office_and_each_change_is_logged(app, client, admin):
    shop_id = _shop(app)
    post(client, "/association/boutiques/fromagerie-lucas/agir")

    listing = client.get("/ma-boutique/fromagerie-lucas/produits")
    created = post(client, "/ma-boutique/fromagerie-lucas/produits/nouveau",
                   {"sku": "COMTE", "name": "Comté 18 mois", "price": "4,50", "unit": "kg", "vat_rate_bp": "550",
                    "category": "", "stock": "5", "low_stock_threshold": "3", "is_active": "y"},
                   "/ma-boutique/fromagerie-lucas/produits/nouveau")

    assert listing.status_code == 200
    assert created.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Product.name).where(Product.shop_id == shop_id)) == "Comté 18 mois"
    assert _log(app)[-1] == (admin, shop_id, "POST", "/ma-boutique/fromagerie-lucas/produits/nouveau",
                             "catalog.bo_new_product")
    post(client, "/association/agir/arreter")
    assert client.get("/ma-boutique/fromagerie-lucas/produits").status_code == 403
