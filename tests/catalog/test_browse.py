"""Public browsing: API lists, filters, sorting, pagination, pages; no N+1."""

from __future__ import annotations

import pytest

from tests.conftest import IS_POSTGRES, text_of


@pytest.fixture
def town(catalog):  # type: ignore[no-untyped-def]
    catalog.category("fromagerie", "Fromagerie")
    catalog.category("chevre", "Fromages de chèvre", parent="fromagerie")
    catalog.category("pains", "Pains")
    fromagerie = catalog.shop("fromagerie-loire", "Fromagerie de la Loire")
    boulangerie = catalog.shop("boulangerie-pont", "Boulangerie du Pont")
    hidden = catalog.shop("en-attente", "Boutique en attente", status="pending")
    ids = {
        "chevre": catalog.product(fromagerie, "FRO-1", "Fromage de chèvre", price_cents=650, category="chevre",
                                  labels=["bio", "local"], stock=4),
        "tomme": catalog.product(fromagerie, "FRO-2", "Tomme fermière", price_cents=1890, category="fromagerie",
                                 stock=0),
        "pain": catalog.product(boulangerie, "PAI-1", "Pain complet", price_cents=320, category="pains",
                                labels=["bio"], stock=12),
        "retire": catalog.product(boulangerie, "PAI-2", "Pain retiré", category="pains", active=False),
        "cache": catalog.product(hidden, "X-1", "Produit caché", category="pains"),
    }
    return ids


def test_product_list_has_the_contract_shape(client, town):
    response = client.get("/api/v1/products?sort=name")

    assert response.status_code == 200
    body = response.json
    assert (body["page"], body["per_page"], body["total"]) == (1, 20, 3)
    assert [item["name"] for item in body["items"]] == ["Fromage de chèvre", "Pain complet", "Tomme fermière"]
    first = body["items"][0]
    assert first == {
        "id": town["chevre"], "sku": "FRO-1", "name": "Fromage de chèvre", "slug": "fromage-de-chevre",
        "price_cents": 650, "currency": "EUR", "unit": "pièce", "stock_available": 4, "image_url": None,
        "net_quantity": None, "net_unit": None, "reference_price_cents": None, "reference_unit": None,
        "alcoholic": False, "perishable": False,
        "merchant": {"id": first["merchant"]["id"], "slug": "fromagerie-loire", "name": "Fromagerie de la Loire"},
        "category": {"id": first["category"]["id"], "slug": "chevre", "name": "Fromages de chèvre"},
    }


@pytest.mark.parametrize(("query", "expected"), [
    ("merchant=boulangerie-pont", ["Pain complet"]),
    ("category=fromagerie", ["Fromage de chèvre", "Tomme fermière"]),
    ("category=chevre", ["Fromage de chèvre"]),
    ("label=bio", ["Fromage de chèvre", "Pain complet"]),
    ("label=local", ["Fromage de chèvre"]),
    ("in_stock=1", ["Fromage de chèvre", "Pain complet"]),
    ("merchant=en-attente", []),
    ("q=pain", ["Pain complet"]),
    # Each added filter leaves out a product the others would list (both cheeses match "fromagerie" by
    # their category; the Tomme is out of stock and not labelled local).
    ("q=fromagerie", ["Fromage de chèvre", "Tomme fermière"]),
    ("q=fromagerie&in_stock=1", ["Fromage de chèvre"]),
    ("q=fromagerie&label=local", ["Fromage de chèvre"]),
    ("category=fromagerie&in_stock=1", ["Fromage de chèvre"]),
])
def test_product_filters(client, town, query, expected):
    response = client.get(f"/api/v1/products?sort=name&{query}")

    assert [item["name"] for item in response.json["items"]] == expected
    assert response.json["total"] == len(expected)


