"""One-tap add to basket: without JavaScript the form comes back to the page it was sent from, the
script gets JSON; sold-out and low-stock states on the product cards."""

from __future__ import annotations

import re

from sqlalchemy import select

from shopapp.extensions import db
from shopapp.orders.models import Basket
from tests.conftest import csrf_token, text_of


def _add(client, product_id, quantity=1, next_url=None, json=False):  # type: ignore[no-untyped-def]
    data = {"csrf_token": csrf_token(client, "/panier"), "product_id": product_id, "quantity": quantity}
    if next_url is not None:
        data["next"] = next_url
    headers = {"Accept": "application/json"} if json else {}
    return client.post("/panier/ajouter", data=data, headers=headers)


def _lines(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        basket = db.session.scalar(select(Basket))
        return sorted((line.product_id, line.quantity) for line in basket.lines) if basket else []


def _card_form(html: str, product_id: int) -> str:
    start = html.index(f'name="product_id" value="{product_id}"')
    return html[start:html.index("</form>", start)]


def test_the_add_button_posts_back_to_the_page_it_is_on(app, client, world):
    shop = world.shop("Boulangerie Aurore")
    bread = world.product(shop, "Baguette", stock=5)

    page = client.get("/produits?q=baguette").get_data(as_text=True)
    response = _add(client, bread, 2, next_url="/produits?q=baguette")
    back = client.get(response.headers["Location"]).get_data(as_text=True)

    assert 'name="next" value="/produits?q=baguette"' in _card_form(page, bread)
    assert response.status_code == 302 and response.headers["Location"] == "/produits?q=baguette"
    assert "Ajouté à votre panier." in back
    assert re.search(r'data-basket-count aria-hidden="true" class="badge">2<', back) and "2 articles" in back
    assert _lines(app) == [(bread, 2)]


def test_an_off_site_next_goes_to_the_basket_instead(client, world):
    bread = world.product(world.shop(), "Baguette", stock=5)

    response = _add(client, bread, 1, next_url="//evil.example/x")

    assert response.status_code == 302 and response.headers["Location"] == "/panier"


def test_too_much_keeps_the_resident_on_the_page_with_a_french_message(app, client, world):
    bread = world.product(world.shop(), "Baguette", stock=2)

    response = _add(client, bread, 3, next_url="/produits")
    back = text_of(client.get("/produits"))

    assert response.status_code == 302 and response.headers["Location"] == "/produits"
    assert "Il ne reste que 2 « Baguette »." in back
    assert _lines(app) == []


def test_the_script_gets_the_new_count_or_the_reason_in_json(app, client, world):
    shop = world.shop()
    bread = world.product(shop, "Baguette", stock=5)
    brie = world.product(shop, "Brie", stock=1)

    first = _add(client, bread, 1, next_url="/produits", json=True)
    second = _add(client, brie, 1, next_url="/produits", json=True)
    refused = _add(client, brie, 1, next_url="/produits", json=True)

    assert first.status_code == 200 and first.get_json()["count"] == 1
    assert second.get_json() == {"count": 2, "message": "Ajouté à votre panier.", "label": "2 articles",
                                 "status": "Votre panier contient 2 articles."}
    assert refused.status_code == 422
    assert refused.get_json()["error"]["message"] == "Il ne reste que 1 « Brie »."
    assert _lines(app) == sorted([(bread, 1), (brie, 1)])


def test_the_quantity_is_capped_at_the_stock_and_low_stock_is_shown(client, world):
    shop = world.shop()
    few = world.product(shop, "Paris-Brest", stock=2)
    many = world.product(shop, "Baguette", stock=500)

    html = client.get("/produits").get_data(as_text=True)

    assert 'max="2"' in _card_form(html, few) and 'max="99"' in _card_form(html, many)
    assert "Plus que 2" in text_of(client.get("/produits?q=paris"))


def test_a_sold_out_product_has_a_disabled_button_and_no_quantity(client, world):
    shop = world.shop()
    gone = world.product(shop, "Tarte au citron", stock=0)

    form = _card_form(client.get("/produits").get_data(as_text=True), gone)

    assert "disabled" in form and "Épuisé" in form
    assert 'name="quantity"' not in form and "Ajouter au panier" not in form
