"""Payouts through the Connect fake: one transfer per collected part, never twice."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shopapp.core.db import commit
from shopapp.extensions import db
from shopapp.payments import ledger, payouts
from shopapp.payments.models import Payout, PayoutStatus
from shopapp.payments.order_port import PartFacts


def part(part_id: int, shop_id: int, *, collected: bool = True, subtotal: int = 1005) -> PartFacts:
    return PartFacts(part_id=part_id, order_id=50, order_ref="AMC-50", shop_id=shop_id, subtotal_cents=subtotal,
                     currency="EUR", commission_rate_bps=1000, payment_method="at_pickup", is_paid=True,
                     is_collected=collected)


def test_collected_part_is_paid_out_once(app, make_shop, fake_orders, connect_fake):  # type: ignore[no-untyped-def]
    account = connect_fake.add_account()
    shop_id = make_shop(stripe_account_id=account)
    fake_orders.parts[1] = part(1, shop_id)
    with app.app_context():
        payout = payouts.pay_out_part(1)
        commit()
        again = payouts.pay_out_part(1)
        commit()
        assert again.stripe_transfer_id == payout.stripe_transfer_id
        assert (payout.status, payout.amount_cents, payout.idempotency_key) == (PayoutStatus.PAID, 904, "transfer:1")
        assert ledger.balance(shop_id).balance_cents == 0
    (transfer,) = connect_fake.transfers
    assert (transfer["amount"], transfer["destination"], transfer["transfer_group"]) == (904, account, "order:AMC-50")
    assert transfer["metadata"] == {"part_id": "1", "order_id": "50", "shop_id": str(shop_id)}


def test_retry_after_key_expiry_and_lost_commit_finds_the_transfer(app, make_shop, fake_orders, connect_fake):  # type: ignore[no-untyped-def]
    account = connect_fake.add_account()
    shop_id = make_shop(stripe_account_id=account)
    fake_orders.parts[2] = part(2, shop_id)
    with app.app_context():
        payouts.pay_out_part(2)
        db.session.rollback()  # the worker died before its commit: we have no record of the transfer
    connect_fake.expire_idempotency_keys()  # and a day passed: Stripe forgot the key
    with app.app_context():
        payout = payouts.pay_out_part(2)
        commit()
        assert payout.status == PayoutStatus.PAID
    assert len(connect_fake.transfers) == 1
    assert payout.stripe_transfer_id == connect_fake.transfers[0]["id"]


def test_not_collected_part_is_not_paid_out(app, make_shop, fake_orders, connect_fake):  # type: ignore[no-untyped-def]
    shop_id = make_shop(stripe_account_id=connect_fake.add_account())
    fake_orders.parts[3] = part(3, shop_id, collected=False)
    with app.app_context(), pytest.raises(payouts.PartNotCollected):
        payouts.pay_out_part(3)
    assert connect_fake.transfers == []


def test_shop_without_account_is_refused(app, make_shop, fake_orders, connect_fake):  # type: ignore[no-untyped-def]
    shop_id = make_shop()
    fake_orders.parts[4] = part(4, shop_id)
    with app.app_context(), pytest.raises(payouts.ShopNotOnboarded):
        payouts.pay_out_part(4)
    assert connect_fake.transfers == []


def test_refused_transfer_marks_the_payout_failed(app, make_shop, fake_orders, connect_fake):  # type: ignore[no-untyped-def]
    shop_id = make_shop(stripe_account_id="acct_unknown")
    fake_orders.parts[5] = part(5, shop_id)
    with app.app_context():
        payout = payouts.pay_out_part(5)
        commit()
        stored = db.session.scalar(select(Payout).where(Payout.part_id == 5))
        assert stored is not None and stored.status == PayoutStatus.FAILED
        assert "acct_unknown" in (stored.last_error or "")
        assert payout.stripe_transfer_id is None
        assert ledger.balance(shop_id).balance_cents == 904  # still owed to the shop
