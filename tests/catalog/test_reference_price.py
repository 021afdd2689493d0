"""The price per kilogram beside every product sold by a known weight (100 g, 250 g, 500 g), on the
product lists and the product page; none beside a product sold by the piece."""

from __future__ import annotations

import pytest

from shopapp.catalog.pricing import reference_price
from tests.conftest import text_of
from tests.orders.conftest import world  # noqa: F401 - fixture reused as it is


@pytest.mark.parametrize(("price", "unit", "expected"), [
    (450, "250 g", (1800, "kg")), (199, "100 g", (1990, "kg")), (333, "500 g", (666, "kg")),
    (1, "250 g", (4, "kg")), (2490, "kg", None), (350, "litre", None), (120, "pièce", None),
])
def test_reference_price_is_exact_to_the_cent(price, unit, expected):
    assert reference_price(price, unit) == expected


def test_every_product_sold_by_weight_shows_its_price_per_kilogram(client, world):  # noqa: F811
    shop = world.shop("Fromagerie Lucas")
    comte = world.product(shop, "Comté 18 mois", 450, unit="250 g")
    olives = world.product(shop, "Olives", 199, unit="100 g")
    bread = world.product(shop, "Baguette", 120, unit="pièce")

    listing = text_of(client.get("/produits"))
    page = text_of(client.get(f"/produits/{comte}"))

    assert "(soit 18,00\u00a0€ TTC / kg)" in listing and "(soit 19,90\u00a0€ TTC / kg)" in listing
    assert "(soit 18,00\u00a0€ TTC / kg)" in page
    assert listing.count("unit-price") == 2
    assert "unit-price" not in text_of(client.get(f"/produits/{bread}"))
    assert olives
