"""API request/response models for the catalog (the shapes of the public API contract, version 1)."""

from __future__ import annotations

from typing import Literal

from flask import url_for
from pydantic import BaseModel, ConfigDict, Field, field_validator

from shopapp.catalog.models import Category, Product, Shop, StockMovement
from shopapp.catalog.pricing import reference_price
from shopapp.core.api import ApiModel, Page
from shopapp.core.clock import venue_time


class ProductQuery(Page):
    q: str | None = Field(default=None, max_length=200)
    merchant: str | None = Field(default=None, max_length=80)
    category: str | None = Field(default=None, max_length=80)
    label: str | None = Field(default=None, max_length=40)
    in_stock: bool = False
    sort: Literal["name", "price", "-price", "new", "relevance"] | None = None

    @field_validator("in_stock", mode="before")
    @classmethod
    def _flag(cls, value: object) -> object:
        return value in ("1", "true", "yes", "on", True, 1)


class ShopQuery(Page):
    shop: str | None = Field(default=None, max_length=80)
    q: str | None = Field(default=None, max_length=200)


class ShopOnly(BaseModel):
    model_config = ConfigDict(extra="ignore")
    shop: str | None = Field(default=None, max_length=80)


class Ref(BaseModel):
    id: int
    slug: str
    name: str


class MerchantOut(BaseModel):
    id: int
    slug: str
    name: str
    trade: str
    description: str
    logo_url: str | None
    banner_url: str | None = None
    address: str
    opening_days: list[int]
    preparation_minutes: int


class MerchantList(BaseModel):
    items: list[MerchantOut]
    page: int
    per_page: int
    total: int


class CategoryOut(BaseModel):
    id: int
    slug: str
    name: str
    parent_id: int | None
    alcoholic: bool = False


class CategoryList(BaseModel):
    items: list[CategoryOut]
    page: int
    per_page: int
    total: int


class ProductOut(BaseModel):
    id: int
    sku: str
    name: str
    slug: str
    price_cents: int
    currency: str
    unit: str
    net_quantity: int | None = None
    net_unit: str | None = None
    reference_price_cents: int | None = None
    reference_unit: str | None = None
    alcoholic: bool = False
    perishable: bool = False
    stock_available: int
    image_url: str | None
    merchant: Ref
    category: Ref | None


class ProductDetail(ProductOut):
    description: str
    labels: list[str]
    allergens: list[str]
    vat_rate_bp: int


class ProductList(BaseModel):
    items: list[ProductOut]
    page: int
    per_page: int
    total: int


class StockOut(BaseModel):
    product_id: int
    on_hand: int
    allocated: int
    available: int
    low_stock_threshold: int


class ShopProductOut(ProductDetail):
    active: bool
    stock: StockOut


class ShopProductList(BaseModel):
    items: list[ShopProductOut]
    page: int
    per_page: int
    total: int


class ProductCreate(ApiModel):
    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=160)
    price_cents: int = Field(ge=0, le=10_000_000)
    unit: str = Field(min_length=1, max_length=20)
    net_quantity: int | None = Field(default=None, ge=1, le=1_000_000)
    net_unit: Literal["g", "ml"] | None = None
    category: str | None = Field(default=None, max_length=80)
    vat_rate_bp: int
    description: str | None = Field(default=None, max_length=5000)
    labels: list[str] | None = None
    allergens: list[str] | None = None
    stock: int | None = Field(default=None, ge=0, le=1_000_000)
    low_stock_threshold: int | None = Field(default=None, ge=0, le=100_000)
    perishable: bool | None = None


class ProductPatch(ApiModel):
    sku: str | None = Field(default=None, min_length=1, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=160)
    price_cents: int | None = Field(default=None, ge=0, le=10_000_000)
    unit: str | None = Field(default=None, min_length=1, max_length=20)
    net_quantity: int | None = Field(default=None, ge=1, le=1_000_000)
    net_unit: Literal["g", "ml"] | None = None
    category: str | None = Field(default=None, max_length=80)
    vat_rate_bp: int | None = None
    description: str | None = Field(default=None, max_length=5000)
    labels: list[str] | None = None
    allergens: list[str] | None = None
    stock: int | None = Field(default=None, ge=0, le=1_000_000)
    low_stock_threshold: int | None = Field(default=None, ge=0, le=100_000)
    active: bool | None = None
    perishable: bool | None = None


