"""A real worker SIGKILLed during settlement, or during a payout, then restarted: exactly one transfer
per (order, shop) on the Connect fake, and a balanced ledger.

Real parts: the checkout API, the desk's collection, Celery worker processes (`celery -A
worker.celery_app worker`) on this backend's broker and database, the outbox sweep that re-publishes
the killed job. Faked: Stripe Connect (tests/support/stripe_connect_fake.py, localstripe has none),
which here also holds one transfer response open so that the kill lands after Stripe made the
transfer and before the worker heard back — no test hook in the application code.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from shopapp.catalog.models import Shop
from shopapp.core import outbox
from shopapp.core.outbox import OutboxJob
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.orders.models import OrderPart
from shopapp.payments import ledger
from shopapp.payments.models import CardPaymentStatus, LedgerEntry, Payment, Payout, PayoutStatus
from tests.checkout.flow import bring_to_venue_and_collect, order_by_api, token_headers
from tests.conftest import IS_POSTGRES
from tests.payments.conftest import TEST_SECRET_KEY
from tests.support.processes import start_worker_process
from tests.support.waiting import wait_for

pytestmark = pytest.mark.reliability

PAYMENT_TASKS = ("orders.order_collected", "payments.pay_out_part")


def _collected_two_shop_order(app, client, world, make_user, connect_fake) -> tuple[int, dict[int, int]]:  # type: ignore[no-untyped-def]
    """Bread 3 × 3,35 € at 10 % and Comté 12,99 € at 7,5 %, paid in cash at the desk; the collection's
    settlement job is written to the outbox, not yet published. → (order id, {part id: shop id})."""
    bakery, cheese = world.shop("Boulangerie"), world.shop("Fromagerie")
    with app.app_context():
        for shop_id, rate in ((bakery, 1000), (cheese, 750)):
            shop = db.session.get(Shop, shop_id)
            shop.commission_rate_bps = rate
            shop.stripe_account_id = connect_fake.add_account()
        commit()
    bread, comte = world.product(bakery, "Pain", 335, stock=10), world.product(cheese, "Comté", 1299, stock=10)
    make_user(email="res@example.org")
    created = order_by_api(
        client, token_headers(client, "res@example.org"), world.slot(), [(bread, 3), (comte, 1)], method="at_pickup"
    )
    assert created.status_code == 201
    order_id = created.json["id"]
    bring_to_venue_and_collect(app, order_id, paid_via="cash")
    with app.app_context():
        parts = dict(
            db.session.execute(select(OrderPart.id, OrderPart.shop_id).where(OrderPart.order_id == order_id)).all()
        )
    return order_id, {int(k): int(v) for k, v in parts.items()}


def _worker_env(connect_fake) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "STRIPE_SECRET_KEY": TEST_SECRET_KEY,
        "STRIPE_CONNECT_API_BASE": connect_fake.api_base,
        "STRIPE_MAX_NETWORK_RETRIES": "0",
        "LOG_JSON": "0",
    }


def _kill(worker: subprocess.Popen[Any]) -> None:
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)


def _restart_until_paid_out(app, connect_fake, monkeypatch, log: Path) -> None:  # type: ignore[no-untyped-def]
    """A new worker; the sweep re-publishes what the killed one left published but not done."""
    monkeypatch.setitem(app.config, "OUTBOX_REPUBLISH_AFTER", 1)
    worker = start_worker_process(_worker_env(connect_fake), log)
    try:

        def all_done() -> bool:
            with app.app_context():
                outbox.sweep(pending_grace=0)
                db.session.remove()
                left = db.session.scalar(
                    select(func.count(OutboxJob.id)).where(
                        OutboxJob.task_name.in_(PAYMENT_TASKS), OutboxJob.status != "done"
                    )
                )
                paid = db.session.scalar(select(func.count(Payout.id)).where(Payout.status == PayoutStatus.PAID))
                return left == 0 and paid == 2

        wait_for(all_done, timeout=120, interval=1.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)


def _assert_one_transfer_per_shop_and_balanced(app, connect_fake, order_id: int, parts: dict[int, int]) -> None:  # type: ignore[no-untyped-def]
    # 1005 at 10 % → 101 commission + 20 VAT, 884 transferred; 1299 at 7,5 % → 97 + 19, 1183 transferred.
    net = {1005: 884, 1299: 1183}
    with app.app_context():
        db.session.remove()
        accounts = {shop_id: db.session.get(Shop, shop_id).stripe_account_id for shop_id in parts.values()}
        number = db.session.scalar(select(Payment.order_ref).where(Payment.order_id == order_id))
        transfers = sorted((t["destination"], t["amount"], t["metadata"]["part_id"]) for t in connect_fake.transfers)
        assert {t["transfer_group"] for t in connect_fake.transfers} == {f"order:{number}"}
        subtotals = dict(
            db.session.execute(
                select(OrderPart.id, OrderPart.subtotal_cents).where(OrderPart.order_id == order_id)
            ).all()
        )
        assert transfers == sorted((accounts[shop], net[subtotals[part]], str(part)) for part, shop in parts.items())
        payouts = db.session.execute(select(Payout.part_id, Payout.status, Payout.stripe_transfer_id)).all()
        assert sorted((p.part_id, p.status) for p in payouts) == sorted((part, "paid") for part in parts)
        assert {p.stripe_transfer_id for p in payouts} == {t["id"] for t in connect_fake.transfers}
        payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
        assert (payment.status, payment.amount_captured_cents) == (CardPaymentStatus.SUCCEEDED, 2304)
        for part, shop in parts.items():
            kinds = db.session.execute(
                select(LedgerEntry.kind, func.count(), func.sum(LedgerEntry.amount_cents))
                .where(LedgerEntry.part_id == part)
                .group_by(LedgerEntry.kind)
            ).all()
            commission = {1005: 101, 1299: 97}[subtotals[part]]
            vat = (commission * 2000 + 5000) // 10000
            assert subtotals[part] - commission - vat == net[subtotals[part]]
            assert {k: (int(n), int(total)) for k, n, total in kinds} == {
                "pickup_receipt": (1, subtotals[part]),
                "commission": (1, -commission),
                "commission_vat": (1, -vat),
                "payout": (1, -net[subtotals[part]]),
            }
            assert ledger.balance(shop).balance_cents == 0
        from shopapp.dev.invariants import check_invariants

        assert check_invariants() == []


def test_worker_killed_while_stripe_holds_the_transfer_then_restarted_transfers_once(
    app, client, world, make_user, connect_fake, no_dispatch, monkeypatch, tmp_path
):  # type: ignore[no-untyped-def]
    order_id, parts = _collected_two_shop_order(app, client, world, make_user, connect_fake)
    app.extensions["celery"].control.purge()
    connect_fake.hold_next("POST", "/v1/transfers")
    with app.app_context():
        outbox.sweep(pending_grace=0)  # publishes the settlement job (and the order's notices)

    first = start_worker_process(_worker_env(connect_fake), tmp_path / "worker1.log")
    try:
        assert connect_fake.held.wait(timeout=90), (tmp_path / "worker1.log").read_text()[-3000:]
    finally:
        _kill(first)  # Stripe made the transfer; the worker never heard back nor committed
        connect_fake.release()

    assert len(connect_fake.transfers) == 1
    with app.app_context():
        db.session.remove()
        assert db.session.scalar(select(func.count(Payout.id)).where(Payout.status == PayoutStatus.PAID)) == 0
        assert db.session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "payout")) == 0
        assert db.session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "pickup_receipt")) == 2
    connect_fake.expire_idempotency_keys()  # and a day passed: only our own lookup can find that transfer

    _restart_until_paid_out(app, connect_fake, monkeypatch, tmp_path / "worker2.log")

    _assert_one_transfer_per_shop_and_balanced(app, connect_fake, order_id, parts)


@pytest.mark.postgres
@pytest.mark.skipif(not IS_POSTGRES, reason="needs a PostgreSQL row lock to stop the worker mid-transaction")
def test_worker_killed_in_the_middle_of_settlement_then_restarted_settles_and_transfers_once(
    app, client, world, make_user, connect_fake, no_dispatch, monkeypatch, tmp_path
):  # type: ignore[no-untyped-def]
    # PostgreSQL only: the kill must land inside the settlement transaction, after it wrote the first
    # part's postings. A row lock does that here (the worker waits on the second part's receipt, which
    # this test has inserted and not committed); SQLite takes the whole database's write lock when the
    # transaction begins, so there the worker could only be stopped before doing anything.
    order_id, parts = _collected_two_shop_order(app, client, world, make_user, connect_fake)
    second_part = sorted(parts)[1]  # settlement goes through the parts in id order
    app.extensions["celery"].control.purge()
    with app.app_context():
        blocker = db.engine.connect()
    blocker.execute(
        text(
            "INSERT INTO ledger_entry (shop_id, part_id, order_id, kind, amount_cents, currency, reference, "
            "created_at) VALUES (:shop, :part, :order, 'pickup_receipt', 0, 'EUR', 'settlement', now())"
        ),
        {"shop": parts[second_part], "part": second_part, "order": order_id},
    )
    with app.app_context():
        outbox.sweep(pending_grace=0)

    first = start_worker_process(_worker_env(connect_fake), tmp_path / "worker1.log")
    try:

        def settling_second_part() -> bool:
            # From a connection of its own: pg_stat_activity is a snapshot frozen for a transaction.
            with app.app_context(), db.engine.connect() as watcher:
                return bool(
                    watcher.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND wait_event_type = 'Lock' AND query ILIKE 'INSERT INTO ledger_entry%'"
                        )
                    ).scalar()
                )

        wait_for(settling_second_part, timeout=90, interval=0.2)
    finally:
        _kill(first)
        blocker.rollback()
        blocker.close()

    with app.app_context():
        db.session.remove()
        # Everything the killed settlement did (the payment, the first part's postings, its payout job) is gone.
        status = db.session.scalar(select(Payment.status).where(Payment.order_id == order_id))
        assert status == CardPaymentStatus.PENDING
        assert db.session.scalar(select(func.count(LedgerEntry.id))) == 0
        assert (
            db.session.scalar(select(func.count(OutboxJob.id)).where(OutboxJob.task_name == "payments.pay_out_part"))
            == 0
        )
    assert connect_fake.transfers == []

    _restart_until_paid_out(app, connect_fake, monkeypatch, tmp_path / "worker2.log")

    _assert_one_transfer_per_shop_and_balanced(app, connect_fake, order_id, parts)
