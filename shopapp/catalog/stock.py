"""The stock service: the only code that changes `stock_record` counters.

Every change is one conditional SQL UPDATE (never read-modify-write in Python) applied in ascending
product-id order; the affected row count decides success. Services flush and never commit: when
one line of a multi-line allocation fails, the caller's transaction is rolled back whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Integer, cast, literal, select, text, union_all, update

from shopapp.catalog.locks import lock_stock_records
from shopapp.catalog.models import Product, StockMovement, StockRecord
from shopapp.core import outbox
from shopapp.core.clock import utcnow
from shopapp.errors import InsufficientStock, NotFoundError, ValidationFailed
from shopapp.extensions import db

# Outbox task (worker/tasks/notices.py): tell the shop a product fell to its alert level.
LOW_STOCK_TASK = "notices.low_stock"


@dataclass(frozen=True)
class StockLine:
    product_id: int
    quantity: int


def _ordered(lines: Iterable[StockLine]) -> list[StockLine]:
    merged: dict[int, int] = {}
    for line in lines:
        if line.quantity <= 0:
            raise ValidationFailed("La quantité doit être positive.", fields={"quantity": "doit être ≥ 1"})
        merged[line.product_id] = merged.get(line.product_id, 0) + line.quantity
    return [StockLine(pid, qty) for pid, qty in sorted(merged.items())]


def _crosses_threshold(available_after: int, threshold: int, *, removed: int) -> bool:
    # Computed from the row the conditional UPDATE returned, so two concurrent changes each see their
    # own before/after: exactly one of them crosses the threshold, and only that one emits the job.
    return available_after + removed > threshold >= available_after


def _note_low_stock(product_id: int, *, available_after: int, removed: int, threshold: int) -> None:
    if _crosses_threshold(available_after, threshold, removed=removed):
        outbox.enqueue(LOW_STOCK_TASK, product_id=product_id)


def _product_name(product_id: int) -> str:
    return db.session.scalar(select(Product.name).where(Product.id == product_id)) or f"#{product_id}"


# PostgreSQL: the wanted quantities come as two arrays (one statement text whatever the basket's size,
# built once); the rows are locked in product order first, then changed by one conditional UPDATE.
_LOCK_IN_ORDER = text("SELECT id FROM stock_record WHERE product_id = ANY(:ids) ORDER BY product_id FOR UPDATE")
_ALLOCATE_PG = text(
    "UPDATE stock_record SET allocated = stock_record.allocated + wanted.quantity"
    " FROM unnest(CAST(:ids AS integer[]), CAST(:quantities AS integer[])) AS wanted(product_id, quantity)"
    " WHERE stock_record.product_id = wanted.product_id"
    " AND stock_record.on_hand - stock_record.allocated >= wanted.quantity"
    " RETURNING stock_record.product_id, stock_record.on_hand - stock_record.allocated,"
    " stock_record.low_stock_threshold")


def allocate(lines: Sequence[StockLine], *, emit_low_stock: bool = True) -> list[int]:
    """Hold stock for an order (two-stage stock, stage one), every line in one statement. Flushes.

    One conditional UPDATE … FROM the wanted quantities, `WHERE on_hand - allocated >= qty`, returning
    the rows it changed. On PostgreSQL, a basket of several products first locks their rows in
    ascending product id (`SELECT … ORDER BY product_id FOR UPDATE`), so two orders sharing products
    queue instead of deadlocking: a multi-row UPDATE alone locks in whatever order its plan visits the
    rows, and a locking CTE inside the UPDATE loses rows a concurrent order changed meanwhile. On SQLite,
    BEGIN IMMEDIATE already serialises writers. A line whose row did not come back is short: the
    statement changed the other rows, and the caller rolls the transaction back (as for any error here).

    Returns the products this allocation brought down to their alert level; their low-stock jobs are
    enqueued here, unless `emit_low_stock=False` (the caller writes them with its own outbox rows).

    :raise InsufficientStock: a line wants more than `on_hand - allocated`; names the product in
        `fields["product_id"]` (the lowest such product id). The caller rolls back.
    """
    ordered = _ordered(lines)
    if not ordered:
        return []
    ids = [line.product_id for line in ordered]
    if db.session.get_bind().dialect.name == "postgresql":
        if len(ids) > 1:
            db.session.execute(_LOCK_IN_ORDER, {"ids": ids})
        rows = db.session.execute(_ALLOCATE_PG, {"ids": ids, "quantities": [line.quantity for line in ordered]}).all()
    else:
        wanted = union_all(*(
            select(cast(literal(line.product_id), Integer).label("product_id"),
                   cast(literal(line.quantity), Integer).label("quantity"))
            for line in ordered
        )).subquery("wanted")
        rows = db.session.execute(
            update(StockRecord)
            .where(
                StockRecord.product_id == wanted.c.product_id,
                StockRecord.on_hand - StockRecord.allocated >= wanted.c.quantity,
            )
            .values(allocated=StockRecord.allocated + wanted.c.quantity)
            .returning(StockRecord.product_id, StockRecord.on_hand - StockRecord.allocated,
                       StockRecord.low_stock_threshold)
            .execution_options(synchronize_session=False)
        ).all()
    changed = {int(row[0]): (int(row[1]), int(row[2])) for row in rows}
    short = [line.product_id for line in ordered if line.product_id not in changed]
    if short:
        name = _product_name(short[0])
        raise InsufficientStock(
            f"Stock insuffisant pour « {name} ».",
            fields={"product_id": str(short[0]), "product": name},
        )
    low = [line.product_id for line in ordered
           if _crosses_threshold(*changed[line.product_id], removed=line.quantity)]
    if emit_low_stock:
        for product_id in low:
            outbox.enqueue(LOW_STOCK_TASK, product_id=product_id)
    _expire_counters(ids)
    return low


def _expire_counters(product_ids: Iterable[int]) -> None:
    # The UPDATE bypassed the ORM: forget the counters of the stock rows this session holds (no SQL now;
    # they reload if read) instead of expiring the whole session, which would reload every object.
    wanted = set(product_ids)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, StockRecord) and obj.product_id in wanted:
            db.session.expire(obj, ["on_hand", "allocated"])


def release(lines: Sequence[StockLine]) -> None:
    """Give back held stock (cancel, expiry, no-show, rejected part). Flushes."""
    for line in _ordered(lines):
        db.session.execute(
            update(StockRecord)
            .where(StockRecord.product_id == line.product_id, StockRecord.allocated >= line.quantity)
            .values(allocated=StockRecord.allocated - line.quantity)
            .execution_options(synchronize_session=False)
        )
    db.session.expire_all()


def consume(lines: Sequence[StockLine], *, reason: str = "retrait", actor_id: int | None = None) -> None:
    """Stage two at pickup: held stock leaves the shelf (on_hand and allocated both drop). Flushes."""
    for line in _ordered(lines):
        result = db.session.execute(
            update(StockRecord)
            .where(StockRecord.product_id == line.product_id, StockRecord.allocated >= line.quantity)
            .values(on_hand=StockRecord.on_hand - line.quantity, allocated=StockRecord.allocated - line.quantity)
            .returning(StockRecord.on_hand)
            .execution_options(synchronize_session=False)
        )
        after = result.scalar()
        if after is not None:
            db.session.add(StockMovement(product_id=line.product_id, delta=-line.quantity, on_hand_after=after,
                                         reason=reason, actor_id=actor_id, created_at=utcnow()))
    db.session.flush()
    db.session.expire_all()


def adjust(product_id: int, delta: int, *, reason: str, actor_id: int | None = None,
           shop_token_id: int | None = None) -> int:
    """Add or remove stock on hand, logged. Never below what is allocated nor below zero. Flushes.

    Returns the new on-hand quantity.
    :raise InsufficientStock: the change would leave less than what orders hold.
    :raise NotFoundError: the product has no stock record.
    :raise ValidationFailed: a zero change.
    """
    if delta == 0:
        raise ValidationFailed("La variation de stock ne peut pas être nulle.", fields={"delta": "doit être ≠ 0"})
    result = db.session.execute(
        update(StockRecord)
        .where(StockRecord.product_id == product_id, StockRecord.on_hand + delta >= StockRecord.allocated,
               StockRecord.on_hand + delta >= 0)
        .values(on_hand=StockRecord.on_hand + delta)
        .returning(StockRecord.on_hand, StockRecord.on_hand - StockRecord.allocated, StockRecord.low_stock_threshold)
        .execution_options(synchronize_session=False)
    )
    row = result.first()
    after = None if row is None else row[0]
    if row is not None and delta < 0:
        _note_low_stock(product_id, available_after=row[1], removed=-delta, threshold=row[2])
    if after is None:
        if db.session.scalar(select(StockRecord.id).where(StockRecord.product_id == product_id)) is None:
            raise NotFoundError("Produit introuvable.")
        raise InsufficientStock(
            "Le stock ne peut pas descendre sous zéro ni sous les quantités déjà réservées.",
            fields={"delta": "trop grand"},
        )
    db.session.add(StockMovement(product_id=product_id, delta=delta, on_hand_after=after, reason=reason[:120],
                                 actor_id=actor_id, shop_token_id=shop_token_id, created_at=utcnow()))
    db.session.flush()
    db.session.expire_all()
    return int(after)


def set_on_hand(product_id: int, quantity: int, *, reason: str, actor_id: int | None = None,
                shop_token_id: int | None = None) -> int:
    """Set the absolute on-hand quantity (a stock count, a till sync), logged as the difference. Flushes.

    :raise ValidationFailed: negative quantity.
    :raise InsufficientStock: below what orders hold.
    """
    if quantity < 0:
        raise ValidationFailed("La quantité ne peut pas être négative.", fields={"quantity": "doit être ≥ 0"})

    record = lock_stock_records([product_id]).get(product_id)
    if record is None:
        raise NotFoundError("Produit introuvable.")
    if quantity == record.on_hand:
        return quantity  # nothing moved: no movement row (a till syncing the same count is a no-op)
    return adjust(product_id, quantity - record.on_hand, reason=reason, actor_id=actor_id,
                  shop_token_id=shop_token_id)
