"""The broker down at checkout, and two beat schedulers running the same periodic task at once (the
hold expiry, the outbox sweep): one effect.

Redis down: the checkout still succeeds (the outbox rows commit with the order); publishing fails and
is left to the sweep, which publishes once the broker is back. The broker is made unreachable by
pointing the app's publisher at an address where none listens (`unreachable_broker`, shared with
tests/worker): a real connection refusal, on both backends.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from shopapp.core import outbox
from shopapp.core.clock import utcnow
from shopapp.core.outbox import OutboxJob
from shopapp.extensions import db
from shopapp.orders.models import OrderEvent
from shopapp.payments.card import CANCEL_INTENT_TASK
from shopapp.payments.models import Payment
from tests.checkout.flow import order_by_api, order_status, token_headers
from tests.reliability.conftest import assert_only_changed, snapshot
from tests.worker.test_welcome_email import unreachable_broker

pytestmark = pytest.mark.reliability


def _jobs(app: Any) -> list[tuple[str, str, bool]]:
    with app.app_context():
        return [
            (name, status, bool(error))
            for name, status, error in db.session.execute(
                select(OutboxJob.task_name, OutboxJob.status, OutboxJob.last_error).order_by(OutboxJob.id)
            ).all()
        ]


def test_broker_down_at_checkout_the_order_succeeds_and_the_sweep_publishes_later(
    app, client, world, make_user
) -> None:  # type: ignore[no-untyped-def]
    product = world.product(world.shop("Épicerie"), "Miel", 900, stock=5)
    slot = world.slot()
    make_user(email="res@example.org")
    headers = token_headers(client, "res@example.org")
    celery_app = app.extensions["celery"]
    celery_app.control.purge()

    with unreachable_broker(celery_app):
        response = order_by_api(client, headers, slot, [(product, 2)], method="at_pickup")
        assert response.status_code == 201

    order_id = response.json["id"]
    assert order_status(app, order_id) == ("confirmed", "due")
    assert world.stock(product) == (5, 2) and world.booked(slot) == 1
    jobs = _jobs(app)
    assert jobs and all(status == "pending" and has_error for _name, status, has_error in jobs)  # nothing lost
    before = snapshot(app)

    with app.app_context():
        counts = outbox.sweep(pending_grace=0)
    assert counts == {"published": len(jobs), "failed": 0, "unreachable": 0}
    assert [status for _name, status, _error in _jobs(app)] == ["published"] * len(jobs)
    assert_only_changed(before, snapshot(app), "outbox_job")
    celery_app.control.purge()  # no worker in this test: drop what was published


def test_two_beat_schedulers_expiring_holds_at_once_release_each_order_once(
    app, client, world, make_user, localstripe, no_dispatch
) -> None:  # type: ignore[no-untyped-def]
    product = world.product(world.shop("Épicerie"), "Miel", 900, stock=10)
    slot = world.slot()
    orders = []
    for i in range(3):
        make_user(email=f"res{i}@example.org")
        orders.append(
            order_by_api(client, token_headers(client, f"res{i}@example.org"), slot, [(product, 2)], key=f"k{i}").json[
                "id"
            ]
        )
    with app.app_context():
        db.session.execute(update(Payment).values(hold_expires_at=utcnow()))  # every hold just ran out
        db.session.commit()
    before = snapshot(app)
    task = app.extensions["celery"].tasks["payments.expire_unpaid"]
    barrier = threading.Barrier(2)
    results: list[int] = []

    def beat() -> None:
        barrier.wait()
        results.append(task())  # the task body, as a worker runs it: its own app context and commit

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) in ([0, 3], [1, 2])  # the work is shared or taken by one, never done twice
    assert all(order_status(app, order_id)[0] == "cancelled" for order_id in orders)
    assert world.stock(product) == (10, 0) and world.booked(slot) == 0
    with app.app_context():
        cancelled = db.session.scalar(
            select(func.count(OrderEvent.id)).where(OrderEvent.to_status == "cancelled", OrderEvent.part_id.is_(None))
        )
        cancel_jobs = db.session.scalar(
            select(func.count(OutboxJob.id)).where(OutboxJob.task_name == CANCEL_INTENT_TASK)
        )
    assert (cancelled, cancel_jobs) == (3, 3)
    assert_only_changed(
        before,
        snapshot(app),
        "payment",
        "customer_order",
        "order_part",
        "order_event",
        "stock_record",
        "pickup_slot",
        "outbox_job",
    )


def test_two_beat_schedulers_sweeping_the_outbox_at_once_publish_each_job_once(
    app, client, world, make_user, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    product = world.product(world.shop("Épicerie"), "Miel", 900, stock=20)
    slot = world.slot()
    celery_app = app.extensions["celery"]
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", False)  # jobs left pending, as after a broker outage
    for i in range(3):
        make_user(email=f"res{i}@example.org")
        assert (
            order_by_api(
                client,
                token_headers(client, f"res{i}@example.org"),
                slot,
                [(product, 1)],
                method="at_pickup",
                key=f"k{i}",
            ).status_code
            == 201
        )
    with app.app_context():
        db.session.execute(update(OutboxJob).values(created_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    jobs = len(_jobs(app))
    before = snapshot(app)
    celery_app.control.purge()
    task = celery_app.tasks["outbox.sweep"]
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []

    def beat() -> None:
        barrier.wait()
        results.append(task())

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(r["published"] for r in results) == jobs and all(r["failed"] == 0 for r in results)
    with app.app_context():
        attempts = db.session.execute(select(OutboxJob.status, OutboxJob.attempts)).all()
    assert [tuple(a) for a in attempts] == [("published", 1)] * jobs  # each handed to the broker once
    assert_only_changed(before, snapshot(app), "outbox_job")
    celery_app.control.purge()