class StockSet(ApiModel):
    quantity: int = Field(ge=0, le=1_000_000)
    reason: str = Field(default="inventaire", min_length=1, max_length=120)


class StockDelta(ApiModel):
    delta: int = Field(ge=-1_000_000, le=1_000_000)
    reason: str = Field(min_length=1, max_length=120)


class MovementOut(BaseModel):
    id: int
    product_id: int
    delta: int
    on_hand_after: int
    reason: str
    actor_id: int | None
    shop_token_id: int | None
    created_at: str


class MovementList(BaseModel):
    items: list[MovementOut]


def image_url(path: str | None, size: int = 400) -> str | None:
    if not path:
        return None
    return url_for("catalog.media", filename=f"{path}-{size}.jpg")


def _ref(obj: Shop | Category | None) -> Ref | None:
    return None if obj is None else Ref(id=obj.id, slug=obj.slug, name=obj.name)


def merchant_out(shop: Shop) -> MerchantOut:
    return MerchantOut(id=shop.id, slug=shop.slug, name=shop.name, trade=shop.trade, description=shop.description,
                       logo_url=image_url(shop.logo_path), banner_url=image_url(shop.banner_path),
                       address=shop.address,
                       opening_days=list(shop.opening_days or []), preparation_minutes=shop.preparation_minutes)


def category_out(category: Category) -> CategoryOut:
    return CategoryOut(id=category.id, slug=category.slug, name=category.name, parent_id=category.parent_id,
                       alcoholic=category.is_alcoholic)


def _base(product: Product) -> dict[str, object]:
    record = product.stock
    found = reference_price(product.price_cents, product.unit, product.net_quantity, product.net_unit)
    return {
        "id": product.id, "sku": product.sku, "name": product.name, "slug": product.slug,
        "price_cents": product.price_cents, "currency": product.currency, "unit": product.unit,
        "net_quantity": product.net_quantity, "net_unit": product.net_unit,
        "alcoholic": product.is_alcoholic, "perishable": product.is_perishable,
        "reference_price_cents": found[0] if found else None, "reference_unit": found[1] if found else None,
        "stock_available": record.available if record is not None else 0,
        "image_url": image_url(product.image_path), "merchant": _ref(product.shop), "category": _ref(product.category),
    }


def product_out(product: Product) -> ProductOut:
    return ProductOut.model_validate(_base(product))


def product_detail(product: Product) -> ProductDetail:
    return ProductDetail.model_validate({
        **_base(product), "description": product.description, "labels": list(product.labels or []),
        "allergens": list(product.allergens or []), "vat_rate_bp": product.vat_rate_bp,
    })


def stock_out(product: Product) -> StockOut:
    record = product.stock
    if record is None:
        return StockOut(product_id=product.id, on_hand=0, allocated=0, available=0, low_stock_threshold=0)
    return StockOut(product_id=product.id, on_hand=record.on_hand, allocated=record.allocated,
                    available=record.available, low_stock_threshold=record.low_stock_threshold)


def shop_product_out(product: Product) -> ShopProductOut:
    detail = product_detail(product).model_dump()
    return ShopProductOut.model_validate({**detail, "active": product.is_active, "stock": stock_out(product)})


def movement_out(movement: StockMovement) -> MovementOut:
    return MovementOut(id=movement.id, product_id=movement.product_id, delta=movement.delta,
                       on_hand_after=movement.on_hand_after, reason=movement.reason, actor_id=movement.actor_id,
                       shop_token_id=movement.shop_token_id, created_at=venue_time(movement.created_at).isoformat())


class FavouritesOut(BaseModel):
    products: list[ProductOut]
    shops: list[MerchantOut]


class SuggestQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    q: str = Field(default="", max_length=200)


class SuggestionOut(BaseModel):
    kind: Literal["product", "shop", "category"]
    id: int
    label: str
    url: str


class SuggestionList(BaseModel):
    items: list[SuggestionOut]
