"""`check_invariants()` and `flask dev check-invariants`: each check reports a violating row.

Rows are written directly (not through the services, which would refuse them). Where the schema itself
forbids the violation (CHECK and UNIQUE constraints), the row is written on a connection of its own
inside a transaction that is rolled back, with the constraint lifted for that transaction only:
`PRAGMA ignore_check_constraints` on SQLite, `ALTER TABLE … DROP CONSTRAINT` on PostgreSQL (DDL is
transactional there). SQLite cannot lift a UNIQUE constraint, so that case runs on PostgreSQL only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from shopapp.animations.models import Animation, Registration, WalkIn
from shopapp.catalog.models import StockRecord
from shopapp.core.clock import utcnow
from shopapp.core.outbox import OutboxJob
from shopapp.core.transaction import commit
from shopapp.dev.invariants import check_invariants
from shopapp.extensions import db
from shopapp.orders.models import Order, OrderPart, PickupSlot
from shopapp.payments.models import LedgerEntry, Payment, Payout, Refund, StripeEvent
from tests.conftest import IS_POSTGRES
from tests.support.order_rows import make_order_rows

pytestmark = pytest.mark.reliability
CHECK_INVARIANTS = False  # these tests write violating rows on purpose


def _violations(app: Any) -> list[str]:
    with app.app_context():
        return check_invariants()


def _one(app: Any, needle: str) -> str:
    found = [v for v in _violations(app) if needle in v]
    assert found, f"no violation mentioning {needle!r} in {_violations(app)}"
    return found[0]


@contextmanager
def lifted(app: Any, *constraints: tuple[str, str]) -> Iterator[Session]:
    """A session on its own connection and transaction, with these (table, constraint) lifted; rolled back."""
    with app.app_context(), db.engine.connect() as conn:
        trans = conn.begin()
        if IS_POSTGRES:
            for table, name in constraints:
                conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        else:
            conn.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
        session = Session(bind=conn)
        try:
            yield session
        finally:
            session.close()
            trans.rollback()
            if not IS_POSTGRES:
                conn.exec_driver_sql("PRAGMA ignore_check_constraints = OFF")


def test_a_clean_database_and_a_consistent_order_pass(app, world, runner) -> None:  # type: ignore[no-untyped-def]
    world.product(world.shop(), stock=5)
    world.slot()
    rows = make_order_rows(app, parts=[(None, 1000, 1000)])
    _settle_and_pay(app, rows.order_id, rows.part_ids[0], received=1000, commission=100, payout=880)
    assert _violations(app) == []
    result = runner.invoke(args=["dev", "check-invariants"])
    assert result.exit_code == 0, result.output
    assert "Invariants OK" in result.output


def test_the_cli_prints_violations_and_exits_1(app, runner) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.add(StripeEvent(stripe_event_id="evt_lost", type="payment_intent.succeeded"))
        commit()
    result = runner.invoke(args=["dev", "check-invariants"])
    assert result.exit_code == 1
    assert "evt_lost" in result.output
    assert "Invariants OK" not in result.output


# -- stock, slots, animations ------------------------------------------------------------------------


def test_stock_allocated_above_on_hand_and_negative_stock(app, world) -> None:  # type: ignore[no-untyped-def]
    product_id = world.product(world.shop(), stock=2)
    with lifted(
        app,
        ("stock_record", "ck_stock_record_allocated_within_on_hand"),
        ("stock_record", "ck_stock_record_on_hand_non_negative"),
    ) as s:
        s.execute(update(StockRecord).where(StockRecord.product_id == product_id).values(allocated=3))
        assert any(f"product {product_id} has on_hand=2, allocated=3" in v for v in check_invariants(s))
        s.execute(update(StockRecord).where(StockRecord.product_id == product_id).values(on_hand=-1, allocated=0))
        assert any(f"product {product_id} has on_hand=-1" in v for v in check_invariants(s))
    assert _violations(app) == []


def test_slot_booked_above_capacity(app, world) -> None:  # type: ignore[no-untyped-def]
    slot_id = world.slot(capacity=1, booked=1)
    with lifted(app, ("pickup_slot", "ck_pickup_slot_booked_within_capacity")) as s:
        s.execute(update(PickupSlot).where(PickupSlot.id == slot_id).values(booked=2))
        assert f"slot {slot_id}: booked=2 exceeds capacity=1" in check_invariants(s)


def test_more_orders_on_a_slot_than_its_capacity(app) -> None:  # type: ignore[no-untyped-def]
    first = make_order_rows(app)
    second = make_order_rows(app)
    with app.app_context():
        slot_id = db.session.get(Order, first.order_id).pickup_slot_id
        db.session.execute(update(PickupSlot).where(PickupSlot.id == slot_id).values(capacity=1))
        db.session.execute(update(Order).where(Order.id == second.order_id).values(pickup_slot_id=slot_id))
        commit()
    assert _one(app, f"slot {slot_id}:") == f"slot {slot_id}: 2 orders hold a place, capacity is 1"
    with app.app_context():  # a cancelled order gives its place back
        db.session.execute(update(Order).where(Order.id == second.order_id).values(status="cancelled"))
        commit()
    assert not [v for v in _violations(app) if v.startswith(f"slot {slot_id}")]


def _animation(app: Any, *, capacity: int, seats_taken: int) -> int:
    with app.app_context():
        start = utcnow() + timedelta(days=3)
        animation = Animation(
            title="Dégustation",
            kind="tasting",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            capacity=capacity,
            seats_taken=seats_taken,
            status="published",
        )
        db.session.add(animation)
        commit()
        return animation.id


def test_animation_seats_taken_above_capacity(app) -> None:  # type: ignore[no-untyped-def]
    animation_id = _animation(app, capacity=2, seats_taken=2)
    with lifted(app, ("animation", "ck_animation_seats_within_capacity")) as s:
        s.execute(update(Animation).where(Animation.id == animation_id).values(seats_taken=3))
        assert f"animation {animation_id}: seats_taken=3 exceeds capacity=2" in check_invariants(s)


def test_registered_seats_above_capacity_but_not_the_waitlist(app, make_user) -> None:  # type: ignore[no-untyped-def]
    animation_id = _animation(app, capacity=3, seats_taken=3)
    users = [make_user() for _ in range(3)]
    with app.app_context():
        db.session.add(Registration(animation_id=animation_id, user_id=users[0], seats=2, status="registered"))
        db.session.add(Registration(animation_id=animation_id, user_id=users[1], seats=1, status="registered"))
        db.session.add(Registration(animation_id=animation_id, user_id=users[2], seats=2, status="waitlisted"))
        commit()
    assert _violations(app) == []
    with app.app_context():
        db.session.execute(update(Registration).where(Registration.user_id == users[2]).values(status="registered"))
        commit()
    assert _one(app, "animation") == f"animation {animation_id}: 5 seats registered, capacity is 3"


def test_walk_ins_with_registered_seats_above_capacity(app, make_user) -> None:  # type: ignore[no-untyped-def]
    animation_id = _animation(app, capacity=4, seats_taken=4)
    ana = make_user()
    with app.app_context():
        db.session.add(Registration(animation_id=animation_id, user_id=ana, seats=2, status="registered"))
        db.session.add(WalkIn(animation_id=animation_id, seats=2))
        commit()
    assert _violations(app) == []
    with app.app_context():
        db.session.add(WalkIn(animation_id=animation_id, seats=1))
        commit()
    assert _one(app, "animation") == f"animation {animation_id}: 2 seats registered and 3 let in, capacity is 4"


# -- the ledger, payouts, refunds --------------------------------------------------------------------


def _post(app: Any, order_id: int, part_id: int, kind: str, cents: int, reference: str = "settlement") -> None:
    with app.app_context():
        shop_id = db.session.get(OrderPart, part_id).shop_id
        db.session.execute(
            insert(LedgerEntry).values(
                shop_id=shop_id,
                part_id=part_id,
                order_id=order_id,
                kind=kind,
                amount_cents=cents,
                reference=reference,
                created_at=utcnow(),
            )
        )
        commit()


def _settle_and_pay(
    app: Any,
    order_id: int,
    part_id: int,
    *,
    received: int,
    commission: int,
    payout: int | None,
    payout_posting: int | None = None,
) -> None:
    """Post a settlement as the services do, and (payout not None) a paid payout and its posting."""
    _post(app, order_id, part_id, "sale", received)
    _post(app, order_id, part_id, "commission", -commission)
    _post(app, order_id, part_id, "commission_vat", -(commission // 5))
    if payout is None:
        return
    with app.app_context():
        shop_id = db.session.get(OrderPart, part_id).shop_id
        db.session.add(
            Payout(
                part_id=part_id,
                order_id=order_id,
                shop_id=shop_id,
                amount_cents=payout,
                status="paid",
                idempotency_key=f"transfer:{part_id}",
                stripe_transfer_id=f"tr_{part_id}",
                paid_at=utcnow(),
            )
        )
        commit()
    _post(app, order_id, part_id, "payout", -(payout if payout_posting is None else payout_posting), "payout")


def test_ledger_commission_not_at_the_frozen_rate(app) -> None:  # type: ignore[no-untyped-def]
    rows = make_order_rows(app, parts=[(None, 1000, 1000)])
    _settle_and_pay(app, rows.order_id, rows.part_ids[0], received=1000, commission=99, payout=None)
    assert "commission 99 cents, 100 expected at 1000 bps" in _one(app, "commission 99")


def test_ledger_receipt_not_the_part_subtotal(app) -> None:  # type: ignore[no-untyped-def]
    rows = make_order_rows(app, parts=[(None, 1000, 1000)])
    _settle_and_pay(app, rows.order_id, rows.part_ids[0], received=1100, commission=110, payout=None)
    assert "received 1100 cents, its subtotal is 1000" in _one(app, "received 1100")


def test_ledger_postings_on_a_part_never_settled(app) -> None:  # type: ignore[no-untyped-def]
    rows = make_order_rows(app)
    _post(app, rows.order_id, rows.part_ids[0], "commission", -100)
    assert "is not settled" in _one(app, f"part {rows.part_ids[0]}")


def test_ledger_payout_plus_commission_differs_from_received_minus_refunded(app) -> None:  # type: ignore[no-untyped-def]
    rows = make_order_rows(app, parts=[(None, 1000, 1000)])
    part_id = rows.part_ids[0]
    # The transfer row says 950 and so does its posting: 950 + 100 + 20 (commission TTC) != 1000.
    _settle_and_pay(app, rows.order_id, part_id, received=1000, commission=100, payout=950)
    assert f"part {part_id} payouts 950 + commission TTC 120 != received 1000" in _one(app, "payouts 950")


def test_ledger_transfer_posted_without_a_paid_payout_and_negative_owed(app) -> None:  # type: ignore[no-untyped-def]
    rows = make_order_rows(app, parts=[(None, 1000, 1000)])
    part_id = rows.part_ids[0]
    _settle_and_pay(app, rows.order_id, part_id, received=1000, commission=100, payout=None)
    _post(app, rows.order_id, part_id, "refund", -1200, "refund:999")
    _post(app, rows.order_id, part_id, "payout", -900, "payout")
    found = [v for v in _violations(app) if f"part {part_id}" in v]
    assert any("900 cents transferred without a paid payout" in v for v in found), found
    assert any("< 0 before its payout" in v for v in found), found
    assert any("'refund:999' that matches no succeeded refund" in v for v in found), found
    assert any("payout posting and no payout row" in v for v in found), found


def test_a_refund_after_the_payout_balances_once_reversed(app) -> None:  # type: ignore[no-untyped-def]
    rows = make_order_rows(app, parts=[(None, 1000, 1000)])
    part_id = rows.part_ids[0]
    _settle_and_pay(app, rows.order_id, part_id, received=1000, commission=100, payout=880)
    with app.app_context():
        payment = Payment(
            order_id=rows.order_id,
            order_ref=rows.number,
            method="card",
            status="succeeded",
            amount_cents=1000,
            amount_captured_cents=1000,
            amount_refunded_cents=500,
        )
        db.session.add(payment)
        db.session.flush()
        refund = Refund(
            payment_id=payment.id,
            order_id=rows.order_id,
            part_id=part_id,
            amount_cents=500,
            status="succeeded",
            stripe_refund_id="re_1",
        )
        db.session.add(refund)
        commit()
        ref = f"refund:{refund.id}"
    _post(app, rows.order_id, part_id, "refund", -500, ref)
    _post(app, rows.order_id, part_id, "commission", 50, ref)
    _post(app, rows.order_id, part_id, "commission_vat", 10, ref)
    assert _violations(app) == []  # reversal not made yet: pending, allowed
    _post(app, rows.order_id, part_id, "transfer_reversal", 440, ref)
    assert _violations(app) == []
    _post(app, rows.order_id, part_id, "receivable", -440, ref)  # a receivable on top of a full reversal
    assert "receivable 440" in _one(app, f"part {part_id} payouts")


def test_payment_refunded_total_differs_from_its_refunds(app) -> None:  # type: ignore[no-untyped-def]
    rows = make_order_rows(app)
    with app.app_context():
        db.session.add(
            Payment(
                order_id=rows.order_id,
                order_ref=rows.number,
                method="card",
                status="succeeded",
                amount_cents=2500,
                amount_captured_cents=2500,
                amount_refunded_cents=300,
            )
        )
        commit()
    assert (
        _one(app, f"order {rows.order_id}")
        == f"order {rows.order_id}: payment shows 300 cents refunded, its refunds total 0"
    )


def test_two_payouts_for_one_order_and_shop(app) -> None:  # type: ignore[no-untyped-def]
    rows = make_order_rows(app, parts=[(None, 1000, 0), (None, 500, 0)])
    first, second = rows.part_ids
    with app.app_context():
        shop_id = db.session.get(OrderPart, first).shop_id
        for part_id in (first, second):  # the second names the first part's shop: two payouts for one shop
            db.session.add(
                Payout(
                    part_id=part_id,
                    order_id=rows.order_id,
                    shop_id=shop_id,
                    amount_cents=0,
                    idempotency_key=f"transfer:{part_id}",
                )
            )
        commit()
    violations = _violations(app)
    assert f"payouts: order {rows.order_id}, shop {shop_id} has 2 payouts" in violations
    assert any(f"its part {second} is order" in v for v in violations), violations


def test_two_payout_postings_for_one_part(app) -> None:  # type: ignore[no-untyped-def]
    rows = make_order_rows(app, parts=[(None, 1000, 1000)])
    part_id = rows.part_ids[0]
    _settle_and_pay(app, rows.order_id, part_id, received=1000, commission=100, payout=900)
    _post(app, rows.order_id, part_id, "payout", -900, "payout-again")
    assert f"payouts: part {part_id} has 2 payout postings" in _violations(app)


def test_payout_row_and_its_posting_disagree(app) -> None:  # type: ignore[no-untyped-def]
    rows = make_order_rows(app, parts=[(None, 1000, 1000), (None, 500, 1000)])
    paid_part, pending_part = rows.part_ids
    _settle_and_pay(app, rows.order_id, paid_part, received=1000, commission=100, payout=900, payout_posting=800)
    _settle_and_pay(app, rows.order_id, pending_part, received=500, commission=50, payout=None)
    with app.app_context():
        shop_id = db.session.get(OrderPart, pending_part).shop_id
        db.session.add(
            Payout(
                part_id=pending_part,
                order_id=rows.order_id,
                shop_id=shop_id,
                amount_cents=450,
                idempotency_key=f"transfer:{pending_part}",
            )
        )
        commit()
    _post(app, rows.order_id, pending_part, "payout", -450, "payout")
    violations = _violations(app)
    assert f"payouts: part {paid_part} paid 900 cents but its payout posting is 800" in violations
    assert f"payouts: part {pending_part} has a payout posting while its payout is pending" in violations


# -- Stripe events, outbox ---------------------------------------------------------------------------


def test_stripe_event_recorded_but_never_processed(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.add(StripeEvent(stripe_event_id="evt_ok", type="x", processed_at=utcnow()))
        db.session.add(StripeEvent(stripe_event_id="evt_half", type="payment_intent.succeeded"))
        commit()
    assert _violations(app) == ["stripe: event evt_half (payment_intent.succeeded) recorded but never processed"]


@pytest.mark.postgres
@pytest.mark.skipif(not IS_POSTGRES, reason="SQLite cannot lift a UNIQUE constraint inside a transaction")
def test_stripe_event_recorded_twice(app) -> None:  # type: ignore[no-untyped-def]
    with lifted(app, ("stripe_event", "uq_stripe_event_stripe_event_id")) as s:
        for _ in range(2):
            s.execute(
                insert(StripeEvent).values(
                    stripe_event_id="evt_twice", type="x", received_at=utcnow(), processed_at=utcnow(), outcome=""
                )
            )
        assert "stripe: event evt_twice recorded 2 times" in check_invariants(s)


def test_outbox_job_lost_or_failed_silently(app) -> None:  # type: ignore[no-untyped-def]
    old = utcnow() - timedelta(days=1)
    with app.app_context():
        jobs = {
            "recent": OutboxJob(task_name="t.recent", status="pending"),
            "done": OutboxJob(task_name="t.done", status="done", created_at=old),
            "failed_shown": OutboxJob(task_name="t.failed", status="failed", created_at=old, last_error="refusé"),
            "stuck_pending": OutboxJob(task_name="t.pending", status="pending", created_at=old),
            "stuck_published": OutboxJob(task_name="t.published", status="published", created_at=old, published_at=old),
            "failed_silent": OutboxJob(task_name="t.silent", status="failed", created_at=old),
        }
        db.session.add_all(jobs.values())
        commit()
        ids = {name: job.id for name, job in jobs.items()}
    assert _violations(app) == [
        f"outbox: job {ids['stuck_pending']} (t.pending) is pending and past the sweep's retry window",
        f"outbox: job {ids['stuck_published']} (t.published) is published and past the sweep's retry window",
        f"outbox: job {ids['failed_silent']} (t.silent) is failed without an error shown",
    ]
