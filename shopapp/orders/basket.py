"""Basket rules: lines bounded by available stock, current prices, grouped by shop, merged at log-in.

A basket belongs to an account (`user_id`) or to an anonymous browser (`token`, kept in the session).
It stores product ids and quantities only: prices are read from the catalog each time it is shown.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, select

from shopapp.catalog.models import Product, Shop, ShopStatus, StockRecord
from shopapp.errors import InsufficientStock, NotFoundError, ValidationFailed
from shopapp.extensions import db
from shopapp.orders.models import Basket, BasketLine

MAX_QUANTITY = 99


@dataclass(frozen=True)
class BasketOwner:
    """Who the basket is for: an account, or an anonymous browser's token (either may be None)."""

    user_id: int | None
    token: str | None


@dataclass(frozen=True)
class LineView:
    product: Product
    quantity: int
    available: int

    @property
    def unit_price_cents(self) -> int:
        return self.product.price_cents

    @property
    def line_total_cents(self) -> int:
        return self.product.price_cents * self.quantity


@dataclass
class ShopGroup:
    shop: Shop
    lines: list[LineView] = field(default_factory=list)

    @property
    def subtotal_cents(self) -> int:
        return sum(line.line_total_cents for line in self.lines)


@dataclass
class BasketView:
    basket_id: int | None
    groups: list[ShopGroup]
    currency: str = "EUR"

    @property
    def lines(self) -> list[LineView]:
        return [line for group in self.groups for line in group.lines]

    @property
    def total_cents(self) -> int:
        return sum(group.subtotal_cents for group in self.groups)

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def holds_alcohol(self) -> bool:
        """Whether a line is an alcoholic product: the buyer confirms being of age before ordering."""
        return any(line.product.is_alcoholic for line in self.lines)

    @property
    def is_empty(self) -> bool:
        return not self.groups


def find_basket(owner: BasketOwner) -> Basket | None:
    if owner.user_id is not None:
        return db.session.scalar(select(Basket).where(Basket.user_id == owner.user_id))
    if owner.token:
        return db.session.scalar(select(Basket).where(Basket.token == owner.token, Basket.user_id.is_(None)))
    return None


def _basket_for_update(owner: BasketOwner) -> Basket:
    basket = find_basket(owner)
    if basket is None:
        if owner.user_id is not None:
            basket = Basket(user_id=owner.user_id)
        else:
            basket = Basket(token=owner.token or new_basket_token())
        db.session.add(basket)
        db.session.flush()
    return basket


def new_basket_token() -> str:
    return secrets.token_urlsafe(24)


def _sellable(product_id: int) -> tuple[Product, int]:
    """The product and its available quantity, if it can be sold now.

    :raise NotFoundError: unknown, inactive, or its shop is not approved.
    """
    row = db.session.execute(
        select(Product, StockRecord.on_hand - StockRecord.allocated)
        .join(Shop, Shop.id == Product.shop_id)
        .outerjoin(StockRecord, StockRecord.product_id == Product.id)
        .where(Product.id == product_id, Product.is_active.is_(True), Shop.status == ShopStatus.APPROVED)
    ).first()
    if row is None:
        raise NotFoundError("Ce produit n'est pas disponible.", fields={"product_id": "inconnu"})
    return row[0], int(row[1] or 0)


