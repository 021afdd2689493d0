"""The catalog's read side: browsing and searching the products of approved shops, the product page,
shops and categories. Nothing here writes.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import ARRAY, Integer, Select, any_, bindparam, cast, exists, func, literal, or_, select
from sqlalchemy.orm import ColumnProperty, class_mapper, contains_eager, joinedload

from shopapp.catalog import search
from shopapp.catalog.models import Category, Product, Shop, ShopStatus, StockRecord
from shopapp.core.bulk import as_loaded
from shopapp.core.db import row_digest
from shopapp.core.transaction import read_alone
from shopapp.errors import NotFoundError
from shopapp.extensions import db
from shopapp.venue.queries import hold_venue_name, venue_name_column

SORTS = ("name", "price", "-price", "new", "relevance")


@dataclass(frozen=True)
class ProductFilters:
    q: str | None = None
    shop_slug: str | None = None
    category_slug: str | None = None
    label: str | None = None
    in_stock: bool = False
    sort: str | None = None


@dataclass(frozen=True)
class ProductPage:
    items: Sequence[Product]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _label_filter(label: str) -> Any:
    # Labels are a JSON array; each engine has its own table function to look inside it.
    if db.engine.dialect.name == "postgresql":
        values = func.json_array_elements_text(Product.labels).table_valued("value")
    else:
        values = func.json_each(Product.labels).table_valued("value")
    return exists(select(literal(1)).select_from(values).where(values.c.value == label))


def _category_ids(slug: str) -> list[int]:
    """The category named by slug and its sub-categories (two levels). 404 when unknown."""
    named = select(Category.id).where(Category.slug == slug).scalar_subquery()
    ids = db.session.scalars(
        select(Category.id).where(or_(Category.id == named, Category.parent_id == named)).order_by(Category.id)
    ).all()
    if not ids:
        raise NotFoundError("Catégorie introuvable.")
    return list(ids)


def list_products(filters: ProductFilters, page: int = 1, per_page: int = 20) -> ProductPage:
    """Active products of approved shops, filtered, searched and sorted, one page of them.

    Two SQL statements whatever the page size (the count, and the page's rows with shop, category and
    stock joined in), plus one to resolve a category slug. :raise NotFoundError: unknown category.
    """
    shop_conditions: list[Any] = [Shop.status == ShopStatus.APPROVED]
    if filters.shop_slug:
        shop_conditions.append(Shop.slug == filters.shop_slug)
    # The shops shown are a condition on the product's shop_id: the products are read from their own indexes
    # (a count joined with the shops took twice as long on 10,000 products).
    conditions: list[Any] = [Product.is_active.is_(True), _of_shops(shop_conditions)]
    if filters.category_slug:
        conditions.append(Product.category_id.in_(_category_ids(filters.category_slug)))
    if filters.label:
        conditions.append(_label_filter(filters.label))
    if filters.in_stock:
        conditions.append(StockRecord.on_hand - StockRecord.allocated > 0)
    match = rank = None
    if filters.q is not None and filters.q.strip():
        query = search.SearchQuery(search.query_terms(filters.q))
        if query.is_empty:
            return ProductPage([], 0, page, per_page)
        match = search.matches(db.engine.dialect.name, query)
        rank = match.c.rank

    def visible(stmt: Select[Any], *, stock: bool) -> Select[Any]:
        if stock:  # at most one stock row per product: the join never repeats a product
            stmt = stmt.outerjoin(Product.stock)
        if match is not None:
            stmt = stmt.join(match, match.c.product_id == Product.id)
        return stmt.where(*conditions)

    # The count joins the stock only when it filters on it: the active products' index answers it alone.
    total = db.session.scalar(visible(select(func.count()).select_from(Product), stock=filters.in_stock)) or 0
    # The page's products are chosen from narrow rows (id and sort key), then only they are read whole with
    # their shop, stock and category: a search ranks every match without carrying each one's wide row.
    narrow = select(Product.id) if rank is None else select(Product.id, rank.label("rank"))
    page_ids = (_sorted(visible(narrow, stock=filters.in_stock), filters.sort, rank)
                .limit(per_page).offset((page - 1) * per_page).subquery("page_ids"))
    rows = select(Product).join(page_ids, page_ids.c.id == Product.id).join(Product.shop).outerjoin(Product.stock)
    stmt = _sorted(rows, filters.sort, None if rank is None else page_ids.c.rank).options(
        contains_eager(Product.shop), contains_eager(Product.stock), joinedload(Product.category)
    )
    items = db.session.scalars(stmt).unique().all()
    return ProductPage(items, total, page, per_page)


def _of_shops(shop_conditions: Sequence[Any]) -> Any:
    """A condition on `Product.shop_id`: one of the shops that meet `shop_conditions`. On PostgreSQL the
    shops' ids are read first, once, as an array (`shop_id = ANY(…)`: the index on shop_id is read for each);
    `IN (SELECT …)` would be planned as the join it stands for."""
    if db.engine.dialect.name != "postgresql":
        return Product.shop_id.in_(select(Shop.id).where(*shop_conditions))
    ids = select(func.array_agg(Shop.id)).where(*shop_conditions).scalar_subquery()
    return Product.shop_id == any_(cast(ids, ARRAY(Integer)))


def _sorted(stmt: Select[Any], sort: str | None, rank: Any) -> Select[Any]:
    if sort in (None, "", "relevance") and rank is not None:
        return stmt.order_by(rank, Product.id)
    if sort == "price":
        return stmt.order_by(Product.price_cents, Product.id)
    if sort == "-price":
        return stmt.order_by(Product.price_cents.desc(), Product.id)
    if sort == "new":
        return stmt.order_by(Product.created_at.desc(), Product.id.desc())
    return stmt.order_by(Product.name, Product.id)


def get_visible_product(product_id: int) -> Product:
    """An active product of an approved shop, with shop, category and stock loaded.

    :raise NotFoundError: unknown, inactive, or its shop is not approved.
    """
    product = db.session.scalar(
        select(Product)
        .join(Product.shop)
        .outerjoin(Product.stock)
        .where(Product.id == product_id, Product.is_active.is_(True), Shop.status == ShopStatus.APPROVED)
        .options(contains_eager(Product.shop), contains_eager(Product.stock), joinedload(Product.category))
    )
    if product is None:
        raise NotFoundError("Produit introuvable.")
    return product


# The product page shows a product with its shop, category and stock: its cache version covers every
# column of those four rows, so any change to them (price, stock, name, deactivation…) is a new page.
_PRODUCT_PAGE_ROWS: tuple[type[Any], ...] = (Product, Shop, Category, StockRecord)


def _page_attrs(model: type[Any]) -> list[ColumnProperty[Any]]:
    return list(class_mapper(model).column_attrs)


@dataclass(frozen=True)
class ProductPageRow:
    """A visible product's row, with its shop's, category's and stock's, as one tuple of values, the
    venue's name (which the page shows too; None before `flask setup`), and the version of all of them
    (computed by the database, as `read_product_versions` reads it)."""

    values: tuple[Any, ...]
    venue_name: str | None
    version: str

    def product(self) -> Product:
        """A detached copy of the product, with its shop, category and stock (outside the session:
        read-only, and nothing more than these four rows can be reached from it)."""
        values = iter(self.values)
        rows: list[Any] = []
        for model, keys in _page_keys():
            fields = dict(zip(keys, values, strict=False))
            rows.append(as_loaded(model, fields) if fields["id"] is not None else None)  # outer joins: no row
        product, shop, category, stock_ = rows
        product.__dict__.update(shop=shop, category=category, stock=stock_)
        return product  # type: ignore[no-any-return]


@functools.cache
def _page_keys() -> tuple[tuple[type[Any], tuple[str, ...]], ...]:
    """Each of the page's models with its columns' attribute names, in the statement's order."""
    return tuple((model, tuple(attr.key for attr in _page_attrs(model))) for model in _PRODUCT_PAGE_ROWS)


