"""Standing-order fixtures: the orders `world` (venue open every day, shops, products), slots at given
local times, and helpers that run the standing services and the beat's service as the worker does."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from shopapp.core.clock import as_utc
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.orders.models import Order, PickupSlot
from shopapp.standing import occurrences, services
from shopapp.standing.models import StandingOccurrence
from tests.orders.conftest import World, no_dispatch, world  # noqa: F401 - fixtures reused as they are
from tests.payments.conftest import localstripe, localstripe_server  # noqa: F401
from tests.support.clock import PARIS, local

__all__ = ["World", "world"]


def slot_at(app: Any, world: World, when: datetime, *, capacity: int = 10, booked: int = 0,
            withdrawn: bool = False) -> int:
    """A one-hour slot starting at `when` (aware); returns its id."""
    with app.app_context():
        start = when.astimezone(UTC)
        slot = PickupSlot(venue_id=world.venue_id, starts_at=start, ends_at=start + timedelta(hours=1),
                          capacity=capacity, booked=booked, withdrawn=withdrawn)
        db.session.add(slot)
        commit()
        return slot.id


def day_slots(app: Any, world: World, day: date, hours: range = range(8, 20), **kwargs: Any) -> dict[int, int]:
    """Hourly slots over a local day: hour → slot id."""
    return {hour: slot_at(app, world, local(day, hour), **kwargs) for hour in hours}


def make_standing(app: Any, user_id: int, lines: list[tuple[int, int]], slot_id: int, *, every_weeks: int = 1,
                  payment_method: str = "at_pickup", now: datetime | None = None) -> int:
    with app.app_context():
        created = services.create(user_id, [services.LineRequest(p, q) for p, q in lines], every_weeks=every_weeks,
                                  first_pickup_slot_id=slot_id, payment_method=payment_method, now=now)
        standing_id = created.standing_order.id
        commit()
        return standing_id


def beat(app: Any, now: datetime) -> int:
    """One run of the beat's service at `now`, one commit per date, as worker/tasks/standing.py does."""
    handled = 0
    with app.app_context():
        for item in occurrences.due(now):
            if occurrences.run(item.standing_order_id, item.pickup_date, now=now) is not None:
                handled += 1
            commit()
    return handled


def two_beats_at_once(app: Any, now: datetime) -> list[int]:
    """Two beats for the same tick in two threads (own sessions, own connections), released together."""
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(beat(app, now))
        except Exception as exc:
            results.append(exc)
        finally:
            with app.app_context():
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(isinstance(result, int) for result in results), results
    return sorted(results)


def orders_of(app: Any, standing_id: int) -> list[tuple[int, datetime, int]]:
    """(order id, local start of its slot, total) of the standing order's orders, by date."""
    with app.app_context():
        rows = db.session.execute(
            select(Order.id, PickupSlot.starts_at, Order.total_cents).join(PickupSlot)
            .where(Order.standing_order_id == standing_id).order_by(PickupSlot.starts_at)).all()
        return [(oid, as_utc(start).astimezone(PARIS), total) for oid, start, total in rows]


def occurrence_rows(app: Any, standing_id: int) -> list[tuple[date, str, int | None, dict[str, Any]]]:
    with app.app_context():
        return [(o.pickup_date, o.outcome, o.order_id, o.detail) for o in db.session.scalars(
            select(StandingOccurrence).where(StandingOccurrence.standing_order_id == standing_id)
            .order_by(StandingOccurrence.pickup_date))]


def count_orders(app: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count(Order.id))) or 0)


@pytest.fixture
def resident(make_user):  # type: ignore[no-untyped-def]
    return make_user(email="habitant@example.org", name="Camille")
