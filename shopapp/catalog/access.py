"""Which shop a shopkeeper (or a shop's API token) acts for. Anything else is a 404, never a 403,
so that ids of other shops' things reveal nothing."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from shopapp.catalog.models import Shop, ShopStaff
from shopapp.extensions import db


def shops_for_user(user_id: int) -> list[Shop]:
    """The shops this user is staff of, by name."""
    return list(
        db.session.scalars(
            select(Shop).join(ShopStaff, ShopStaff.shop_id == Shop.id).where(ShopStaff.user_id == user_id)
            .order_by(Shop.name)
        )
    )


def is_staff_of(user_id: int, shop_id: int) -> bool:
    return db.session.scalar(
        select(ShopStaff.id).where(ShopStaff.user_id == user_id, ShopStaff.shop_id == shop_id)
    ) is not None


def shop_for_user(user_id: int, slug: str | None = None) -> Shop:
    """The shop the user acts for: the one named by `slug`, or their only shop.

    Aborts 404 when the user is not staff of that shop (or has none, or has several and named none).
    """
    shops = shops_for_user(user_id)
    if slug is not None:
        for shop in shops:
            if shop.slug == slug:
                return shop
        abort(404)
    if len(shops) == 1:
        return shops[0]
    abort(404)
