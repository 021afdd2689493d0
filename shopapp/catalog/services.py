"""Catalog use cases: browsing, search, a shop's products, low stock, shop API tokens.

Services flush and never commit; the request, CLI or task boundary commits, so one unit of work is
one transaction.
Stock counters change only through `shopapp.catalog.stock`.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, bindparam, exists, func, literal, or_, select
from sqlalchemy.orm import ColumnProperty, class_mapper, contains_eager, joinedload

from shopapp.catalog import search, stock
from shopapp.catalog.models import (
    UNITS,
    VAT_RATES_BP,
    Category,
    Product,
    Shop,
    ShopApiToken,
    ShopStatus,
    StockMovement,
    StockRecord,
)
from shopapp.core.clock import utcnow
from shopapp.errors import DomainError, NotFoundError, ValidationFailed
from shopapp.extensions import db

SHOP_TOKEN_PREFIX = "amcshop_"  # noqa: S105 - a public prefix, distinct from user tokens ("amc_")
SORTS = ("name", "price", "-price", "new", "relevance")
SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")


class DuplicateSku(DomainError):
    status = 409
    code = "duplicate_sku"


def slugify(value: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:170] or "produit"


# -- browsing ----------------------------------------------------------------------------------------


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

    Two SQL statements whatever the page size (the rows with shop, category and stock joined in, and
    the count), plus one to resolve a category slug. :raise NotFoundError: unknown category.
    """
    base = (
        select(Product)
        .join(Product.shop)
        .outerjoin(Product.stock)
        .where(Product.is_active.is_(True), Shop.status == ShopStatus.APPROVED)
    )
    if filters.shop_slug:
        base = base.where(Shop.slug == filters.shop_slug)
    if filters.category_slug:
        base = base.where(Product.category_id.in_(_category_ids(filters.category_slug)))
    if filters.label:
        base = base.where(_label_filter(filters.label))
    if filters.in_stock:
        base = base.where(StockRecord.on_hand - StockRecord.allocated > 0)
    rank = None
    if filters.q is not None and filters.q.strip():
        query = search.SearchQuery(search.query_terms(filters.q))
        if query.is_empty:
            return ProductPage([], 0, page, per_page)
        match = search.matches(db.engine.dialect.name, query)
        base = base.join(match, match.c.product_id == Product.id)
        rank = match.c.rank
    total = db.session.scalar(select(func.count()).select_from(base.order_by(None).subquery())) or 0
    stmt = _sorted(base, filters.sort, rank).options(
        contains_eager(Product.shop), contains_eager(Product.stock), joinedload(Product.category)
    )
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return ProductPage(items, total, page, per_page)


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
    """A visible product's row, with its shop's, category's and stock's, as one tuple of values."""

    values: tuple[Any, ...]

    @functools.cached_property
    def version(self) -> str:
        """A digest of every value: any change to the four rows gives another version."""
        return hashlib.blake2b(repr(self.values).encode(), digest_size=16).hexdigest()

    def product(self) -> Product:
        """A detached copy of the product, with its shop, category and stock (outside the session:
        read-only, and nothing more than these four rows can be reached from it)."""
        values = iter(self.values)
        rows: list[Any] = []
        for model in _PRODUCT_PAGE_ROWS:
            fields = {attr.key: next(values) for attr in _page_attrs(model)}
            rows.append(model(**fields) if fields["id"] is not None else None)  # outer joins: no row
        product, shop, category, stock_ = rows
        product.shop, product.category, product.stock = shop, category, stock_
        return product  # type: ignore[no-any-return]


@functools.cache
def _product_page_statement() -> Select[Any]:
    # Built once, on the tables (plain Core, no ORM entities): the per-request cost is one round trip.
    product, shop, category, stock_ = (model.__table__ for model in _PRODUCT_PAGE_ROWS)
    columns = [attr.columns[0] for model in _PRODUCT_PAGE_ROWS for attr in _page_attrs(model)]
    return (
        select(*columns)
        .select_from(product)
        .join(shop, shop.c.id == product.c.shop_id)
        .outerjoin(category, category.c.id == product.c.category_id)
        .outerjoin(stock_, stock_.c.product_id == product.c.id)
        .where(product.c.id == bindparam("product_id"), product.c.is_active.is_(True),
               shop.c.status == ShopStatus.APPROVED.value)
    )