@pytest.mark.parametrize(("sort", "expected"), [
    ("price", ["Pain complet", "Fromage de chèvre", "Tomme fermière"]),
    ("-price", ["Tomme fermière", "Fromage de chèvre", "Pain complet"]),
    ("new", ["Pain complet", "Tomme fermière", "Fromage de chèvre"]),
])
def test_product_sorting(client, town, sort, expected):
    assert [item["name"] for item in client.get(f"/api/v1/products?sort={sort}").json["items"]] == expected


def test_pagination(client, town):
    second = client.get("/api/v1/products?sort=name&per_page=2&page=2").json

    assert [item["name"] for item in second["items"]] == ["Tomme fermière"]
    assert (second["page"], second["per_page"], second["total"]) == (2, 2, 3)


@pytest.mark.parametrize("query", ["per_page=101", "per_page=0", "page=0", "sort=random", "page=abc"])
def test_bad_list_parameters_are_422(client, town, query):
    response = client.get(f"/api/v1/products?{query}")

    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid"


def test_unknown_category_is_404(client, town):
    assert client.get("/api/v1/products?category=nope").status_code == 404


def test_product_detail(client, town):
    body = client.get(f"/api/v1/products/{town['chevre']}").json

    assert body["description"] == ""
    assert body["labels"] == ["bio", "local"]
    assert body["allergens"] == []
    assert body["vat_rate_bp"] == 550
    assert body["stock_available"] == 4


@pytest.mark.parametrize("key", ["retire", "cache"])
def test_inactive_products_and_unapproved_shops_are_404(client, town, key):
    assert client.get(f"/api/v1/products/{town[key]}").status_code == 404
    assert client.get(f"/produits/{town[key]}").status_code == 404


def test_merchants_and_categories(client, town):
    merchants = client.get("/api/v1/merchants").json
    categories = client.get("/api/v1/categories").json

    assert [m["slug"] for m in merchants["items"]] == ["boulangerie-pont", "fromagerie-loire"]
    assert set(merchants["items"][0]) >= {"id", "slug", "name", "trade", "description", "logo_url"}
    assert client.get("/api/v1/merchants/fromagerie-loire").json["name"] == "Fromagerie de la Loire"
    assert client.get("/api/v1/merchants/en-attente").status_code == 404
    assert [(c["slug"], c["parent_id"] is not None) for c in categories["items"]] == [
        ("fromagerie", False), ("chevre", True), ("pains", False)]


@pytest.mark.parametrize("per_page", [10, 100])
def test_list_uses_a_constant_number_of_statements(app, client, catalog, count_statements, per_page):
    catalog.category("pains", "Pains")
    shops = [catalog.shop(f"boutique-{n}") for n in range(5)]
    from shopapp.catalog import services
    from shopapp.extensions import db

    with app.app_context():
        for n in range(100):
            services.create_product(shops[n % 5], services.ProductData(
                sku=f"P-{n}", name=f"Produit {n}", price_cents=100 + n, unit="pièce", category_slug="pains",
                vat_rate_bp=550, stock=n % 3))
        db.session.commit()

    with count_statements() as api_statements:
        api = client.get(f"/api/v1/products?per_page={per_page}")
    with count_statements() as page_statements:
        page = client.get(f"/produits?categorie=pains&page=1&per_page={per_page}")

    assert api.status_code == 200 and len(api.json["items"]) == per_page
    assert page.status_code == 200
    assert len(api_statements) == 2  # the rows (shop, category, stock joined) and the count
    # + the category and its children (one), + the filter's category list, + the venue's name in the layout
    assert len(page_statements) == 5


def test_product_page_shop_page_and_category_page(client, town):
    product = client.get(f"/produits/{town['chevre']}")
    shop = client.get("/boutiques/fromagerie-loire")
    category = client.get("/categories/fromagerie")

    assert product.status_code == 200
    html = text_of(product)
    assert "<h1>Fromage de chèvre</h1>" in html
    assert 'alt="Fromage de chèvre"' in html and "placeholder.svg" in html
    assert "6,50\u00a0€" in html
    assert "Fromage de chèvre" in text_of(shop) and "Tomme fermière" in text_of(shop)
    assert "Pain complet" not in text_of(shop)
    assert "Fromages de chèvre" in text_of(category) and "Tomme fermière" in text_of(category)
    assert client.get("/boutiques/en-attente").status_code == 404


