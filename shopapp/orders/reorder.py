"""Order again: a past order's products go back into the resident's basket, as far as the shops can
still sell them.

Each product of the order is added with the quantity bought, capped by what the shop has in stock now
(less what the basket already holds of it). What cannot come back is reported with a reason:
`withdrawn` (no longer sold: deactivated, deleted, or its shop closed), `sold_out` (none left) or
`reduced` (added, but fewer than before: the stock is short).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select

from shopapp.catalog.models import Product, Shop, ShopStatus, StockRecord
from shopapp.extensions import db
from shopapp.orders import basket as baskets
from shopapp.orders import queries

Reason = Literal["withdrawn", "sold_out", "reduced"]
WITHDRAWN: Reason = "withdrawn"
SOLD_OUT: Reason = "sold_out"
REDUCED: Reason = "reduced"


@dataclass(frozen=True)
class Added:
    product_id: int
    quantity: int


@dataclass(frozen=True)
class Unavailable:
    product_id: int | None
    name: str
    reason: Reason
    wanted: int
    added: int = 0


@dataclass
class ReorderResult:
    added: list[Added] = field(default_factory=list)
    unavailable: list[Unavailable] = field(default_factory=list)

    @property
    def added_count(self) -> int:
        return sum(item.quantity for item in self.added)


@dataclass
class _Wanted:
    product_id: int | None
    name: str
    quantity: int


def _wanted_lines(order_id: int, user_id: int) -> list[_Wanted]:
    """The order's products in the order they appear, quantities of a product bought twice added up."""
    order = queries.order_for_user(order_id, user_id)
    wanted: dict[object, _Wanted] = {}
    for part in sorted(order.parts, key=lambda p: p.id):
        for line in sorted(part.lines, key=lambda line_: line_.id):
            key: object = line.product_id if line.product_id is not None else ("gone", line.id)
            if key in wanted:
                wanted[key].quantity += line.quantity
            else:
                wanted[key] = _Wanted(line.product_id, line.name, line.quantity)
    return list(wanted.values())


def _sellable(product_ids: list[int]) -> dict[int, int]:
    """Product id → available quantity, for the products that can be sold now."""
    if not product_ids:
        return {}
    rows = db.session.execute(
        select(Product.id, StockRecord.on_hand - StockRecord.allocated)
        .join(Shop, Shop.id == Product.shop_id)
        .outerjoin(StockRecord, StockRecord.product_id == Product.id)
        .where(Product.id.in_(product_ids), Product.is_active.is_(True), Shop.status == ShopStatus.APPROVED)
    ).all()
    return {product_id: max(0, int(available or 0)) for product_id, available in rows}


def reorder(order_id: int, user_id: int) -> ReorderResult:
    """Put the products of the user's own order back into their basket. Flushes.

    :raise NotFoundError: the order is missing or someone else's.
    """
    lines = _wanted_lines(order_id, user_id)
    sellable = _sellable([line.product_id for line in lines if line.product_id is not None])
    owner = baskets.BasketOwner(user_id, None)
    basket = baskets.find_basket(owner)
    in_basket = {line.product_id: line.quantity for line in basket.lines} if basket is not None else {}
    result = ReorderResult()
    for line in lines:
        if line.product_id is None or line.product_id not in sellable:
            result.unavailable.append(Unavailable(line.product_id, line.name, WITHDRAWN, line.quantity))
            continue
        available = sellable[line.product_id]
        room = min(available, baskets.MAX_QUANTITY) - in_basket.get(line.product_id, 0)
        quantity = min(line.quantity, room)
        if quantity > 0:
            baskets.add_line(owner, line.product_id, quantity)
            result.added.append(Added(line.product_id, quantity))
        if available <= 0:
            result.unavailable.append(Unavailable(line.product_id, line.name, SOLD_OUT, line.quantity))
        elif quantity < line.quantity:
            result.unavailable.append(Unavailable(line.product_id, line.name, REDUCED, line.quantity,
                                                  max(quantity, 0)))
    return result
