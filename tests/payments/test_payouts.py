"""Payouts through the Connect fake: one transfer per collected part, never twice."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.payments import ledger, payouts
from shopapp.payments.models import Payout, PayoutStatus
from shopapp.payments.order_port import PartFacts
from tests.support.order_rows import make_order_rows


def part(app, fake_orders, shop_id: int, *, collected: bool = True, subtotal: int = 1005) -> PartFacts:  # type: ignore[no-untyped-def]
    """A real order part (the ledger's foreign keys need it) whose facts the fake orders port serves."""
    rows = make_order_rows(app, parts=[(shop_id, subtotal, 1000)], method="at_pickup")
    facts = PartFacts(part_id=rows.part_ids[0], order_id=rows.order_id, order_ref=rows.number, shop_id=shop_id,
                      subtotal_cents=subtotal, currency="EUR", commission_rate_bps=1000, payment_method="at_pickup",
                      is_paid=True, is_collected=collected)
    fake_orders.parts[facts.part_id] = facts
    return facts


def test_collected_part_is_paid_out_once(app, make_shop, fake_orders, connect_fake):  # type: ignore[no-untyped-def]
    account = connect_fake.add_account()
    shop_id = make_shop(stripe_account_id=account)
    f = part(app, fake_orders, shop_id)
    with app.app_context():
        payout = payouts.pay_out_part(f.part_id)
        commit()
        again = payouts.pay_out_part(f.part_id)
        commit()
        assert again.stripe_transfer_id == payout.stripe_transfer_id
        assert (payout.status, payout.amount_cents, payout.idempotency_key) == (
            PayoutStatus.PAID, 884, f"transfer:{f.part_id}")
        assert ledger.balance(shop_id).balance_cents == 0
    (transfer,) = connect_fake.transfers
    assert (transfer["amount"], transfer["destination"], transfer["transfer_group"]) == (
        884, account, f"order:{f.order_ref}")
    assert transfer["metadata"] == {"part_id": str(f.part_id), "order_id": str(f.order_id),
                                   "shop_id": str(shop_id)}


def test_retry_after_key_expiry_and_lost_commit_finds_the_transfer(app, make_shop, fake_orders, connect_fake):  # type: ignore[no-untyped-def]
    account = connect_fake.add_account()
    shop_id = make_shop(stripe_account_id=account)
    f = part(app, fake_orders, shop_id)
    with app.app_context():
        payouts.pay_out_part(f.part_id)
        db.session.rollback()  # the worker died before its commit: we have no record of the transfer
    connect_fake.expire_idempotency_keys()  # and a day passed: Stripe forgot the key
    with app.app_context():
        payout = payouts.pay_out_part(f.part_id)
        commit()
        assert payout.status == PayoutStatus.PAID
    assert len(connect_fake.transfers) == 1
    assert payout.stripe_transfer_id == connect_fake.transfers[0]["id"]


def test_not_collected_part_is_not_paid_out(app, make_shop, fake_orders, connect_fake):  # type: ignore[no-untyped-def]
    shop_id = make_shop(stripe_account_id=connect_fake.add_account())
    f = part(app, fake_orders, shop_id, collected=False)
    with app.app_context(), pytest.raises(payouts.PartNotCollected):
        payouts.pay_out_part(f.part_id)
    assert connect_fake.transfers == []


def test_shop_without_account_keeps_a_pending_payout_owed(app, make_shop, fake_orders, connect_fake):  # type: ignore[no-untyped-def]
    shop_id = make_shop()
    f = part(app, fake_orders, shop_id)
    with app.app_context():
        payout = payouts.pay_out_part(f.part_id)
        commit()
        assert (payout.status, payout.amount_cents, payout.stripe_transfer_id) == (PayoutStatus.PENDING, 884, None)
        assert ledger.balance(shop_id).balance_cents == 884  # settled, still owed to the shop
    assert connect_fake.transfers == []


def test_refused_transfer_marks_the_payout_failed(app, make_shop, fake_orders, connect_fake):  # type: ignore[no-untyped-def]
    shop_id = make_shop(stripe_account_id="acct_unknown")
    f = part(app, fake_orders, shop_id)
    with app.app_context():
        payout = payouts.pay_out_part(f.part_id)
        commit()
        stored = db.session.scalar(select(Payout).where(Payout.part_id == f.part_id))
        assert stored is not None and stored.status == PayoutStatus.FAILED
        assert "acct_unknown" in (stored.last_error or "")
        assert payout.stripe_transfer_id is None
        assert ledger.balance(shop_id).balance_cents == 884  # still owed to the shop