class _PageStatements(NamedTuple):
    versions: Select[Any]  # each asked product's id and version
    page: Select[Any]  # every column, the venue's name and the version of one product
    version: Select[Any]  # one product's id and version: a statement `read_alone` sends straight to the driver


@functools.cache
def _product_page_statements(dialect_name: str) -> _PageStatements:
    """The product page's statements, built once per dialect, on the tables (plain Core, no ORM entities), so
    the per-request cost is one round trip. The venue's name is in the version: a page kept before the
    association renamed the venue is not served after."""
    product, shop, category, stock_ = (model.__table__ for model in _PRODUCT_PAGE_ROWS)
    columns = [attr.columns[0] for model in _PRODUCT_PAGE_ROWS for attr in _page_attrs(model)]
    venue = venue_name_column().label("venue_name")
    version = row_digest(dialect_name, [*columns, venue]).label("page_version")

    def of(*selected: Any, products: Any) -> Select[Any]:
        return (
            select(*selected)
            .select_from(product)
            .join(shop, shop.c.id == product.c.shop_id)
            .outerjoin(category, category.c.id == product.c.category_id)
            .outerjoin(stock_, stock_.c.product_id == product.c.id)
            .where(products, product.c.is_active.is_(True), shop.c.status == ShopStatus.APPROVED.value)
        )

    one = product.c.id == bindparam("product_id")
    return _PageStatements(
        versions=of(product.c.id, version, products=product.c.id.in_(bindparam("product_ids", expanding=True))),
        page=of(*columns, venue, version, products=one),
        version=of(product.c.id, version, products=one))


