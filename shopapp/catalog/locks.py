"""The one place that decides lock order for stock rows: always ascending product id.

Two checkouts touching the same products in opposite basket order then lock them in the same order,
so they queue instead of deadlocking (oscar's "deterministic stock-record order").
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from shopapp.catalog.models import StockRecord
from shopapp.extensions import db


def lock_stock_records(product_ids: Iterable[int]) -> dict[int, StockRecord]:
    """SELECT … FOR UPDATE the stock rows of these products, in product-id order (no-op lock on SQLite,
    where BEGIN IMMEDIATE already serialises writers). Returns them by product id."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = db.session.scalars(
        select(StockRecord).where(StockRecord.product_id.in_(ids)).order_by(StockRecord.product_id).with_for_update()
    ).all()
    return {row.product_id: row for row in rows}
