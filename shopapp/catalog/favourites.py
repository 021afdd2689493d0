"""A resident's favourite products and shops: kept once each, added and removed idempotently."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from shopapp.catalog import queries
from shopapp.catalog.models import FavouriteProduct, FavouriteShop, Product, Shop, ShopStatus
from shopapp.extensions import db


@dataclass(frozen=True)
class Favourites:
    products: Sequence[Product]
    shops: Sequence[Shop]


def _add(row: FavouriteProduct | FavouriteShop) -> None:
    # A second request racing this one may insert the same pair: the unique constraint keeps one row.
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        pass


def add_product(user_id: int, product_id: int) -> None:
    """Keep a visible product among the user's favourites (already there: nothing changes). Flushes.

    :raise NotFoundError: unknown, inactive, or its shop is not approved.
    """
    queries.get_visible_product(product_id)
    if product_id not in product_ids(user_id, [product_id]):
        _add(FavouriteProduct(user_id=user_id, product_id=product_id))


def remove_product(user_id: int, product_id: int) -> None:
    """Forget a favourite product (not a favourite: nothing changes). Flushes."""
    db.session.execute(delete(FavouriteProduct).where(FavouriteProduct.user_id == user_id,
                                                      FavouriteProduct.product_id == product_id))
    db.session.flush()


def add_shop(user_id: int, slug: str) -> Shop:
    """Keep an approved shop among the user's favourites (already there: nothing changes). Flushes.

    :raise NotFoundError: unknown or not approved.
    """
    shop = queries.get_visible_shop(slug)
    if shop.id not in shop_ids(user_id, [shop.id]):
        _add(FavouriteShop(user_id=user_id, shop_id=shop.id))
    return shop


def remove_shop(user_id: int, slug: str) -> None:
    """Forget a favourite shop (not a favourite, or unknown: nothing changes). Flushes."""
    shop_id = select(Shop.id).where(Shop.slug == slug).scalar_subquery()
    db.session.execute(delete(FavouriteShop).where(FavouriteShop.user_id == user_id,
                                                   FavouriteShop.shop_id == shop_id))
    db.session.flush()


def product_ids(user_id: int | None, among: Sequence[int] | None = None) -> set[int]:
    """Which products (of `among`, or all) are the user's favourites; none for an anonymous visitor."""
    if user_id is None:
        return set()
    stmt = select(FavouriteProduct.product_id).where(FavouriteProduct.user_id == user_id)
    if among is not None:
        stmt = stmt.where(FavouriteProduct.product_id.in_(list(among)))
    return set(db.session.scalars(stmt))


def shop_ids(user_id: int | None, among: Sequence[int] | None = None) -> set[int]:
    """Which shops (of `among`, or all) are the user's favourites; none for an anonymous visitor."""
    if user_id is None:
        return set()
    stmt = select(FavouriteShop.shop_id).where(FavouriteShop.user_id == user_id)
    if among is not None:
        stmt = stmt.where(FavouriteShop.shop_id.in_(list(among)))
    return set(db.session.scalars(stmt))


def list_favourites(user_id: int) -> Favourites:
    """The user's favourite products and shops still visible, most recently kept first."""
    products = db.session.scalars(
        select(Product)
        .join(FavouriteProduct, FavouriteProduct.product_id == Product.id)
        .join(Product.shop)
        .outerjoin(Product.stock)
        .where(FavouriteProduct.user_id == user_id, Product.is_active.is_(True), Shop.status == ShopStatus.APPROVED)
        .options(contains_eager(Product.shop), contains_eager(Product.stock), joinedload(Product.category))
        .order_by(FavouriteProduct.id.desc())
    ).unique().all()
    shops = db.session.scalars(
        select(Shop)
        .join(FavouriteShop, FavouriteShop.shop_id == Shop.id)
        .where(FavouriteShop.user_id == user_id, Shop.status == ShopStatus.APPROVED)
        .order_by(FavouriteShop.id.desc())
    ).all()
    return Favourites(products, shops)
