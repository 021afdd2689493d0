"""Card payments and payouts when things go wrong: declined card, 3-D Secure, payment after the hold
expired, Stripe answering 500 then 200 or timing out on a transfer, a payout retried after Stripe forgot
its Idempotency-Key, a partial refund of one shop, an over-refund.

Real order rows, localstripe for the card side, the Connect fake for transfers (tests/support); the
worker's steps are run as its tasks run them (one service call, commit; roll back on a retryable error).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import stripe
from sqlalchemy import select

from shopapp.catalog.models import Shop
from shopapp.core.clock import utcnow
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.orders.models import OrderPart
from shopapp.payments import card, payouts, refunds, settlement
from shopapp.payments.gateway import RetryablePaymentError
from shopapp.payments.models import LedgerEntry, Payment, Payout, PayoutStatus, Refund, RefundStatus
from tests.checkout.flow import (
    bring_to_venue_and_collect,
    deliver,
    intent_of,
    order_by_api,
    order_status,
    token_headers,
)
from tests.conftest import csrf_token
from tests.payments.conftest import authenticate_on_localstripe, pay_on_localstripe
from tests.reliability.conftest import assert_only_changed, assert_unchanged, snapshot
from tests.reliability.flaky_http import FlakyProxy

pytestmark = pytest.mark.reliability


class Paid:
    def __init__(self, order_id: int, intent: str, bakery_part: int, cheese_part: int, products: tuple[int, int]):
        self.order_id, self.intent = order_id, intent
        self.bakery_part, self.cheese_part = bakery_part, cheese_part
        self.bread, self.comte = products


def _shop(app: Any, world: Any, connect_fake: Any, name: str, rate: int) -> int:
    shop_id = world.shop(name)
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        shop.commission_rate_bps = rate
        shop.stripe_account_id = connect_fake.add_account() if connect_fake is not None else None
        commit()
    return shop_id


def _paid_two_shop_order(
    app: Any, client: Any, world: Any, make_user: Any, localstripe: Any, connect_fake: Any = None
) -> Paid:
    """Bread 3 × 3.35 € (bakery, 10 %) and comté 12.99 € (cheese shop, 7.5 %), paid by card and confirmed."""
    bakery = _shop(app, world, connect_fake, "Boulangerie", 1000)
    cheese = _shop(app, world, connect_fake, "Fromagerie", 750)
    bread, comte = world.product(bakery, "Pain", 335, stock=10), world.product(cheese, "Comté", 1299, stock=10)
    make_user(email="res@example.org")
    order_id = order_by_api(
        client, token_headers(client, "res@example.org"), world.slot(), [(bread, 3), (comte, 1)]
    ).json["id"]
    intent = intent_of(app, order_id)
    assert pay_on_localstripe(localstripe, intent) == "succeeded"
    assert deliver(client, "evt_paid", "payment_intent.succeeded", intent).status_code == 200
    with app.app_context():
        parts = {
            shop: part
            for shop, part in db.session.execute(
                select(OrderPart.shop_id, OrderPart.id).where(OrderPart.order_id == order_id)
            )
        }
    return Paid(order_id, intent, parts[bakery], parts[cheese], (bread, comte))


def _collect_and_settle(app: Any, paid: Paid) -> None:
    bring_to_venue_and_collect(app, paid.order_id)
    with app.app_context():  # the worker's `orders.order_collected` job
        assert settlement.settle_collected_order(paid.order_id) == 2
        commit()


def _run_payout(app: Any, part_id: int) -> str:
    """The worker's `payments.pay_out_part` job, once: 'paid' / 'pending' / 'failed', or 'retry'."""
    with app.app_context():
        try:
            payout = payouts.pay_out_part(part_id)
            status = str(payout.status)
            commit()
            return status
        except RetryablePaymentError:
            db.session.rollback()
            return "retry"


def _payout(app: Any, part_id: int) -> tuple[str, int, str | None]:
    with app.app_context():
        payout = db.session.scalar(select(Payout).where(Payout.part_id == part_id))
        return (payout.status, payout.amount_cents, payout.stripe_transfer_id) if payout else ("none", 0, None)


# -- paying ------------------------------------------------------------------------------------------


def test_declined_card_keeps_the_order_payable_and_changes_nothing_else(
    app, client, world, make_user, localstripe, no_dispatch
) -> None:  # type: ignore[no-untyped-def]
    product = world.product(world.shop("Épicerie"), "Miel", 900, stock=5)
    make_user(email="res@example.org")
    order_id = order_by_api(client, token_headers(client, "res@example.org"), world.slot(), [(product, 1)]).json["id"]
    intent = intent_of(app, order_id)
    before = snapshot(app)

    assert pay_on_localstripe(localstripe, intent, card="4000000000000341") == "requires_payment_method"
    assert deliver(client, "evt_declined", "payment_intent.payment_failed", intent).status_code == 200

    assert order_status(app, order_id) == ("pending_payment", "pending")
    assert world.stock(product) == (5, 1)  # still held for another card, until the hold expires
    assert_only_changed(before, snapshot(app), "stripe_event")
    # A second card works.
    assert pay_on_localstripe(localstripe, intent) == "succeeded"
    assert deliver(client, "evt_paid", "payment_intent.succeeded", intent).status_code == 200
    assert order_status(app, order_id) == ("confirmed", "paid")


