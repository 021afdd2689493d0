"""Which shop a shopkeeper (or a shop's API token) acts for. Anything else is a 404, never a 403,
so that ids of other shops' things reveal nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, has_request_context, session
from flask_login import current_user
from sqlalchemy import select

from shopapp.accounts.access import bearer_token, is_bearer_request
from shopapp.accounts.models import Role
from shopapp.catalog.models import Shop, ShopStaff
from shopapp.catalog.tokens import SHOP_TOKEN_PREFIX, shop_token_for
from shopapp.errors import json_error
from shopapp.extensions import db, login_manager

F = TypeVar("F", bound=Callable[..., Any])


# The session key holding the shop an admin acts for (set and cleared by the association's pages).
ACTING_SESSION_KEY = "acting_shop_id"


def acting_shop_id(user_id: int | None = None) -> int | None:
    """The shop the signed-in admin is acting for in this browser session, else None.

    The one place "act for" is decided: only an admin's cookie session counts (never a bearer token),
    and with `user_id` only when it is that admin's own id.
    """
    if not has_request_context() or is_bearer_request() or not current_user.is_authenticated:
        return None
    if user_id is not None and user_id != current_user.id:
        return None
    if not current_user.has_role(Role.ADMIN):
        return None
    value = session.get(ACTING_SESSION_KEY)
    return value if isinstance(value, int) else None


def shops_for_user(user_id: int) -> list[Shop]:
    """The shops this user is staff of, by name (with the shop an admin is acting for)."""
    acting = acting_shop_id(user_id)
    membership = select(ShopStaff.shop_id).where(ShopStaff.user_id == user_id)
    condition = Shop.id.in_(membership) if acting is None else (Shop.id.in_(membership) | (Shop.id == acting))
    return list(db.session.scalars(select(Shop).where(condition).order_by(Shop.name)))


def is_staff_of(user_id: int, shop_id: int) -> bool:
    if acting_shop_id(user_id) == shop_id:
        return True
    return db.session.scalar(
        select(ShopStaff.id).where(ShopStaff.user_id == user_id, ShopStaff.shop_id == shop_id)
    ) is not None


def manages_team(user_id: int, shop_id: int) -> bool:
    """Whether this user manages the shop's team: its owner, or an admin acting for it."""
    if acting_shop_id(user_id) == shop_id:
        return True
    return db.session.scalar(
        select(ShopStaff.id).where(ShopStaff.user_id == user_id, ShopStaff.shop_id == shop_id,
                                   ShopStaff.is_owner.is_(True))
    ) is not None


def shop_staff_required(view: F) -> F:
    """Back-office pages: a shopkeeper, or an admin acting for a shop (403 otherwise, log-in when
    anonymous). Which shop is then checked by `shop_for_user` (404 for any other)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.has_role(Role.SHOPKEEPER) and acting_shop_id() is None:
            abort(403)
        return view(*args, **kwargs)

    wrapped._access = ("roles", Role.SHOPKEEPER, "acting_admin")  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]


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


# -- shop API: a shopkeeper's bearer token or session, or a shop's own API token ---------------------


def shop_api(*, token_allowed: bool) -> Callable[[F], F]:
    """Access rule for /api/v1/shop/…: a shopkeeper (session or user bearer token) or, when
    `token_allowed`, a shop API token (a till), which acts for its own shop only.

    A shop token on a route it may not use → 403; an unknown or revoked shop token → 401.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            plain = bearer_token()
            if plain is not None and plain.startswith(SHOP_TOKEN_PREFIX):
                token = shop_token_for(plain)
                if token is None:
                    return json_error(401, "unauthorized", "Jeton de boutique inconnu ou révoqué.")
                if not token_allowed:
                    return json_error(403, "forbidden", "Un jeton de boutique ne permet que de lire et "
                                                        "régler le stock.")
                g.shop_token = token
                return view(*args, **kwargs)
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(Role.SHOPKEEPER) and acting_shop_id() is None:
                abort(403)
            return view(*args, **kwargs)

        marks = ("roles", Role.SHOPKEEPER, "shop_token") if token_allowed else ("roles", Role.SHOPKEEPER)
        wrapped._access = marks  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate


@dataclass(frozen=True)
class Acting:
    """Who acts on a shop: a user, or a shop token (then user_id is None)."""

    shop: Shop
    user_id: int | None
    shop_token_id: int | None


def acting_for(slug: str | None) -> Acting:
    """The shop this API request acts for: the token's own shop, or the user's shop named by `slug`
    (or their only one). Another shop's slug → 404."""
    token = g.get("shop_token")
    if token is not None:
        if slug is not None and slug != token.shop.slug:
            abort(404)
        return Acting(token.shop, None, token.id)
    return Acting(shop_for_user(current_user.id, slug), current_user.id, None)
