"""Status changes with their audit rows, and the outbox task names orders emit.

Every status change goes through `change_order_status` / `change_part_status`: the transition is
checked against the maps in `states.py`, applied by a conditional UPDATE (`WHERE status = :old`, so
a concurrent change makes this one fail instead of overwriting it) and recorded as an `OrderEvent`.
"""

from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.orm.attributes import set_committed_value

from shopapp.core.clock import utcnow
from shopapp.errors import InvalidTransition
from shopapp.extensions import db
from shopapp.orders.models import Order, OrderEvent, OrderPart
from shopapp.orders.states import ORDER_LABELS, PART_LABELS, OrderStatus, PartStatus, can_order_move, can_part_move

# Outbox task names emitted by orders; the worker registers each one (notices in worker/tasks/notices.py,
# settlement and payouts in worker/tasks/payments.py).
ORDER_CONFIRMED_TASK = "notices.order_confirmed"  # order_id: tell the resident
PART_TO_PREPARE_TASK = "notices.part_to_prepare"  # part_id: tell the shop
PART_REJECTED_TASK = "notices.part_rejected"  # part_id: tell the resident (and refund if paid)
LINE_REFUSED_TASK = "notices.line_refused"  # line_id: tell the resident (refunded if paid)
ORDER_READY_TASK = "notices.order_ready"  # order_id: tell the resident
ORDER_CANCELLED_TASK = "notices.order_cancelled"  # order_id: tell the shops
ORDER_NO_SHOW_TASK = "notices.order_no_show"  # order_id: tell the shops and the resident
ORDER_COLLECTED_TASK = "orders.order_collected"  # order_id: settlement and payouts
ORDER_RECEIPT_TASK = "notices.order_receipt"  # order_id: thank the resident, with the link to the receipt
PICKUP_MOVED_TASK = "notices.pickup_moved"  # order_id, slot_id: tell the resident and the shops preparing
SLOT_WITHDRAWN_TASK = "notices.slot_withdrawn"  # order_id, slot_id: ask the resident to choose another slot
EVENT_TASKS: tuple[str, ...] = (
    ORDER_CONFIRMED_TASK,
    PART_TO_PREPARE_TASK,
    PART_REJECTED_TASK,
    LINE_REFUSED_TASK,
    ORDER_READY_TASK,
    ORDER_CANCELLED_TASK,
    ORDER_NO_SHOW_TASK,
    ORDER_COLLECTED_TASK,
    ORDER_RECEIPT_TASK,
    PICKUP_MOVED_TASK,
    SLOT_WITHDRAWN_TASK,
)


def order_created_event(*, order: Order, actor_id: int | None) -> None:
    """The new order's first audit row: one INSERT, written at once (a checkout runs it; no unit of work)."""
    db.session.connection().execute(_INSERT_EVENT, {
        "order_id": order.id, "part_id": None, "from_status": None, "to_status": order.status, "actor_id": actor_id,
        "note": "", "at": utcnow()})


_INSERT_EVENT = insert(OrderEvent.__table__)


def change_order_status(order: Order, new: OrderStatus, *, actor_id: int | None, note: str = "") -> None:
    """Move `order` to `new` and write its audit row. Flushes.

    :raise InvalidTransition: `new` is not allowed from the current status, or another transaction
        changed the status first.
    """
    old = order.status
    if not can_order_move(old, new):
        raise InvalidTransition(
            f"Une commande « {ORDER_LABELS[OrderStatus(old)]} » ne peut pas passer à « {ORDER_LABELS[new]} ».",
            fields={"status": str(new)},
        )
    _compare_and_set_status(order, old, new, "La commande vient d'être modifiée par ailleurs. Rechargez la page.")
    db.session.add(OrderEvent(order_id=order.id, from_status=old, to_status=new, actor_id=actor_id, note=note[:200]))
    db.session.flush()


def _compare_and_set_status(row: Order | OrderPart, old: str, new: str, conflict_message: str) -> None:
    # One conditional UPDATE: it only applies if nobody moved the row since we read `old`.
    model = type(row)
    result = db.session.execute(
        update(model).where(model.id == row.id, model.status == old).values(status=new)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidTransition(conflict_message)
    set_committed_value(row, "status", str(new))


def change_part_status(part: OrderPart, new: PartStatus, *, actor_id: int | None, note: str = "") -> None:
    """Move a shop part to `new` and write its audit row. Flushes.

    :raise InvalidTransition: not allowed from the current status, or changed concurrently.
    """
    old = part.status
    if not can_part_move(old, new):
        raise InvalidTransition(
            f"Une part « {PART_LABELS[PartStatus(old)]} » ne peut pas passer à « {PART_LABELS[new]} ».",
            fields={"status": str(new)},
        )
    _compare_and_set_status(part, old, new, "Cette part vient d'être modifiée par ailleurs. Rechargez la page.")
    db.session.add(OrderEvent(order_id=part.order_id, part_id=part.id, from_status=old, to_status=new,
                              actor_id=actor_id, note=note[:200]))
    db.session.flush()