def test_3d_secure_confirms_only_once_authenticated(app, client, world, make_user, localstripe, no_dispatch) -> None:  # type: ignore[no-untyped-def]
    product = world.product(world.shop("Épicerie"), "Miel", 900, stock=5)
    make_user(email="res@example.org")
    order_id = order_by_api(client, token_headers(client, "res@example.org"), world.slot(), [(product, 1)]).json["id"]
    intent = intent_of(app, order_id)
    before = snapshot(app)

    assert pay_on_localstripe(localstripe, intent, card="4000002760003184", authenticate=None) == "requires_action"
    assert deliver(client, "evt_early", "payment_intent.succeeded", intent).status_code == 200  # forged/early
    assert order_status(app, order_id) == ("pending_payment", "pending")
    assert_only_changed(before, snapshot(app), "stripe_event")

    assert authenticate_on_localstripe(localstripe, intent) == "succeeded"
    assert deliver(client, "evt_3ds", "payment_intent.succeeded", intent).status_code == 200
    assert order_status(app, order_id) == ("confirmed", "paid") and world.stock(product) == (5, 1)
    assert_only_changed(before, snapshot(app), "stripe_event", "customer_order", "order_event", "payment", "outbox_job")


@pytest.mark.parametrize("stock_left", ["still_there", "gone"])
def test_payment_after_hold_expiry(app, client, world, make_user, localstripe, no_dispatch, stock_left) -> None:  # type: ignore[no-untyped-def]
    product = world.product(world.shop("Épicerie"), "Miel", 900, stock=2)
    slot = world.slot()
    make_user(email="res@example.org")
    order_id = order_by_api(client, token_headers(client, "res@example.org"), slot, [(product, 2)]).json["id"]
    intent = intent_of(app, order_id)
    with app.app_context():  # the beat's expiry sweep, past the 15-minute hold
        assert card.expire_unpaid_payments(now=utcnow() + timedelta(minutes=16)) == 1
        commit()
    assert world.stock(product) == (2, 0) and world.booked(slot) == 0
    if stock_left == "gone":
        make_user(email="other@example.org")
        assert (
            order_by_api(
                client,
                token_headers(client, "other@example.org"),
                world.slot(30),
                [(product, 2)],
                method="at_pickup",
                key="k2",
            ).status_code
            == 201
        )

    assert pay_on_localstripe(localstripe, intent) == "succeeded"
    assert deliver(client, "evt_late", "payment_intent.succeeded", intent).status_code == 200

    with app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
        refund_rows = db.session.execute(select(Refund.amount_cents, Refund.reason)).all()
    if stock_left == "still_there":  # taken again: confirmed, nothing refunded
        assert order_status(app, order_id) == ("confirmed", "paid")
        assert world.stock(product) == (2, 2) and world.booked(slot) == 1 and refund_rows == []
    else:  # gone: the order stays cancelled and the whole payment is given back
        assert order_status(app, order_id)[0] == "cancelled" and world.booked(slot) == 0
        assert [tuple(r) for r in refund_rows] == [(1800, "late_payment_unavailable")]
        assert (payment.amount_captured_cents, payment.amount_refunded_cents) == (1800, 1800)


# -- payouts -----------------------------------------------------------------------------------------


@pytest.fixture
def flaky_connect(app, connect_fake, monkeypatch):  # type: ignore[no-untyped-def]
    """The Connect fake behind a proxy that can lose answers or answer late; the app uses a 1 s timeout."""
    proxy = FlakyProxy(connect_fake.api_base, slow_seconds=2.5).start()
    monkeypatch.setitem(app.config, "STRIPE_CONNECT_API_BASE", proxy.api_base)
    monkeypatch.setitem(app.extensions, "stripe_http_client", stripe.RequestsClient(timeout=1))
    yield proxy
    proxy.stop()


@pytest.mark.parametrize("fault", ["500", "slow"])
def test_transfer_answered_500_or_timing_out_is_retried_into_one_transfer(
    app, client, world, make_user, localstripe, connect_fake, flaky_connect, no_dispatch, fault
) -> None:  # type: ignore[no-untyped-def]
    paid = _paid_two_shop_order(app, client, world, make_user, localstripe, connect_fake)
    _collect_and_settle(app, paid)
    before = snapshot(app)

    # The transfer is made at Stripe, but the answer is a 500 / comes after the client gave up.
    flaky_connect.fail_next("POST", "/v1/transfers", fault)
    assert _run_payout(app, paid.bakery_part) == "retry"
    assert flaky_connect.faults_served == [("POST", "/v1/transfers", fault)]
    assert len(connect_fake.transfers) == 1
    assert _payout(app, paid.bakery_part) == ("none", 0, None)  # rolled back: nothing recorded yet
    assert_unchanged(before, snapshot(app))

    assert _run_payout(app, paid.bakery_part) == "paid"  # the retry finds that transfer, makes no other
    (transfer,) = connect_fake.transfers
    assert _payout(app, paid.bakery_part) == ("paid", 884, transfer["id"])  # 1005 − 101 (10 %, half up) − VAT 20
    assert transfer["amount"] == 884
    assert_only_changed(before, snapshot(app), "payout", "ledger_entry")