def test_home_links_shop_cards_to_shop_pages(client, town):
    assert 'href="/boutiques/fromagerie-loire"' in text_of(client.get("/"))


@pytest.mark.skipif(not IS_POSTGRES, reason="the plan asked of PostgreSQL (SQLite's planner is another)")
@pytest.mark.parametrize("filters", [{}, {"q": "pain"}, {"shop_slug": "boulangerie-pont"}])
def test_the_lists_count_reads_the_active_products_index(app, town, filters):
    from sqlalchemy import event

    from shopapp.catalog import queries
    from shopapp.extensions import db

    with app.app_context():
        sent: list[tuple[str, object]] = []

        def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            sent.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            found = queries.list_products(queries.ProductFilters(**filters), per_page=50)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        count, parameters = next((s, p) for s, p in sent if s.lstrip().startswith("SELECT count(*)"))
        connection = db.session.connection()
        # The test's tables are too small and too fresh for the planner to prefer an index on its own.
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        connection.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
        # Nor does it tell apart, without statistics, the indexes that lead with shop_id: the others are dropped
        # inside this transaction (rolled back below), leaving the partial index, the primary key or a scan.
        for constraint in connection.exec_driver_sql(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'product'::regclass AND contype = 'u'").scalars():
            connection.exec_driver_sql(f'ALTER TABLE product DROP CONSTRAINT "{constraint}"')
        for index in connection.exec_driver_sql(
                "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'product'::regclass"
                " AND NOT indisprimary AND indexrelid <> 'ix_product_active_shop_id_id'::regclass").scalars():
            connection.exec_driver_sql(f"DROP INDEX {index}")
        plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + count, parameters))
        db.session.rollback()

    assert found.total == len(found.items) > 0
    # "Index Only Scan" once the table's visibility map is set (autovacuum); a fresh test table may need its rows.
    assert "using ix_product_active_shop_id_id on product" in plan, plan
    assert "stock_record" not in plan
    # The shops shown are read once, before (an InitPlan): no join of every product with its shop.
    assert "InitPlan" in plan, plan
    assert "shop.id = product.shop_id" not in plan and "product.shop_id = shop.id" not in plan, plan


@pytest.mark.parametrize("sort", ["relevance", "name", "price", "-price", "new"])
def test_pages_of_a_search_follow_one_another_in_the_order_of_the_whole_list(app, client, catalog, sort):
    # The page's products are chosen from narrow rows, then read whole: the pages must still cut one order.
    catalog.category("pains", "Pains")
    shops = [catalog.shop(f"boutique-{n}") for n in range(3)]
    from shopapp.catalog import services
    from shopapp.extensions import db

    with app.app_context():
        for n in range(23):
            name = f"Pain de campagne {n % 4}" if n % 2 else f"Pain aux céréales et pain de mie {n}"
            services.create_product(shops[n % 3], services.ProductData(
                sku=f"P-{n}", name=name, price_cents=300 + 10 * (n % 5), unit="pièce", category_slug="pains",
                vat_rate_bp=550, stock=n % 3))
        db.session.commit()

    whole = client.get(f"/api/v1/products?q=pain&sort={sort}&per_page=100").json
    pages = [client.get(f"/api/v1/products?q=pain&sort={sort}&per_page=5&page={page}").json for page in range(1, 6)]

    assert whole["total"] == 23 and all(page["total"] == 23 for page in pages)
    assert [item["id"] for page in pages for item in page["items"]] == [item["id"] for item in whole["items"]]
    if sort == "price":
        prices = [item["price_cents"] for item in whole["items"]]
        assert prices == sorted(prices)