def read_product_page(product_id: int) -> ProductPageRow:
    """A visible product's page data, read in one statement (no ORM objects, no transaction).

    :raise NotFoundError: unknown, inactive, or its shop is not approved.
    """
    statement, params = _product_page_statement(), {"product_id": product_id}
    if db.engine.dialect.name == "postgresql":
        # One statement needs no transaction: in autocommit there is no BEGIN nor COMMIT to wait for,
        # which on a busy server are two of the request's round trips to the database.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            row = conn.execute(statement, params).first()
    else:  # SQLite: the session's connection (its writes are serialised by BEGIN IMMEDIATE, see core.db)
        row = db.session.execute(statement, params).first()
    if row is None:
        raise NotFoundError("Produit introuvable.")
    return ProductPageRow(tuple(row))


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


# -- a shop's products (back-office, shop API, CSV import) ------------------------------------------


@dataclass
class ProductData:
    """Values of a product as a shopkeeper gives them; None on update means 'unchanged'."""

    sku: str | None = None
    name: str | None = None
    price_cents: int | None = None
    unit: str | None = None
    category_slug: str | None = None
    vat_rate_bp: int | None = None
    description: str | None = None
    labels: list[str] | None = None
    allergens: list[str] | None = None
    is_active: bool | None = None
    low_stock_threshold: int | None = None
    stock: int | None = None
    provided: set[str] = field(default_factory=set)