def read_product_versions(product_ids: Sequence[int]) -> dict[int, str]:
    """The version of each visible product's page data, by id, in one statement; an unknown or inactive
    product, or one whose shop is not approved, is left out."""
    if not product_ids:
        return {}
    statements = _product_page_statements(db.engine.dialect.name)
    if len(product_ids) == 1:  # most visits
        rows = read_alone(statements.version, {"product_id": product_ids[0]})
    else:
        rows = read_alone(statements.versions, {"product_ids": list(product_ids)})
    return {int(product_id): str(version) for product_id, version in rows}


def read_product_page(product_id: int) -> ProductPageRow:
    """A visible product's page data and their version, read in one statement (no ORM objects, no transaction).
    The venue's name read with them is held for the request (`venue_name()` reads it no more).

    :raise NotFoundError: unknown, inactive, or its shop is not approved.
    """
    rows = read_alone(_product_page_statements(db.engine.dialect.name).page, {"product_id": product_id})
    if not rows:
        raise NotFoundError("Produit introuvable.")
    *values, venue_name, version = rows[0]
    hold_venue_name(venue_name)
    return ProductPageRow(tuple(values), venue_name, str(version))


def list_shops(page: int = 1, per_page: int = 20) -> tuple[Sequence[Shop], int]:
    """Approved shops by name, one page, and their count."""
    visible = select(Shop).where(Shop.status == ShopStatus.APPROVED)
    total = db.session.scalar(select(func.count()).select_from(visible.subquery())) or 0
    shops = db.session.scalars(visible.order_by(Shop.name, Shop.id).limit(per_page).offset((page - 1) * per_page))
    return shops.all(), total


def get_visible_shop(slug: str) -> Shop:
    """:raise NotFoundError: unknown or not approved."""
    shop = db.session.scalar(select(Shop).where(Shop.slug == slug, Shop.status == ShopStatus.APPROVED))
    if shop is None:
        raise NotFoundError("Boutique introuvable.")
    return shop


def list_categories() -> Sequence[Category]:
    """Every category, parents before their children, by position."""
    return db.session.scalars(
        select(Category).order_by(func.coalesce(Category.parent_id, Category.id), Category.parent_id.is_not(None),
                                  Category.position, Category.id)
    ).all()


def get_category(slug: str) -> Category:
    """:raise NotFoundError: unknown slug."""
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        raise NotFoundError("Catégorie introuvable.")
    return category


def child_categories(category_id: int) -> Sequence[Category]:
    return db.session.scalars(
        select(Category).where(Category.parent_id == category_id).order_by(Category.position, Category.id)
    ).all()
