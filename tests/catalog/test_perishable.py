"""A product can be marked perishable (bread, cheese, meat, flowers…): from the shop's form, the shop API
and the CSV import; the demo marks its fresh goods perishable, not its wine or books."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from shopapp.catalog.models import Category, Product
from shopapp.core.transaction import commit
from shopapp.dev.seed import seed_demo
from shopapp.extensions import db
from tests.conftest import csrf_token, text_of
from tests.orders.conftest import world  # noqa: F401 - fixture reused as it is


def test_the_shop_form_marks_and_unmarks_a_product_perishable(app, client, auth, world):  # noqa: F811
    shop = world.shop("Boulangerie", keeper="pain@example.org")
    bread = world.product(shop, "Pain", 335)
    auth.login("pain@example.org")
    path = f"/ma-boutique/shop-1/produits/{bread}"
    base = {"sku": "PAIN-1", "name": "Pain", "price": "3,35", "unit": "pièce", "category": "",
            "vat_rate_bp": "550", "low_stock_threshold": "3", "is_active": "y"}

    form = text_of(client.get(path))
    marked = client.post(path, data={**base, "csrf_token": csrf_token(client, path), "is_perishable": "y"})
    with app.app_context():
        after_mark = db.session.get(Product, bread).is_perishable
    page = client.get(path).get_data(as_text=True)
    unmarked = client.post(path, data={**base, "csrf_token": csrf_token(client, path)})

    assert "Produit périssable" in form
    assert marked.status_code == 302 and after_mark is True
    checkbox = re.search(r'<input[^>]*id="is_perishable"[^>]*>', page)
    assert checkbox is not None and "checked" in checkbox.group(0)
    assert unmarked.status_code == 302
    with app.app_context():
        assert db.session.get(Product, bread).is_perishable is False


def test_the_shop_api_reads_and_writes_perishable(app, client, world):  # noqa: F811
    world.shop("Fromagerie", keeper="fromage@example.org")
    token = client.post("/api/v1/auth/token", json={"email": "fromage@example.org", "password": "motdepasse1"})
    headers = {"Authorization": f"Bearer {token.json['token']}"}
    body = {"sku": "COM-1", "name": "Comté", "price_cents": 1299, "unit": "pièce", "vat_rate_bp": 550,
            "perishable": True}

    created = client.post("/api/v1/shop/products", json=body, headers=headers)
    product_id = created.json["id"]
    public = client.get(f"/api/v1/products/{product_id}").json
    untouched = client.patch(f"/api/v1/shop/products/{product_id}", json={"price_cents": 1350}, headers=headers)
    cleared = client.patch(f"/api/v1/shop/products/{product_id}", json={"perishable": False}, headers=headers)
    wrong = client.patch(f"/api/v1/shop/products/{product_id}", json={"perishable": "souvent"}, headers=headers)
    plain = client.post("/api/v1/shop/products", json={**body, "sku": "COM-2", "perishable": None}, headers=headers)

    assert created.status_code == 201 and created.json["perishable"] is True
    assert public["perishable"] is True
    assert untouched.status_code == 200 and untouched.json["perishable"] is True
    assert cleared.status_code == 200 and cleared.json["perishable"] is False
    assert wrong.status_code == 422
    assert plain.status_code == 201 and plain.json["perishable"] is False


def test_the_csv_import_reads_an_optional_perishable_column(app, client, auth, world):  # noqa: F811
    world.shop("Épicerie", keeper="epicerie@example.org")
    auth.login("epicerie@example.org")
    path = "/ma-boutique/shop-1/import"
    csv = "sku;nom;prix;tva;périssable\nPAIN-1;Pain;3,35;5,5;oui\nMIEL-1;Miel;8,50;5,5;non\nTHE-1;Thé;6,00;5,5;\n"
    bad = "sku;nom;prix;tva;périssable\nPAIN-1;Pain;3,35;5,5;parfois\n"

    refused = client.post(path, data={"csrf_token": csrf_token(client, path), "file": (_file(bad), "e.csv")},
                          content_type="multipart/form-data")
    done = client.post(path, data={"csrf_token": csrf_token(client, path), "file": (_file(csv), "e.csv")},
                       content_type="multipart/form-data")

    assert "périssable" in text_of(refused) and "parfois" in text_of(refused)
    assert done.status_code in (200, 302)
    with app.app_context():
        found = {p.sku: p.is_perishable for p in db.session.scalars(select(Product))}
    assert found == {"PAIN-1": True, "MIEL-1": False, "THE-1": False}


def test_the_demo_marks_fresh_goods_perishable_and_not_wine_or_books(app):
    with app.app_context():
        seed_demo()
        commit()
        rows = db.session.execute(select(Category.slug, Product.is_perishable)
                                  .join(Category, Category.id == Product.category_id)).all()
    by_category: dict[str, set[bool]] = {}
    for slug, perishable in rows:
        by_category.setdefault(slug, set()).add(perishable)
    for slug in ("pains", "fromages-a-pate-dure", "viande-de-boeuf", "bouquets", "legumes"):
        assert by_category[slug] == {True}, slug
    for slug in ("vins-rouges", "romans", "cafes-en-grains", "tablettes"):
        assert by_category[slug] == {False}, slug


def _file(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())
