"""Anonymous catalog pages without a session or token (the form gets its token when used), and
conditional GET (`ETag`, `304 Not Modified`) on catalog pages and the catalog API."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from shopapp.extensions import db
from shopapp.orders.models import BasketLine
from tests.orders.conftest import World

COOKIE = "session"


@pytest.fixture
def catalog(app: Any, make_user: Any) -> dict[str, Any]:
    world = World(app, make_user)
    shop = world.shop("Boulangerie Aurore")
    bread = world.product(shop, "Baguette", 130, stock=30)
    return {"bread": bread}


def _tokens(html: str) -> list[str]:
    return re.findall(r'name="csrf_token"(?: type="hidden")? value="([^"]*)"', html)


def _lines(app: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count(BasketLine.id))) or 0)


@pytest.mark.parametrize("path", ["/produits", "/produits?q=baguette", "/boutiques/shop-1", "PRODUCT"])
def test_an_anonymous_catalog_page_sets_no_cookie_and_answers_304_when_unchanged(app, catalog, path):
    client = app.test_client()
    path = f"/produits/{catalog['bread']}" if path == "PRODUCT" else path

    first = client.get(path)

    assert first.status_code == 200
    assert "Set-Cookie" not in first.headers
    assert client.get_cookie(COOKIE) is None
    html = first.get_data(as_text=True)
    assert "Baguette" in html
    assert set(_tokens(html)) == {""}  # every form waits for its token
    assert first.headers["Cache-Control"] == "no-cache"
    etag = first.headers["ETag"]

    again = app.test_client().get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert "Set-Cookie" not in again.headers


def test_a_changed_page_gets_a_new_etag(app, catalog):
    from shopapp.catalog.models import Product

    client = app.test_client()
    etag = client.get("/produits").headers["ETag"]
    with app.app_context():
        db.session.get(Product, catalog["bread"]).price_cents = 150
        db.session.commit()

    changed = client.get("/produits", headers={"If-None-Match": etag})

    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert "1,50" in changed.get_data(as_text=True)


def test_the_form_fetches_its_token_when_used_and_adds_to_the_basket(app, catalog):
    client = app.test_client()
    assert client.get("/produits").status_code == 200

    token = client.get("/jeton-csrf", headers={"Accept": "application/json"})
    assert token.headers["Cache-Control"] == "no-store"
    assert client.get_cookie(COOKIE) is not None  # the session starts when a form is used
    added = client.post("/panier/ajouter", data={"csrf_token": token.json["csrf_token"],
                                                 "product_id": catalog["bread"], "quantity": 2, "next": "/produits"},
                        headers={"Accept": "application/json"})

    assert added.status_code == 200, added.get_data(as_text=True)
    assert added.json["count"] == 2
    assert _lines(app) == 1


def test_without_javascript_the_empty_token_post_asks_to_confirm_then_adds(app, catalog):
    client = app.test_client()
    form = {"csrf_token": "", "product_id": str(catalog["bread"]), "quantity": "1", "next": "/produits"}

    confirm = client.post("/panier/ajouter", data=form)

    assert confirm.status_code == 200
    assert _lines(app) == 0  # nothing done without a token
    html = confirm.get_data(as_text=True)
    assert "Confirmer votre demande" in html
    (token,) = [t for t in _tokens(html) if t][:1]
    assert f'name="product_id" value="{catalog["bread"]}"' in html
    done = client.post("/panier/ajouter", data={**form, "csrf_token": token})
    assert done.status_code == 302
    assert _lines(app) == 1


def test_a_post_without_a_valid_token_is_still_refused_once_a_session_exists(app, catalog):
    client = app.test_client()
    client.get("/jeton-csrf")
    form = {"product_id": str(catalog["bread"]), "quantity": "1"}

    assert client.post("/panier/ajouter", data={**form, "csrf_token": ""}).status_code == 400
    assert client.post("/panier/ajouter", data=form).status_code == 400
    assert client.post("/panier/ajouter", data={**form, "csrf_token": "forged"}).status_code == 400
    assert _lines(app) == 0


def test_a_visitor_with_a_session_still_gets_tokens_in_catalog_forms(app, catalog):
    client = app.test_client()
    token = client.get("/jeton-csrf").json["csrf_token"]

    html = client.get("/produits").get_data(as_text=True)

    # A token is the session's secret signed with the time: one minted a second later differs in its
    # timestamp and signature, never in the secret it carries.
    tokens = _tokens(html)
    assert tokens and all(tokens)
    assert {t.split(".")[0] for t in tokens} == {token.split(".")[0]}


@pytest.mark.parametrize("path", ["/api/v1/products?page=1", "PRODUCT", "/api/v1/merchants", "/api/v1/categories"])
def test_catalog_api_answers_304_when_unchanged(app, catalog, path):
    client = app.test_client()
    path = f"/api/v1/products/{catalog['bread']}" if path == "PRODUCT" else path

    first = client.get(path)
    assert first.status_code == 200 and "ETag" in first.headers
    assert "Set-Cookie" not in first.headers

    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
