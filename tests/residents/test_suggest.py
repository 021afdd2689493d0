"""Search suggestions: from the first letters, accent-, case- and ligature-insensitive, best first, at most 8."""

from __future__ import annotations

from shopapp.catalog.models import Category, Shop
from shopapp.extensions import db


def _category(app, name, slug):  # type: ignore[no-untyped-def]
    with app.app_context():
        category = Category(name=name, slug=slug)
        db.session.add(category)
        db.session.commit()
        return category.id


def _town(app, world):  # type: ignore[no-untyped-def]
    bakery = world.shop("Boulangerie Aurore")
    dairy = world.shop("La Crèmerie du marché")
    world.product(bakery, "Boule de campagne")
    world.product(bakery, "Pain au levain")
    cream = world.product(dairy, "Crème fraîche épaisse")
    eggs = world.product(dairy, "Œufs fermiers")
    world.product(dairy, "Bœuf bourguignon")
    category = _category(app, "Boulangerie", "boulangerie")
    return bakery, dairy, cream, eggs, category


def _suggest(client, q):  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/search/suggest", query_string={"q": q})
    assert response.status_code == 200
    return [(item["kind"], item["label"]) for item in response.json["items"]]


def test_crem_suggests_creme_whatever_the_accents(app, client, world):
    _bakery, dairy, cream, _eggs, _category_id = _town(app, world)

    items = client.get("/api/v1/search/suggest?q=crem").json["items"]

    assert [(item["kind"], item["label"]) for item in items] == [
        ("product", "Crème fraîche épaisse"), ("shop", "La Crèmerie du marché")]
    assert items[0] == {"kind": "product", "id": cream, "label": "Crème fraîche épaisse",
                        "url": f"/produits/{cream}"}
    assert items[1]["url"] == "/boutiques/shop-2" and items[1]["id"] == dairy
    assert _suggest(client, "CRÈM") == _suggest(client, "crem")


def test_oeu_suggests_oeufs_spelled_with_the_ligature(app, client, world):
    _bakery, _dairy, _cream, eggs, _category_id = _town(app, world)

    items = client.get("/api/v1/search/suggest?q=oeu").json["items"]

    assert [(item["kind"], item["id"], item["label"]) for item in items] == [("product", eggs, "Œufs fermiers")]
    assert _suggest(client, "œu") == _suggest(client, "oeu")
    assert _suggest(client, "boeuf") == [("product", "Bœuf bourguignon")]


def test_boul_suggests_the_bakery_the_aisle_then_the_products(app, client, world):
    bakery, *_rest, category = _town(app, world)

    items = client.get("/api/v1/search/suggest?q=boul").json["items"]

    assert [(item["kind"], item["label"]) for item in items] == [
        ("shop", "Boulangerie Aurore"), ("category", "Boulangerie"), ("product", "Boule de campagne")]
    assert items[0]["id"] == bakery and items[1] == {"kind": "category", "id": category, "label": "Boulangerie",
                                                     "url": "/categories/boulangerie"}


def test_at_most_eight_suggestions(app, client, world):
    shop = world.shop("Fromagerie Comté")
    for n in range(12):
        world.product(shop, f"Comté {n + 1} mois")

    assert len(_suggest(client, "com")) == 8


def test_suggestions_leave_out_what_is_not_sold(app, client, world):
    shop = world.shop("Fromagerie Comté")
    world.product(shop, "Comté 18 mois")
    with app.app_context():
        db.session.get(Shop, shop).status = "suspended"
        db.session.commit()

    assert _suggest(client, "comt") == []
    assert _suggest(client, "") == []
    assert _suggest(client, "'%\"*") == []
    assert client.get("/api/v1/search/suggest", query_string={"q": "x" * 201}).status_code == 422


def test_every_page_has_the_header_search_submitting_to_the_catalog_search(app, client, world):
    _town(app, world)

    html = client.get("/").get_data(as_text=True)
    results = client.get("/produits", query_string={"q": "creme"}).get_data(as_text=True)

    assert 'action="/produits"' in html and 'id="site-search"' in html and 'name="q"' in html
    assert 'aria-controls="site-search-suggestions"' not in html  # the combobox roles come with the script
    assert 'role="listbox"' in html and "js/header.js" in html
    assert "Crème fraîche épaisse" in results
