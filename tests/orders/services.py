"""Helpers calling the order services directly, each in its own app context and committed."""

from __future__ import annotations

from typing import Any

from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.orders.basket import BasketOwner, add_line
from shopapp.orders.placement import CheckoutRequest, place_order


def fill_basket(app: Any, user_id: int, *lines: tuple[int, int]) -> None:
    with app.app_context():
        for product_id, quantity in lines:
            add_line(BasketOwner(user_id, None), product_id, quantity)
        commit()


def checkout(app: Any, user_id: int, slot_id: int, key: str | None = None) -> int:
    """Place an order paid at pickup; returns its id."""
    with app.app_context():
        result = place_order(CheckoutRequest(user_id, slot_id, "at_pickup", key))
        order_id = result.order.id
        commit()
        return order_id


def call(app: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a service and commit; on a domain error roll back and return the error."""
    from shopapp.errors import DomainError

    with app.app_context():
        try:
            value = fn(*args, **kwargs)
            value = getattr(value, "id", value)
            commit()
            return value
        except DomainError as error:
            db.session.rollback()
            return error