def test_payout_retried_after_the_idempotency_key_expired_pays_once(
    app, client, world, make_user, localstripe, connect_fake, no_dispatch
) -> None:  # type: ignore[no-untyped-def]
    paid = _paid_two_shop_order(app, client, world, make_user, localstripe, connect_fake)
    _collect_and_settle(app, paid)
    before = snapshot(app)
    with app.app_context():
        payouts.pay_out_part(paid.cheese_part)
        db.session.rollback()  # the worker died before its commit: no record of the transfer
    connect_fake.expire_idempotency_keys()  # and a day passed: Stripe forgot the key

    assert _run_payout(app, paid.cheese_part) == "paid"
    assert _run_payout(app, paid.cheese_part) == "paid"  # a duplicate job: no-op

    (transfer,) = connect_fake.transfers
    assert _payout(app, paid.cheese_part) == ("paid", 1183, transfer["id"])  # 1299 − 7.5 % (97.425 → 97) − its VAT 19
    after = snapshot(app)
    assert_only_changed(before, after, "payout", "ledger_entry")
    assert {row[0] for row in before.changes(after)["ledger_entry"][1]} == {paid.cheese_part}


# -- refunds -----------------------------------------------------------------------------------------


def test_partial_refund_of_one_shop_after_payout_reverses_only_its_transfer(
    app, client, world, make_user, localstripe, connect_fake, no_dispatch
) -> None:  # type: ignore[no-untyped-def]
    paid = _paid_two_shop_order(app, client, world, make_user, localstripe, connect_fake)
    _collect_and_settle(app, paid)
    assert _run_payout(app, paid.bakery_part) == _run_payout(app, paid.cheese_part) == "paid"
    before = snapshot(app)

    with app.app_context():
        (refund,) = refunds.refund_order(paid.order_id, actor_id=None, reason="produit abîmé", part_id=paid.bakery_part)
        refund_id = refund.id
        commit()
        refunds.execute_refund(refund_id)  # the worker's execute_refund job
        commit()
        payouts.reverse_for_refund(refund_id)  # and its reverse_for_refund job
        commit()
        ledger = db.session.execute(
            select(LedgerEntry.kind, LedgerEntry.amount_cents)
            .where(LedgerEntry.reference == f"refund:{refund_id}")
            .order_by(LedgerEntry.id)
        ).all()
        payment = db.session.scalar(select(Payment))
        assert db.session.get(Refund, refund_id).status == RefundStatus.SUCCEEDED

    assert [tuple(r) for r in ledger] == [
        ("refund", -1005),
        ("commission", 101),
        ("commission_vat", 20),
        ("transfer_reversal", 884),
    ]
    assert (payment.amount_captured_cents, payment.amount_refunded_cents) == (2304, 1005)
    bakery_transfer, cheese_transfer = sorted(connect_fake.transfers, key=lambda t: t["metadata"]["part_id"])
    assert bakery_transfer["metadata"]["part_id"] == str(paid.bakery_part)
    assert (bakery_transfer["amount_reversed"], cheese_transfer["amount_reversed"]) == (884, 0)
    after = snapshot(app)
    assert_only_changed(before, after, "refund", "payment", "ledger_entry", "payout", "outbox_job")
    assert {row[0] for row in before.changes(after)["ledger_entry"][1]} == {paid.bakery_part}
    assert _payout(app, paid.cheese_part)[0] == PayoutStatus.PAID


def test_over_refund_is_refused_and_changes_nothing(
    app, client, auth, world, make_user, localstripe, no_dispatch
) -> None:  # type: ignore[no-untyped-def]
    paid = _paid_two_shop_order(app, client, world, make_user, localstripe)
    with app.app_context():
        refunds.refund_order(paid.order_id, actor_id=None, reason="produit abîmé", part_id=paid.bakery_part)
        commit()
    make_user(email="desk@example.org", roles=("venue",))
    auth.login("desk@example.org")
    page = f"/comptoir/commandes/{paid.order_id}/remboursement"
    before = snapshot(app)

    again = client.post(page, data={"csrf_token": csrf_token(client, page), "scope": f"part-{paid.bakery_part}"})
    with app.app_context():
        payment_id = db.session.scalar(select(Payment.id))
        try:
            refunds.request_refund(payment_id, 2304 - 1005 + 1, reason="trop", actor_id=None)
        except refunds.RefundExceedsPayment as error:
            refused = error
        db.session.rollback()

    assert again.status_code == 422 and "dépasse ce qui reste remboursable" in again.get_data(as_text=True)
    assert refused.status == 409
    assert_unchanged(before, snapshot(app))
