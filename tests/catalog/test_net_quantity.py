"""A product sold by the bottle, jar or piece can carry its net quantity (750 ml, 250 g): its price per
kilogram or litre is then shown, set from the shop's form, the shop API and the CSV import."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from shopapp.catalog.models import Product
from shopapp.catalog.pricing import reference_price
from shopapp.core.transaction import commit
from shopapp.dev import demo_data
from shopapp.dev.seed import seed_demo
from shopapp.extensions import db
from tests.conftest import csrf_token, text_of
from tests.orders.conftest import world  # noqa: F401 - fixture reused as it is


@pytest.mark.parametrize(("price", "unit", "net", "expected"), [
    (1200, "bouteille", (750, "ml"), (1600, "l")), (850, "pot", (250, "g"), (3400, "kg")),
    (290, "bouteille", (330, "ml"), (879, "l")), (590, "pièce", (100, "g"), (5900, "kg")),
    (450, "250 g", (None, None), (1800, "kg")), (1200, "bouteille", (None, None), None),
    (2490, "kg", (500, "g"), None), (350, "litre", (750, "ml"), None),
])
def test_reference_price_from_the_net_quantity(price, unit, net, expected):
    assert reference_price(price, unit, *net) == expected


def _set_net(app, product_id, quantity, unit):  # type: ignore[no-untyped-def]
    with app.app_context():
        product = db.session.get(Product, product_id)
        product.net_quantity, product.net_unit = quantity, unit
        commit()


def test_a_bottle_with_its_volume_shows_its_price_per_litre(app, client, world):  # noqa: F811
    shop = world.shop("Cave")
    wine = world.product(shop, "Chinon", 1200, unit="bouteille")
    honey = world.product(shop, "Miel", 850, unit="pot")
    plain = world.product(shop, "Tire-bouchon", 900, unit="pièce")
    _set_net(app, wine, 750, "ml")
    _set_net(app, honey, 250, "g")

    listing = text_of(client.get("/produits"))
    page = text_of(client.get(f"/produits/{wine}"))

    assert "(soit 16,00\u00a0€ TTC / l)" in listing and "(soit 34,00\u00a0€ TTC / kg)" in listing
    assert "(soit 16,00\u00a0€ TTC / l)" in page
    assert listing.count("unit-price") == 2
    assert "unit-price" not in text_of(client.get(f"/produits/{plain}"))


def test_every_demo_product_sold_by_weight_or_volume_shows_its_unit_price(app, client):
    with app.app_context():
        seed_demo()
        commit()
        products = [(p.id, p.unit, p.net_quantity, p.price_cents)
                    for p in db.session.scalars(select(Product).order_by(Product.id))]
    by_weight = [p for p in products if p[1] in ("100 g", "250 g", "500 g") or p[2]]
    assert len(by_weight) >= 100
    for product_id, unit, _quantity, _price in by_weight:
        page = text_of(client.get(f"/produits/{product_id}"))
        assert re.search(r"\(soit \d+,\d\d\u00a0€ TTC / (kg|l)\)", page), (product_id, unit)
    for product_id, unit, _quantity, _price in products:
        if unit in ("kg", "litre"):  # already priced per kilogram or litre
            assert f"/ {unit}" in text_of(client.get(f"/produits/{product_id}"))
    # Every bottle of the demo says what it holds.
    assert {sku for shop in demo_data.SHOPS for sku, _n, unit, *_ in shop["products"] if unit == "bouteille"} <= set(
        demo_data.NET_QUANTITIES)


def test_the_shop_form_sets_and_clears_the_net_quantity(app, client, auth, world):  # noqa: F811
    shop = world.shop("Cave", keeper="cave@example.org")
    wine = world.product(shop, "Chinon", 1200, unit="bouteille")
    auth.login("cave@example.org")
    path = f"/ma-boutique/shop-1/produits/{wine}"
    base = {"sku": "CHI-1", "name": "Chinon", "price": "12,00", "unit": "bouteille", "category": "",
            "vat_rate_bp": "2000", "low_stock_threshold": "3", "is_active": "y"}

    form = text_of(client.get(path))
    missing_unit = client.post(path, data={**base, "csrf_token": csrf_token(client, path), "net_quantity": "750"})
    too_much = client.post(path, data={**base, "csrf_token": csrf_token(client, path), "net_quantity": "0",
                                       "net_unit": "ml"})
    saved = client.post(path, data={**base, "csrf_token": csrf_token(client, path), "net_quantity": "750",
                                    "net_unit": "ml"})
    with app.app_context():
        after_save = db.session.get(Product, wine)
        stored = (after_save.net_quantity, after_save.net_unit)
    cleared = client.post(path, data={**base, "csrf_token": csrf_token(client, path), "net_quantity": "",
                                      "net_unit": ""})

    assert "Quantité nette" in form and 'name="net_unit"' in form
    assert missing_unit.status_code == 422 and "Choisissez g ou ml pour la quantité nette." in text_of(missing_unit)
    assert too_much.status_code == 422 and "Entre 1 et 1 000 000." in text_of(too_much)
    assert saved.status_code == 302 and stored == (750, "ml")
    assert cleared.status_code == 302
    with app.app_context():
        product = db.session.get(Product, wine)
        assert (product.net_quantity, product.net_unit) == (None, None)


def test_the_shop_api_reads_and_writes_the_net_quantity(app, client, world, make_user):  # noqa: F811
    world.shop("Cave", keeper="cave@example.org")
    token = client.post("/api/v1/auth/token", json={"email": "cave@example.org", "password": "motdepasse1"})
    headers = {"Authorization": f"Bearer {token.json['token']}"}
    body = {"sku": "CHI-1", "name": "Chinon", "price_cents": 1200, "unit": "bouteille", "vat_rate_bp": 2000,
            "net_quantity": 750, "net_unit": "ml"}

    created = client.post("/api/v1/shop/products", json=body, headers=headers)
    product_id = created.json["id"]
    public = client.get(f"/api/v1/products/{product_id}").json
    no_unit = client.patch(f"/api/v1/shop/products/{product_id}", json={"net_quantity": 500}, headers=headers)
    bad_unit = client.patch(f"/api/v1/shop/products/{product_id}", json={"net_quantity": 500, "net_unit": "cl"},
                            headers=headers)
    cleared = client.patch(f"/api/v1/shop/products/{product_id}", json={"net_quantity": None, "net_unit": None},
                           headers=headers)

    assert created.status_code == 201, created.json
    assert (created.json["net_quantity"], created.json["net_unit"]) == (750, "ml")
    assert (public["reference_price_cents"], public["reference_unit"]) == (1600, "l")
    assert no_unit.status_code == 422 and no_unit.json["error"]["code"] == "invalid"
    assert bad_unit.status_code == 422
    assert cleared.status_code == 200 and cleared.json["net_quantity"] is None
    assert cleared.json["reference_price_cents"] is None


def test_the_csv_import_reads_an_optional_net_quantity_column(app, client, auth, world):  # noqa: F811
    world.shop("Cave", keeper="cave@example.org")
    auth.login("cave@example.org")
    path = "/ma-boutique/shop-1/import"
    csv = "sku;nom;prix;tva;unité;contenance\nCHI-1;Chinon;12,00;20;bouteille;750 ml\nMIE-1;Miel;8,50;5,5;pot;250g\n"
    bad = "sku;nom;prix;tva;unité;contenance\nCHI-1;Chinon;12,00;20;bouteille;75 cl\n"

    refused = client.post(path, data={"csrf_token": csrf_token(client, path), "file": (_file(bad), "cave.csv")},
                          content_type="multipart/form-data")
    done = client.post(path, data={"csrf_token": csrf_token(client, path), "file": (_file(csv), "cave.csv")},
                       content_type="multipart/form-data")

    assert "Contenance invalide" in text_of(refused)
    assert done.status_code in (200, 302)
    with app.app_context():
        found = {p.sku: (p.net_quantity, p.net_unit) for p in db.session.scalars(select(Product))}
    assert found == {"CHI-1": (750, "ml"), "MIE-1": (250, "g")}


def _file(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())
