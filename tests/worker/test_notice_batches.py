"""Notices in batches: the jobs of many orders run in one task, over one SMTP connection, exactly once.

The batch task runs here in the test's process (`apply`) so its SQL statements can be counted; the
messages go to the real SMTP sink (aiosmtpd).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import event, func, select, update

from shopapp.core import outbox
from shopapp.core.clock import utcnow
from shopapp.core.outbox import OutboxJob
from shopapp.extensions import db
from shopapp.notices.models import NoticeLog
from tests.conftest import IS_POSTGRES
from tests.orders.services import checkout, fill_basket

ORDERS = 12


def _orders(app: Any, world: Any, make_user: Any) -> None:
    shop = world.shop("Boulangerie Aurore")  # no staff, no shop address: one message per order
    bread = world.product(shop, "Baguette", stock=100)
    slot = world.slot(hours_from_now=30, capacity=ORDERS)
    for n in range(ORDERS):
        resident = make_user(email=f"client{n}@example.org", name=f"Client {n}")
        fill_basket(app, resident, (bread, 1))
        checkout(app, resident, slot)


def _job_ids(app: Any) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxJob.id).order_by(OutboxJob.id)))


def _statuses(app: Any) -> list[str]:
    with app.app_context():
        db.session.remove()
        return list(db.session.scalars(select(OutboxJob.status).order_by(OutboxJob.id)))


def _run_batch(app: Any, job_ids: list[int]) -> tuple[int, list[str]]:
    import worker.tasks.base  # noqa: F401 - registers the batch task

    # This app's own Celery task: `shared_task` would run on whichever app was made last in this process.
    run_batch = app.extensions["celery"].tasks[outbox.BATCH_TASK]
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.split("\n")[0][:100])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        done = run_batch.apply(kwargs={"job_ids": job_ids}).get()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return done, statements


def test_one_batch_sends_every_notice_over_one_connection_in_bounded_statements(
        app, world, make_user, smtp_server, no_dispatch):
    _orders(app, world, make_user)
    job_ids = _job_ids(app)
    assert len(job_ids) == 2 * ORDERS  # each order: the resident's confirmation and the shop's part

    done, statements = _run_batch(app, job_ids)

    assert done == 2 * ORDERS
    assert sorted(str(m["To"]) for m in smtp_server.messages) == sorted(f"client{n}@example.org"
                                                                         for n in range(ORDERS))
    assert smtp_server.sessions == 1
    assert _statuses(app) == ["done"] * len(job_ids)
    with app.app_context():
        assert db.session.scalars(select(NoticeLog.status)).all() == ["sent"] * ORDERS
    # The batch: its claim, its look for jobs still queued and one final 'done' UPDATE (and SQLite's BEGINs). Each
    # confirmation: the animations joined, its context (one query), its claim and its 'sent' mark (and the
    # claim's BEGIN on SQLite). Each shop part: its order id, context, staff and shop address (nobody here).
    per_confirmation = 4 if IS_POSTGRES else 5
    assert len(statements) <= (3 if IS_POSTGRES else 5) + per_confirmation * ORDERS + 4 * ORDERS, "\n".join(
        statements)
    # The claim of its jobs, the look for jobs still queued (the batch has room), and the final 'done'.
    assert sum(s.startswith("UPDATE outbox_job") for s in statements) == 3
    assert sum(s.startswith("INSERT INTO notice_log") for s in statements) == 1  # every notice claimed at once


@pytest.mark.skipif(not IS_POSTGRES, reason="marks written by a thread of their own: PostgreSQL (on SQLite the "
                                              "session commits each mark as soon as its message went)")
def test_a_message_goes_only_once_the_previous_ones_sent_mark_is_durable(
        app, world, make_user, smtp_server, no_dispatch):
    _orders(app, world, make_user)
    job_ids = _job_ids(app)
    with app.app_context():
        engine = db.engine

    def slow_marks(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("UPDATE notice_log SET"):
            time.sleep(0.1)  # a slow disk: each mark takes a while to be durable

    sent_before: list[int] = []

    def count_sent(_server: Any, _envelope: Any) -> None:  # in the SMTP server, as each message's data arrives
        with engine.connect() as look:
            sent_before.append(look.scalar(select(func.count()).select_from(NoticeLog)
                                           .where(NoticeLog.status == "sent")))

    smtp_server.on_data = count_sent
    event.listen(engine, "before_cursor_execute", slow_marks)
    try:
        done, _statements = _run_batch(app, job_ids)
    finally:
        event.remove(engine, "before_cursor_execute", slow_marks)

    assert done == 2 * ORDERS
    # The k-th message's data went once the k messages before it were recorded as sent (never more than one
    # message accepted and not recorded), and the last mark is durable when the batch ends.
    assert sent_before == list(range(ORDERS))
    with app.app_context():
        assert db.session.scalars(select(NoticeLog.status)).all() == ["sent"] * ORDERS


def test_a_batch_delivered_twice_sends_nothing_more(app, world, make_user, smtp_server, no_dispatch):
    _orders(app, world, make_user)
    job_ids = _job_ids(app)

    _run_batch(app, job_ids)
    done, _statements = _run_batch(app, job_ids)  # the broker hands the same batch out again

    assert done == 0
    assert len(smtp_server.messages) == ORDERS
    with app.app_context():
        assert db.session.scalar(select(func.count(NoticeLog.id))) == ORDERS


def test_a_batch_that_died_after_claiming_is_handed_out_again_by_the_sweep(
        app, world, make_user, smtp_server, no_dispatch, monkeypatch):
    _orders(app, world, make_user)
    job_ids = _job_ids(app)
    with app.app_context():
        claimed = outbox.claim_batch(job_ids)  # a worker claims the batch, then is killed: nothing sent
    assert [job_id for job_id, _name, _payload in claimed] == job_ids
    assert smtp_server.messages == []

    sent: list[dict[str, Any]] = []
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", True)
    monkeypatch.setitem(app.config, "OUTBOX_REPUBLISH_AFTER", 0)
    monkeypatch.setattr(app.extensions["celery"], "send_task",
                        lambda name, kwargs, **options: sent.append({"name": name, **kwargs}))
    with app.app_context():
        counts = outbox.sweep(pending_grace=0)

    assert counts == {"published": len(job_ids), "failed": 0, "unreachable": 0}
    assert sent == [{"name": outbox.BATCH_TASK, "job_ids": job_ids}]  # one batch, not one message per job
    _run_batch(app, sent[0]["job_ids"])
    assert sorted(str(m["To"]) for m in smtp_server.messages) == sorted(f"client{n}@example.org"
                                                                         for n in range(ORDERS))
    assert _statuses(app) == ["done"] * len(job_ids)


def _published(app: Any) -> None:
    """The jobs published, as the dispatcher marks them (their batch messages queued, not yet taken)."""
    with app.app_context():
        db.session.execute(update(OutboxJob).values(status="published", published_at=utcnow()))
        db.session.commit()


def test_a_batch_with_room_takes_the_jobs_still_waiting_in_the_queue(
        app, world, make_user, smtp_server, no_dispatch):
    _orders(app, world, make_user)  # each checkout's commit published its own small batch
    job_ids = _job_ids(app)
    _published(app)

    done, _statements = _run_batch(app, job_ids[:2])  # the first order's batch message

    assert done == len(job_ids)  # it also took the jobs of the messages queued behind it
    assert _statuses(app) == ["done"] * len(job_ids)
    assert len(smtp_server.messages) == ORDERS and smtp_server.sessions == 1
    done, _statements = _run_batch(app, job_ids[2:4])  # the next message: its jobs are done already
    assert done == 0 and len(smtp_server.messages) == ORDERS


def test_jobs_another_batch_holds_are_not_taken_again_until_that_batch_is_overdue(
        app, world, make_user, smtp_server, no_dispatch, monkeypatch):
    _orders(app, world, make_user)
    job_ids = _job_ids(app)
    _published(app)
    with app.app_context():
        assert len(outbox.claim_batch(job_ids)) == len(job_ids)  # another worker's batch is working on them

    done, _statements = _run_batch(app, job_ids)
    assert done == 0 and smtp_server.messages == []

    monkeypatch.setitem(app.config, "OUTBOX_REPUBLISH_AFTER", 0)  # that batch went silent for too long
    done, _statements = _run_batch(app, job_ids)
    assert done == len(job_ids) and len(smtp_server.messages) == ORDERS


def test_a_notice_the_server_refuses_for_now_goes_to_its_own_task_and_the_rest_are_sent(
        app, world, make_user, smtp_server, no_dispatch, monkeypatch):
    _orders(app, world, make_user)
    job_ids = _job_ids(app)
    handed: list[str] = []
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", True)
    monkeypatch.setattr(app.extensions["celery"], "send_task",
                        lambda name, kwargs, **options: handed.append(name))
    smtp_server.refuse_next(1)

    done, _statements = _run_batch(app, job_ids)

    assert done == 2 * ORDERS - 1
    assert handed == ["notices.order_confirmed"]  # retried with backoff by its own task
    assert len(smtp_server.messages) == ORDERS - 1
    assert sorted(_statuses(app)) == ["done"] * (2 * ORDERS - 1) + ["published"]


@pytest.mark.skipif(not IS_POSTGRES, reason="row locks between sessions: PostgreSQL (SQLite serialises writers)")
def test_a_claim_waits_for_the_dispatcher_still_marking_the_same_jobs(app, world, make_user, no_dispatch):
    # The worker may get the batch message before the dispatcher's "published" UPDATE commits: the claim
    # must wait for those row locks, not skip the rows (they would wait for the sweep's timeout).
    _orders(app, world, make_user)
    job_ids = _job_ids(app)
    claimed: list[Any] = []

    def claim() -> None:
        with app.app_context():
            claimed.extend(outbox.claim_batch(job_ids))

    with app.app_context():
        engine = db.engine
    with engine.connect() as dispatcher:
        marking = dispatcher.begin()
        dispatcher.execute(update(OutboxJob).where(OutboxJob.id.in_(job_ids)).values(status="published"))
        worker = threading.Thread(target=claim)
        worker.start()
        time.sleep(0.5)
        assert worker.is_alive() and claimed == []  # waiting for the dispatcher
        marking.commit()
    worker.join(timeout=20)

    assert [job_id for job_id, _name, _payload in claimed] == job_ids


class _FailingConnection:
    """Stands in for the marks' database connection (no real one can be made to fail on demand here)."""

    def execute(self, *_args: Any) -> None:
        raise RuntimeError("connection lost")


def test_a_mark_that_cannot_be_written_stops_the_batch_before_the_next_message() -> None:
    from shopapp.notices.services import MarkNotRecorded, _MarksInFlight

    marks = _MarksInFlight(_FailingConnection())  # type: ignore[arg-type]
    marks.record({"row_id": 1, "subject": "Un", "sent_at": None})
    with pytest.raises(MarkNotRecorded):
        marks.settle()  # what the next message's DATA waits for
    marks.settle()  # reported once: nothing left in flight
    marks.close()