def _clean_list(values: list[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        value = value.strip()[:40]
        if value and value not in seen:
            seen.append(value)
    return seen[:12]


def validate_product_data(data: ProductData, *, creating: bool,
                          categories: dict[str, int] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Check values against the catalog rules; returns (column values, errors by field name).

    `categories` maps slug → id (the CSV import passes it to avoid one query per row).
    """
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    required = ("sku", "name", "price_cents", "unit", "vat_rate_bp") if creating else ()
    for name in required:
        if getattr(data, name) is None:
            errors[name] = "Ce champ est obligatoire."
    if data.sku is not None:
        sku = data.sku.strip()
        if not SKU_PATTERN.match(sku):
            errors["sku"] = "Référence invalide : lettres, chiffres, . _ - / (64 au plus)."
        values["sku"] = sku
    if data.name is not None:
        name = " ".join(data.name.split())
        if not 1 <= len(name) <= 160:
            errors["name"] = "Le nom doit faire entre 1 et 160 caractères."
        values["name"] = name
    if data.price_cents is not None:
        if data.price_cents < 0 or data.price_cents > 10_000_000:
            errors["price_cents"] = "Le prix doit être positif (100 000 € au plus)."
        values["price_cents"] = data.price_cents
    if data.unit is not None:
        if data.unit not in UNITS:
            errors["unit"] = "Unité inconnue : " + ", ".join(UNITS) + "."
        values["unit"] = data.unit
    if data.vat_rate_bp is not None:
        if data.vat_rate_bp not in VAT_RATES_BP:
            errors["vat_rate_bp"] = "Taux de TVA inconnu : 5,5 %, 10 % ou 20 %."
        values["vat_rate_bp"] = data.vat_rate_bp
    if data.category_slug is not None:
        slug = data.category_slug.strip()
        if slug == "":
            values["category_id"] = None
        else:
            category_id = (categories.get(slug) if categories is not None
                           else db.session.scalar(select(Category.id).where(Category.slug == slug)))
            if category_id is None:
                errors["category"] = f"Catégorie inconnue : « {slug} »."
            values["category_id"] = category_id
    if data.description is not None:
        if len(data.description) > 5000:
            errors["description"] = "La description dépasse 5 000 caractères."
        values["description"] = data.description.strip()
    if data.labels is not None:
        values["labels"] = _clean_list(data.labels)
    if data.allergens is not None:
        values["allergens"] = _clean_list(data.allergens)
    if data.is_active is not None:
        values["is_active"] = data.is_active
    if data.low_stock_threshold is not None and not 0 <= data.low_stock_threshold <= 100_000:
        errors["low_stock_threshold"] = "Le seuil doit être entre 0 et 100 000."
    if data.stock is not None and not 0 <= data.stock <= 1_000_000:
        errors["stock"] = "Le stock doit être entre 0 et 1 000 000."
    return values, errors


def _unique_slug(shop_id: int, name: str, exclude_id: int | None = None) -> str:
    base = slugify(name)
    taken = set(db.session.scalars(
        select(Product.slug).where(Product.shop_id == shop_id, Product.slug.like(f"{base}%"),
                                   Product.id != (exclude_id or 0))
    ))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_product(shop_id: int, data: ProductData, *, actor_id: int | None = None) -> Product:
    """Create a product with its stock record (initial stock logged as a movement). Flushes.

    :raise ValidationFailed: invalid values, named in `fields`.
    :raise DuplicateSku: the shop already has this SKU.
    """
    values, errors = validate_product_data(data, creating=True)
    if errors:
        raise ValidationFailed("Certaines valeurs sont invalides.", fields=errors)
    if db.session.scalar(select(Product.id).where(Product.shop_id == shop_id, Product.sku == values["sku"])):
        raise DuplicateSku("Cette référence existe déjà dans la boutique.", fields={"sku": "Référence déjà utilisée."})
    product = Product(shop_id=shop_id, slug=_unique_slug(shop_id, values["name"]), **values)
    product.stock = StockRecord(on_hand=0, allocated=0, low_stock_threshold=data.low_stock_threshold or 3)
    db.session.add(product)
    db.session.flush()
    if data.stock:
        stock.adjust(product.id, data.stock, reason="stock initial", actor_id=actor_id)
    return product


def get_shop_product(shop_id: int, product_id: int) -> Product:
    """A product of this shop (active or not), stock loaded. :raise NotFoundError: not this shop's."""
    product = db.session.scalar(
        select(Product).outerjoin(Product.stock)
        .where(Product.id == product_id, Product.shop_id == shop_id)
        .options(contains_eager(Product.stock), joinedload(Product.category), joinedload(Product.shop))
    )
    if product is None:
        raise NotFoundError("Produit introuvable.")
    return product


def update_product(shop_id: int, product_id: int, data: ProductData, *, actor_id: int | None = None) -> Product:
    """Change the given fields of one of the shop's products (and its stock when `stock` is given). Flushes.

    :raise NotFoundError: not this shop's product. :raise ValidationFailed: invalid values.
    :raise DuplicateSku: the new SKU is another product's.
    """
    product = get_shop_product(shop_id, product_id)
    values, errors = validate_product_data(data, creating=False)
    if errors:
        raise ValidationFailed("Certaines valeurs sont invalides.", fields=errors)
    if "sku" in values and values["sku"] != product.sku and db.session.scalar(
        select(Product.id).where(Product.shop_id == shop_id, Product.sku == values["sku"])
    ):
        raise DuplicateSku("Cette référence existe déjà dans la boutique.", fields={"sku": "Référence déjà utilisée."})
    apply_changes(product, values)
    if data.low_stock_threshold is not None and product.stock is not None:
        product.stock.low_stock_threshold = data.low_stock_threshold
    db.session.flush()
    if data.stock is not None:
        stock.set_on_hand(product.id, data.stock, reason="modification de la fiche", actor_id=actor_id)
    return product


def apply_changes(product: Product, values: dict[str, Any]) -> bool:
    """Set the values that differ; returns whether anything changed (so a re-import writes nothing)."""
    changed = set()
    for key, value in values.items():
        if getattr(product, key) != value:
            setattr(product, key, value)
            changed.add(key)
    if "name" in changed:
        product.slug = _unique_slug(product.shop_id, values["name"], exclude_id=product.id)
    return bool(changed)


def set_product_active(shop_id: int, product_id: int, active: bool) -> Product:
    """Show or hide a product (deactivated products stay for order history). Flushes."""
    product = get_shop_product(shop_id, product_id)
    product.is_active = active
    db.session.flush()
    return product


def list_shop_products(shop_id: int, page: int = 1, per_page: int = 50, q: str | None = None) -> ProductPage:
    """All the shop's products (active first, then by name), stock joined; one page."""
    base = select(Product).outerjoin(Product.stock).where(Product.shop_id == shop_id)
    if q and q.strip():
        pattern = "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        base = base.where(or_(Product.name.ilike(pattern, escape="\\"), Product.sku.ilike(pattern, escape="\\")))
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    items = db.session.scalars(
        base.order_by(Product.is_active.desc(), Product.name, Product.id)
        .options(contains_eager(Product.stock), joinedload(Product.category))
        .limit(per_page).offset((page - 1) * per_page)
    ).unique().all()
    return ProductPage(items, total, page, per_page)


def low_stock(shop_id: int) -> Sequence[Product]:
    """Active products whose available stock is at or under their threshold, emptiest first."""
    available = StockRecord.on_hand - StockRecord.allocated
    return db.session.scalars(
        select(Product).join(Product.stock)
        .where(Product.shop_id == shop_id, Product.is_active.is_(True), available <= StockRecord.low_stock_threshold)
        .order_by(available, Product.name)
        .options(contains_eager(Product.stock))
    ).all()


def stock_movements(shop_id: int, product_id: int, limit: int = 50) -> Sequence[StockMovement]:
    """The latest movements of one of the shop's products. :raise NotFoundError: not this shop's."""
    get_shop_product(shop_id, product_id)
    return db.session.scalars(
        select(StockMovement).where(StockMovement.product_id == product_id)
        .order_by(StockMovement.id.desc()).limit(limit)
    ).all()


def adjust_stock(shop_id: int, product_id: int, delta: int, reason: str, *, actor_id: int | None = None,
                 shop_token_id: int | None = None) -> int:
    """Relative stock change on one of the shop's products, logged. Returns on hand. Flushes.

    :raise NotFoundError: not this shop's. :raise InsufficientStock: would go below zero or below holds.
    """
    get_shop_product(shop_id, product_id)
    return stock.adjust(product_id, delta, reason=_reason(reason), actor_id=actor_id, shop_token_id=shop_token_id)


def set_stock(shop_id: int, product_id: int, quantity: int, reason: str, *, actor_id: int | None = None,
              shop_token_id: int | None = None) -> int:
    """Absolute stock count on one of the shop's products, logged as the difference. Flushes.

    :raise NotFoundError: not this shop's. :raise ValidationFailed: negative.
    :raise InsufficientStock: below what orders hold.
    """
    get_shop_product(shop_id, product_id)
    return stock.set_on_hand(product_id, quantity, reason=_reason(reason), actor_id=actor_id,
                             shop_token_id=shop_token_id)


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())[:120]
    if not reason:
        raise ValidationFailed("Indiquez un motif.", fields={"reason": "Ce champ est obligatoire."})
    return reason


# -- shop API tokens (tills) -------------------------------------------------------------------------


def _hash_token(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def issue_shop_token(shop_id: int, label: str, *, actor_id: int | None) -> tuple[ShopApiToken, str]:
    """Create a till token for the shop; the plain value is returned once and never stored. Flushes."""
    label = label.strip()[:80]
    if not label:
        raise ValidationFailed("Donnez un nom au jeton.", fields={"label": "Ce champ est obligatoire."})
    plain = SHOP_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ShopApiToken(shop_id=shop_id, token_hash=_hash_token(plain), label=label, created_by_id=actor_id)
    db.session.add(token)
    db.session.flush()
    return token, plain


def list_shop_tokens(shop_id: int) -> Sequence[ShopApiToken]:
    return db.session.scalars(
        select(ShopApiToken).where(ShopApiToken.shop_id == shop_id, ShopApiToken.revoked_at.is_(None))
        .order_by(ShopApiToken.id)
    ).all()


def revoke_shop_token(shop_id: int, token_id: int) -> None:
    """Revoke one of the shop's tokens at once. Flushes. :raise NotFoundError: not this shop's token."""
    token = db.session.get(ShopApiToken, token_id)
    if token is None or token.shop_id != shop_id:
        raise NotFoundError("Jeton introuvable.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    db.session.flush()


def shop_token_for(plain: str) -> ShopApiToken | None:
    """The live token behind a plain value whose shop is not suspended, else None."""
    if not plain.startswith(SHOP_TOKEN_PREFIX):
        return None
    token = db.session.scalar(
        select(ShopApiToken).where(ShopApiToken.token_hash == _hash_token(plain)).options(joinedload(ShopApiToken.shop))
    )
    if token is None or token.is_revoked or token.shop.status == ShopStatus.SUSPENDED:
        return None
    return token
