"""French search: accents, case, plurals, ranking, shop and category names; the same cases on both engines."""

from __future__ import annotations

import pytest


@pytest.fixture
def shelves(catalog):  # type: ignore[no-untyped-def]
    catalog.category("cremerie", "Crèmerie")
    catalog.category("fromages", "Fromages")
    catalog.category("pains", "Pains")
    fromagerie = catalog.shop("fromagerie", "Fromagerie Martin")
    boulangerie = catalog.shop("boulangerie", "Boulangerie du Pont")
    catalog.product(fromagerie, "C-1", "Crème fraîche épaisse", category="cremerie",
                    description="Une crème crue de Normandie.")
    catalog.product(fromagerie, "C-2", "Fromage de chèvre", category="fromages", description="Affiné trois semaines.")
    catalog.product(fromagerie, "C-3", "Bûche cendrée", category="fromages", description="Pâte molle au lait cru.")
    catalog.product(boulangerie, "P-1", "Pain de campagne", category="pains",
                    description="Farine de blé et de seigle, pain complet en goût.")
    catalog.product(boulangerie, "P-2", "Pain complet", category="pains", description="Farine complète bio.")
    catalog.product(boulangerie, "P-3", "Croissant au beurre", category="pains", description="Pur beurre.")
    catalog.product(boulangerie, "P-4", "Œufs frais", category="cremerie", description="La douzaine.")


def _names(client, q, extra=""):  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/products", query_string={"q": q} | dict([extra.split("=")] if extra else []))
    assert response.status_code == 200, response.json
    return [item["name"] for item in response.json["items"]]


@pytest.mark.parametrize(("query", "expected"), [
    ("creme", "Crème fraîche épaisse"),
    ("CRÈME FRAICHE", "Crème fraîche épaisse"),
    ("fromages", "Fromage de chèvre"),
    ("fromage", "Fromage de chèvre"),
    ("chevres", "Fromage de chèvre"),
    ("croissants", "Croissant au beurre"),
    ("oeuf", "Œufs frais"),
])
def test_accent_case_and_plural_insensitive(client, shelves, query, expected):
    assert _names(client, query)[0] == expected


def test_pain_complet_ranks_whole_wheat_bread_first(client, shelves):
    assert _names(client, "pain complet") == ["Pain complet", "Pain de campagne"]


def test_shop_name_and_category_name_are_searched(client, shelves):
    assert sorted(_names(client, "boulangerie")) == ["Croissant au beurre", "Pain complet", "Pain de campagne",
                                                     "Œufs frais"]
    assert sorted(_names(client, "fromages")) == ["Bûche cendrée", "Fromage de chèvre"]


def test_every_word_must_match(client, shelves):
    assert _names(client, "pain chèvre") == []


def test_search_combines_with_filters(client, shelves):
    assert _names(client, "frais", "merchant=boulangerie") == ["Œufs frais"]


@pytest.mark.parametrize("query", [
    "l'huile", "100%", "50 % bio", '"crème', 'crème"', "crè*", "*", "creme NEAR fraiche", "NEAR(a b)",
    "-pain", "pain -complet", "pain OR", "AND", "a:b", "(", ")", "^", "{}", "\\", "';--", "_", "%_%", "é" * 300,
])
def test_special_characters_are_plain_text(client, shelves, query):
    response = client.get("/api/v1/products", query_string={"q": query[:200]})

    assert response.status_code == 200
    assert isinstance(response.json["items"], list)


def test_operators_are_words_not_syntax(client, shelves):
    assert _names(client, "-pain complet") == ["Pain complet", "Pain de campagne"]
    assert _names(client, '"fromage"') == ["Fromage de chèvre", "Bûche cendrée"]
    assert _names(client, "crème*") == ["Crème fraîche épaisse"]


def test_renaming_a_shop_or_product_updates_the_index(app, client, shelves):
    from sqlalchemy import select

    from shopapp.catalog.models import Product, Shop
    from shopapp.extensions import db

    with app.app_context():
        db.session.scalar(select(Shop).where(Shop.slug == "fromagerie")).name = "Crèmerie Lefèvre"
        db.session.scalar(select(Product).where(Product.sku == "P-3")).name = "Chausson aux pommes"
        db.session.commit()

    assert "Bûche cendrée" in _names(client, "lefevre")
    assert _names(client, "chausson") == ["Chausson aux pommes"]
    assert _names(client, "croissant") == []


def test_search_page_shows_results(client, shelves):
    from tests.conftest import text_of

    html = text_of(client.get("/produits", query_string={"q": "creme"}))

    assert "Résultats pour « creme »" in html and "Crème fraîche épaisse" in html


def test_seeded_demo_products_are_searchable(app, client):
    from shopapp.core.transaction import commit
    from shopapp.dev.seed import seed_demo

    with app.app_context():
        seed_demo()
        commit()

    assert _names(client, "creme")
    assert any("Fromage" in name or "chèvre" in name.lower() for name in _names(client, "fromages"))