def _check_quantity(product: Product, quantity: int, available: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationFailed(f"La quantité doit être entre 1 et {MAX_QUANTITY}.",
                               fields={"quantity": f"entre 1 et {MAX_QUANTITY}"})
    if quantity > available:
        message = (f"Il ne reste que {available} « {product.name} »." if available > 0
                   else f"« {product.name} » est en rupture de stock.")
        raise InsufficientStock(message, fields={"quantity": f"{available} au plus", "product_id": str(product.id)})


def add_line(owner: BasketOwner, product_id: int, quantity: int) -> Basket:
    """Add `quantity` of a product (or increase its line). Creates the basket if needed. Flushes.

    :raise NotFoundError: the product cannot be sold.
    :raise ValidationFailed: quantity outside 1..99.
    :raise InsufficientStock: the line would exceed the available stock.
    """
    if quantity < 1:
        raise ValidationFailed("La quantité doit être positive.", fields={"quantity": "doit être ≥ 1"})
    product, available = _sellable(product_id)
    basket = _basket_for_update(owner)
    line = _line(basket.id, product_id)
    _check_quantity(product, (line.quantity if line else 0) + quantity, available)
    if line is None:
        db.session.add(BasketLine(basket_id=basket.id, product_id=product_id, quantity=quantity))
    else:
        line.quantity = line.quantity + quantity
    db.session.flush()
    return basket


def set_quantity(owner: BasketOwner, product_id: int, quantity: int) -> None:
    """Set a line's quantity; 0 removes it. Flushes.

    :raise NotFoundError: the product is not in the basket (or cannot be sold any more, for quantity > 0).
    :raise ValidationFailed / InsufficientStock: as for `add_line`.
    """
    basket = find_basket(owner)
    line = _line(basket.id, product_id) if basket else None
    if line is None:
        raise NotFoundError("Ce produit n'est pas dans votre panier.", fields={"product_id": "absent"})
    if quantity == 0:
        db.session.delete(line)
    else:
        product, available = _sellable(product_id)
        _check_quantity(product, quantity, available)
        line.quantity = quantity
    db.session.flush()


def remove_line(owner: BasketOwner, product_id: int) -> None:
    """Remove a product from the basket. Flushes. :raise NotFoundError: not in the basket."""
    set_quantity(owner, product_id, 0)


def _line(basket_id: int, product_id: int) -> BasketLine | None:
    return db.session.scalar(
        select(BasketLine).where(BasketLine.basket_id == basket_id, BasketLine.product_id == product_id)
    )


def view_basket(owner: BasketOwner) -> BasketView:
    """The basket at current prices, grouped by shop (shops by name, lines in the order added).
    Lines whose product can no longer be sold are left out."""
    basket = find_basket(owner)
    if basket is None:
        return BasketView(None, [])
    return basket_view_of(basket)


# Built once, as the other statements of a checkout: building one per call costs about as much as running it.
_LINES_OF_BASKET = (
    select(BasketLine, Product, StockRecord.on_hand - StockRecord.allocated, Shop)
    .join(Product, Product.id == BasketLine.product_id)
    .join(Shop, Shop.id == Product.shop_id)
    .outerjoin(StockRecord, StockRecord.product_id == Product.id)
    .where(BasketLine.basket_id == bindparam("basket_id"), Product.is_active.is_(True),
           Shop.status == ShopStatus.APPROVED)
    .order_by(Shop.name, BasketLine.id)
)
_LOCK_BASKET = select(Basket).where(Basket.user_id == bindparam("user_id")).with_for_update()
_EMPTY_BASKET = delete(BasketLine).where(BasketLine.basket_id == bindparam("basket_id"))


def basket_view_of(basket: Basket) -> BasketView:
    """`view_basket` of a basket already at hand (one query: lines, products, stock and shops)."""
    rows = db.session.execute(_LINES_OF_BASKET, {"basket_id": basket.id}).all()
    groups: dict[int, ShopGroup] = {}
    for line, product, available, shop in rows:
        group = groups.setdefault(shop.id, ShopGroup(shop))
        group.lines.append(LineView(product, line.quantity, int(available or 0)))
    return BasketView(basket.id, list(groups.values()))


def item_count(owner: BasketOwner) -> int:
    basket = find_basket(owner)
    if basket is None:
        return 0
    return sum(line.quantity for line in basket.lines)


def merge_anonymous_basket(token: str, user_id: int) -> None:
    """At log-in: move the anonymous basket's lines into the account's basket, adding quantities,
    each capped at the stock available now; the anonymous basket is deleted. Flushes."""
    anonymous = find_basket(BasketOwner(None, token))
    if anonymous is None:
        return
    target = _basket_for_update(BasketOwner(user_id, None))
    for line in list(anonymous.lines):
        try:
            product, available = _sellable(line.product_id)
        except NotFoundError:
            continue
        existing = _line(target.id, line.product_id)
        wanted = min((existing.quantity if existing else 0) + line.quantity, available, MAX_QUANTITY)
        if wanted <= 0:
            continue
        if existing is None:
            db.session.add(BasketLine(basket_id=target.id, product_id=product.id, quantity=wanted))
        else:
            existing.quantity = wanted
    db.session.delete(anonymous)
    db.session.flush()


def lock_basket(owner: BasketOwner) -> Basket | None:
    """SELECT … FOR UPDATE the owner's basket: checkouts of one basket run one after the other."""
    if owner.user_id is None:
        return None
    return db.session.scalar(_LOCK_BASKET, {"user_id": owner.user_id})


def empty_basket(basket: Basket) -> None:
    """Delete the basket's lines with one statement (the session forgets them too). Flushes."""
    db.session.execute(_EMPTY_BASKET, {"basket_id": basket.id})
    db.session.expire(basket, ["lines"])
