"""`read_alone` on PostgreSQL sends a statement SQLAlchemy adds nothing to straight to the driver
(shopapp/core/transaction.py, `_plain`): the rows must be those SQLAlchemy's execution gives."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Numeric, bindparam, cast, select
from sqlalchemy.orm import Session

from shopapp.catalog import queries
from shopapp.catalog.models import Product, Shop, ShopStatus
from shopapp.core import transaction
from shopapp.core.transaction import read_alone
from shopapp.extensions import db
from tests.conftest import IS_POSTGRES


def test_the_drivers_rows_are_sqlalchemys_and_statements_needing_it_still_go_through_it(app, catalog):  # type: ignore[no-untyped-def]
    # On PostgreSQL a plain statement goes straight to the driver (`_plain`): the same rows as SQLAlchemy's
    # execution gives, with their Python types (JSON lists, datetimes), parameters given and the statement's own.
    shop = catalog.shop("fromagerie-lucas", "Fromagerie Lucas")
    product_id = catalog.product(shop, "COM-1", "Comté 18 mois", price_cents=2450, stock=4)
    with app.app_context():
        found = db.session.get(Product, product_id)
        found.labels, found.allergens = ["AOP"], ["lait"]
        db.session.commit()
    with app.app_context():
        page = queries._product_page_statements(db.engine.dialect.name)[1]
    by_status = select(Shop.slug).where(Shop.status == bindparam("status", type_=Shop.status.type))
    numeric = select(cast(Product.price_cents, Numeric(10, 2)) / 100).where(Product.id == product_id)
    by_ids = select(Product.id).where(Product.id.in_(bindparam("ids", expanding=True)))
    with app.app_context():
        with Session(db.engine) as session:  # SQLAlchemy's own execution, in a transaction
            expected = [tuple(row) for row in session.execute(page, {"product_id": product_id})]
        rows = read_alone(page, {"product_id": product_id})
        assert [tuple(row) for row in rows] == expected and len(expected) == 1
        assert ["AOP"] in expected[0] and ["lait"] in expected[0]
        assert [tuple(row) for row in read_alone(by_status, {"status": ShopStatus.APPROVED})] == [("fromagerie-lucas",)]
        assert [tuple(row) for row in read_alone(by_ids, {"ids": [product_id, 0]})] == [(product_id,)]
        if IS_POSTGRES:
            assert transaction._plain(page, db.engine.dialect) is not None  # the driver's path was taken
            assert transaction._plain(by_ids, db.engine.dialect) is None  # an expanding IN: SQLAlchemy's
            assert transaction._plain(numeric, db.engine.dialect) is None  # its processor needs the type code
            assert [tuple(row) for row in read_alone(numeric)] == [(Decimal("24.50"),)]


def test_one_products_version_is_read_by_a_plain_statement_and_matches_the_batchs(app, catalog):  # type: ignore[no-untyped-def]
    # Most early answers ask for one product's version: on PostgreSQL that statement goes to the driver (no
    # expanding IN), and gives the version the batch read and the page's own statement give.
    shop = catalog.shop("fromagerie-lucas", "Fromagerie Lucas")
    first = catalog.product(shop, "COM-1", "Comté 18 mois", price_cents=2450, stock=4)
    second = catalog.product(shop, "BRI-1", "Brie de Meaux", price_cents=1290, stock=2)
    with app.app_context():
        alone = queries.read_product_versions([first])
        together = queries.read_product_versions([first, second, 0])
        assert set(together) == {first, second}
        assert alone == {first: together[first]} and together[first] != together[second]
        assert queries.read_product_page(first).version == together[first]
        assert queries.read_product_versions([0]) == {}
        if IS_POSTGRES:
            one = queries._product_page_statements(db.engine.dialect.name)[2]
            assert transaction._plain(one, db.engine.dialect) is not None
