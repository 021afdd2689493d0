"""Commission rates with audit, part settlement (payout + commission + its VAT == amount received), the ledger."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from shopapp.catalog.models import Shop
from shopapp.core.transaction import commit
from shopapp.errors import ValidationFailed
from shopapp.extensions import db
from shopapp.payments import commission, ledger
from shopapp.payments.ledger import Posting
from shopapp.payments.models import MEMO_KINDS, CommissionRateChange, LedgerEntry, LedgerKind
from shopapp.payments.order_port import PartFacts
from tests.support.order_rows import make_order_rows


def facts(app, shop_id: int, subtotal: int = 1005, rate: int = 1000, method: str = "card") -> PartFacts:  # type: ignore[no-untyped-def]
    rows = make_order_rows(app, parts=[(shop_id, subtotal, rate)], method=method)
    return PartFacts(part_id=rows.part_ids[0], order_id=rows.order_id, order_ref=rows.number, shop_id=shop_id,
                     subtotal_cents=subtotal, currency="EUR", commission_rate_bps=rate, payment_method=method,
                     is_paid=True, is_collected=True)


def test_settle_part_postings() -> None:
    settlement = commission.settle_part(shop_id=1, part_id=2, order_id=3, amount_received_cents=1005, rate_bps=1000,
                                        currency="EUR", paid_at_pickup=False, vat_bps=2000)
    assert (settlement.commission_cents, settlement.payout_cents, settlement.commission_vat_cents) == (101, 884, 20)
    assert [(p.kind, p.amount_cents) for p in settlement.postings] == [
        (LedgerKind.SALE, 1005), (LedgerKind.COMMISSION, -101), (LedgerKind.COMMISSION_VAT, -20),
    ]


@given(st.integers(min_value=0, max_value=10**8), st.integers(min_value=0, max_value=10_000), st.booleans())
def test_settlement_always_balances_to_the_cent(amount: int, rate: int, at_pickup: bool) -> None:
    settlement = commission.settle_part(shop_id=1, part_id=1, order_id=1, amount_received_cents=amount, rate_bps=rate,
                                        currency="EUR", paid_at_pickup=at_pickup, vat_bps=2000)
    assert settlement.payout_cents + settlement.commission_cents + settlement.commission_vat_cents == amount
    assert settlement.payout_cents >= 0 and settlement.commission_cents >= 0 and settlement.commission_vat_cents >= 0
    # The commission is withheld VAT included: once paid out, the shop's balance is exactly zero.
    booked = sum(p.amount_cents for p in settlement.postings if p.kind not in MEMO_KINDS)
    assert booked - settlement.payout_cents == 0


def test_platform_rate_defaults_to_config_then_follows_audited_changes(app, make_user, make_shop):  # type: ignore[no-untyped-def]
    admin = make_user(roles=("admin",), password="Taux-Association-2026")
    shop_id = make_shop()
    with app.app_context():
        assert commission.platform_rate_bps() == app.config["PLATFORM_COMMISSION_BPS"]
        commission.set_platform_rate(850, actor_id=admin, note="AG 2026")
        commit()
        shop = db.session.get(Shop, shop_id)
        assert commission.rate_for_shop(shop) == 850
        change = db.session.scalar(select(CommissionRateChange))
        assert (change.shop_id, change.old_rate_bps, change.new_rate_bps, change.changed_by_id) == (
            None, app.config["PLATFORM_COMMISSION_BPS"], 850, admin)


def test_shop_override_wins_and_is_audited(app, make_user, make_shop):  # type: ignore[no-untyped-def]
    admin = make_user(roles=("admin",), password="Taux-Association-2026")
    shop_id = make_shop()
    with app.app_context():
        commission.set_shop_rate(shop_id, 500, actor_id=admin)
        commission.set_shop_rate(shop_id, None, actor_id=admin)
        commission.set_shop_rate(shop_id, 650, actor_id=admin)
        commit()
        assert commission.rate_for_shop(db.session.get(Shop, shop_id)) == 650
        rows = db.session.execute(
            select(CommissionRateChange.old_rate_bps, CommissionRateChange.new_rate_bps)
            .order_by(CommissionRateChange.id)
        ).all()
        assert [tuple(r) for r in rows] == [(None, 500), (500, None), (None, 650)]


@pytest.mark.parametrize("rate", [-1, 10_001])
def test_rate_out_of_range_is_refused_and_nothing_changes(app, make_shop, rate):  # type: ignore[no-untyped-def]
    shop_id = make_shop(commission_rate_bps=700)
    with app.app_context():
        with pytest.raises(ValidationFailed):
            commission.set_platform_rate(rate, actor_id=None)
        with pytest.raises(ValidationFailed):
            commission.set_shop_rate(shop_id, rate, actor_id=None)
        db.session.rollback()
        assert db.session.scalar(select(CommissionRateChange)) is None
        assert db.session.get(Shop, shop_id).commission_rate_bps == 700


def test_ledger_post_is_idempotent_per_part_kind_reference(app, make_shop):  # type: ignore[no-untyped-def]
    shop_id = make_shop()
    rows = make_order_rows(app, parts=[(shop_id, 1000, 1000)])
    part_id, order_id = rows.part_ids[0], rows.order_id
    posting = Posting(shop_id, part_id, order_id, LedgerKind.SALE, 1000, "EUR", "settlement")
    with app.app_context():
        assert ledger.post([posting]) == 1
        assert ledger.post([posting, posting]) == 0
        assert ledger.post([Posting(shop_id, part_id, order_id, LedgerKind.REFUND, -200, "EUR", "refund:1")]) == 1
        commit()
        assert len(ledger.entries_for_part(part_id)) == 2


def test_settle_paid_part_twice_posts_once_and_balance_is_derived(app, make_shop, fake_orders):  # type: ignore[no-untyped-def]
    shop_id = make_shop()
    one = facts(app, shop_id, subtotal=1005, rate=1000)
    two = facts(app, shop_id, subtotal=2000, rate=500, method="at_pickup")
    fake_orders.parts[one.part_id], fake_orders.parts[two.part_id] = one, two
    p1, p2 = one.part_id, two.part_id
    with app.app_context():
        commission.settle_paid_part(p1)
        commission.settle_paid_part(p1)
        commission.settle_paid_part(p2)
        commit()
        kinds = db.session.execute(select(LedgerEntry.part_id, LedgerEntry.kind, LedgerEntry.amount_cents)
                                   .order_by(LedgerEntry.id)).all()
        assert [tuple(k) for k in kinds] == [
            (p1, "sale", 1005), (p1, "commission", -101), (p1, "commission_vat", -20),
            (p2, "pickup_receipt", 2000), (p2, "commission", -100), (p2, "commission_vat", -20),
        ]
        balance = ledger.balance(shop_id)
        # The commission is withheld with its VAT: 1005 − 101 − 20 and 2000 − 100 − 20.
        assert balance.balance_cents == 884 + 1880
        assert balance.by_kind["commission_vat"] == -40
        assert ledger.balances() == {shop_id: 2764}


def test_unpaid_part_is_not_settled(app, make_shop, fake_orders):  # type: ignore[no-untyped-def]
    shop_id = make_shop()
    unpaid = facts(app, shop_id)
    fake_orders.parts[unpaid.part_id] = PartFacts(**{**unpaid.__dict__, "is_paid": False})
    with app.app_context():
        with pytest.raises(ValidationFailed):
            commission.settle_paid_part(unpaid.part_id)
        assert ledger.entries_for_part(unpaid.part_id) == []
