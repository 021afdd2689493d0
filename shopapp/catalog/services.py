"""Catalog use cases, the write side: a shop's products (back-office, shop API, CSV import), their stock
and low-stock list. Browsing is in `catalog/queries.py`, shop API tokens in `catalog/tokens.py`.

Services flush and never commit; the request, CLI or task boundary commits, so one unit of work is
one transaction.
Stock counters change only through `shopapp.catalog.stock`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from shopapp.catalog import stock
from shopapp.catalog.models import NET_UNITS, UNITS, VAT_RATES_BP, Category, Product, StockMovement, StockRecord
from shopapp.catalog.queries import ProductPage
from shopapp.core.text import slugify
from shopapp.errors import DomainError, NotFoundError, ValidationFailed
from shopapp.extensions import db

SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")


class DuplicateSku(DomainError):
    status = 409
    code = "duplicate_sku"


def product_slug(name: str) -> str:
    """A product's slug: 170 characters at most (the column holds 180, room for a `-n` suffix)."""
    return slugify(name, max_length=170, fallback="produit")


@dataclass
class ProductData:
    """Values of a product as a shopkeeper gives them; None on update means 'unchanged'."""

    sku: str | None = None
    name: str | None = None
    price_cents: int | None = None
    unit: str | None = None
    # What one unit holds (750 ml, 250 g); 0 clears it. None on update means unchanged.
    net_quantity: int | None = None
    net_unit: str | None = None
    category_slug: str | None = None
    vat_rate_bp: int | None = None
    description: str | None = None
    labels: list[str] | None = None
    allergens: list[str] | None = None
    is_active: bool | None = None
    is_perishable: bool | None = None
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
    if data.net_quantity is not None or data.net_unit is not None:
        quantity, net_unit = data.net_quantity or 0, (data.net_unit or "").strip()
        if quantity == 0 and net_unit == "":
            values["net_quantity"] = values["net_unit"] = None
        elif not 1 <= quantity <= 1_000_000:
            errors["net_quantity"] = "La quantité nette doit être entre 1 et 1 000 000."
        elif net_unit not in NET_UNITS:
            errors["net_unit"] = "Unité de la quantité nette : g ou ml."
        else:
            values["net_quantity"], values["net_unit"] = quantity, net_unit
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
    if data.is_perishable is not None:
        values["is_perishable"] = data.is_perishable
    if data.low_stock_threshold is not None and not 0 <= data.low_stock_threshold <= 100_000:
        errors["low_stock_threshold"] = "Le seuil doit être entre 0 et 100 000."
    if data.stock is not None and not 0 <= data.stock <= 1_000_000:
        errors["stock"] = "Le stock doit être entre 0 et 1 000 000."
    return values, errors


def _unique_slug(shop_id: int, name: str, exclude_id: int | None = None) -> str:
    base = product_slug(name)
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


def count_without_photo(shop_id: int) -> int:
    """How many of the shop's products on sale have no photo (residents see a placeholder)."""
    return db.session.scalar(
        select(func.count(Product.id))
        .where(Product.shop_id == shop_id, Product.is_active.is_(True), Product.image_path.is_(None))
    ) or 0


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
