"""Card checkout end to end: localstripe, signed webhooks, a real worker, the Connect fake, statements."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from shopapp.catalog.models import Shop
from shopapp.core.clock import utcnow
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.payments import card, ledger
from shopapp.payments.models import CardPaymentStatus, LedgerEntry, Payment, Payout, PayoutStatus, Refund
from tests.checkout.flow import (
    bring_to_venue_and_collect,
    deliver,
    intent_of,
    order_by_api,
    order_status,
    token_headers,
)
from tests.payments.conftest import pay_on_localstripe
from tests.support.waiting import wait_for


def _shop_with_account(app, world, connect_fake, name: str, rate: int | None = None) -> int:  # type: ignore[no-untyped-def]
    shop_id = world.shop(name)
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        shop.stripe_account_id = connect_fake.add_account()
        shop.commission_rate_bps = rate
        commit()
    return shop_id


def test_card_order_webhook_collect_settle_transfer_statement(app, client, world, make_user, localstripe,
                                                              connect_fake, celery_worker):  # type: ignore[no-untyped-def]
    bakery = _shop_with_account(app, world, connect_fake, "Boulangerie", rate=1000)
    cheese = _shop_with_account(app, world, connect_fake, "Fromagerie", rate=750)
    bread = world.product(bakery, "Pain", 335, stock=10)
    comte = world.product(cheese, "Comté", 1299, stock=10)
    make_user(email="res@example.org")
    headers = token_headers(client, "res@example.org")

    created = order_by_api(client, headers, world.slot(), [(bread, 3), (comte, 1)])
    again = client.post("/api/v1/orders", json={"pickup_slot_id": 1, "payment_method": "card"},
                        headers={**headers, "Idempotency-Key": "k1"})

    assert created.status_code == 201 and again.status_code == 200
    body = created.json
    assert body["status"] == "pending_payment" and body["total_cents"] == 3 * 335 + 1299
    assert body["payment"]["method"] == "card" and body["payment"]["status"] == "pending"
    assert body["payment"]["client_secret"].startswith("pi_")
    assert again.json["id"] == body["id"] and again.json["payment"]["client_secret"] == body["payment"]["client_secret"]
    order_id = body["id"]
    intent = intent_of(app, order_id)
    assert order_status(app, order_id) == ("pending_payment", "pending")

    assert pay_on_localstripe(localstripe, intent) == "succeeded"
    assert order_status(app, order_id) == ("pending_payment", "pending")  # only the webhook confirms
    assert deliver(client, "evt_ok", "payment_intent.succeeded", intent).status_code == 200
    assert order_status(app, order_id) == ("confirmed", "paid")

    bring_to_venue_and_collect(app, order_id)

    def paid_out() -> bool:
        with app.app_context():
            db.session.remove()
            return db.session.scalar(select(func.count()).select_from(Payout)
                                     .where(Payout.status == PayoutStatus.PAID)) == 2
    wait_for(paid_out, timeout=60)

    # 1005 at 10 % → 101 commission + 20 VAT, 884 paid; 1299 at 7.5 % → 97 commission + 19 VAT, 1183 paid.
    transfers = sorted((t["amount"], t["destination"]) for t in connect_fake.transfers)
    with app.app_context():
        accounts = {db.session.get(Shop, s).stripe_account_id: s for s in (bakery, cheese)}
        charge = db.session.scalar(select(Payment.stripe_charge_id))
        assert sorted((a, accounts[d]) for a, d in transfers) == [(884, bakery), (1183, cheese)]
        assert {t["source_transaction"] for t in connect_fake.transfers} == {charge}
        assert ledger.balances() == {bakery: 0, cheese: 0}
    month = utcnow().strftime("%Y-%m")
    keeper = make_user(email="boulanger@example.org", roles=("shopkeeper",))
    from shopapp.catalog.models import ShopStaff

    with app.app_context():
        db.session.add(ShopStaff(shop_id=bakery, user_id=keeper))
        commit()
        slug = db.session.get(Shop, bakery).slug
    statement = client.get(f"/api/v1/shop/statements?month={month}",
                           headers=token_headers(client, "boulanger@example.org"))
    assert statement.status_code == 200
    assert {k: v for k, v in statement.json.items() if k.endswith("_cents")} == {
        "sales_cents": 1005, "commission_cents": 101, "commission_vat_cents": 20, "refunds_cents": 0,
        "payouts_cents": 884, "transfer_reversals_cents": 0, "opening_balance_cents": 0, "balance_cents": 0}
    assert statement.json["shop"] == slug


def test_declined_card_keeps_the_order_payable(app, client, world, make_user, localstripe, no_dispatch):  # type: ignore[no-untyped-def]
    shop = world.shop("Épicerie")
    product = world.product(shop, "Miel", 900, stock=5)
    make_user(email="res@example.org")
    order_id = order_by_api(client, token_headers(client, "res@example.org"), world.slot(), [(product, 1)]).json["id"]
    intent = intent_of(app, order_id)

    # localstripe declines 4000000000000341 when charging (it declines …0002 only when attached to a customer).
    assert pay_on_localstripe(localstripe, intent, card="4000000000000341") == "requires_payment_method"
    assert deliver(client, "evt_declined", "payment_intent.payment_failed", intent).status_code == 200
    assert order_status(app, order_id) == ("pending_payment", "pending")
    assert world.stock(product) == (5, 1)  # still held: the customer may retry (until the hold expires)


def test_3d_secure_payment_confirms_once(app, client, world, make_user, localstripe, no_dispatch):  # type: ignore[no-untyped-def]
    shop = world.shop("Épicerie")
    product = world.product(shop, "Miel", 900, stock=5)
    make_user(email="res@example.org")
    order_id = order_by_api(client, token_headers(client, "res@example.org"), world.slot(), [(product, 1)]).json["id"]
    intent = intent_of(app, order_id)

    assert pay_on_localstripe(localstripe, intent, card="4000002760003184", authenticate=None) == "requires_action"
    assert deliver(client, "evt_early", "payment_intent.succeeded", intent).status_code == 200
    assert order_status(app, order_id) == ("pending_payment", "pending")  # Stripe says not paid yet
    from tests.payments.conftest import authenticate_on_localstripe

    assert authenticate_on_localstripe(localstripe, intent) == "succeeded"
    for event_id in ("evt_3ds", "evt_3ds", "evt_3ds_other"):
        assert deliver(client, event_id, "payment_intent.succeeded", intent).status_code == 200
    assert order_status(app, order_id) == ("confirmed", "paid")
    with app.app_context():
        assert db.session.scalar(select(Payment.status)) == CardPaymentStatus.SUCCEEDED


def test_payment_after_hold_expiry_reallocates_when_possible(app, client, world, make_user, localstripe,
                                                           no_dispatch):  # type: ignore[no-untyped-def]
    shop = world.shop("Épicerie")
    product = world.product(shop, "Miel", 900, stock=5)
    slot = world.slot()
    make_user(email="res@example.org")
    order_id = order_by_api(client, token_headers(client, "res@example.org"), slot, [(product, 2)]).json["id"]
    intent = intent_of(app, order_id)
    with app.app_context():
        assert card.expire_unpaid_payments(now=utcnow() + timedelta(minutes=16)) == 1
        commit()
    assert order_status(app, order_id)[0] == "cancelled"
    assert world.stock(product) == (5, 0) and world.booked(slot) == 0

    assert pay_on_localstripe(localstripe, intent) == "succeeded"
    assert deliver(client, "evt_late", "payment_intent.succeeded", intent).status_code == 200

    assert order_status(app, order_id) == ("confirmed", "paid")
    assert world.stock(product) == (5, 2) and world.booked(slot) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Refund)) == 0


def test_payment_after_hold_expiry_is_refunded_when_stock_is_gone(app, client, world, make_user, localstripe,
                                                                 no_dispatch):  # type: ignore[no-untyped-def]
    shop = world.shop("Épicerie")
    product = world.product(shop, "Miel", 900, stock=2)
    make_user(email="res@example.org")
    make_user(email="other@example.org")
    order_id = order_by_api(client, token_headers(client, "res@example.org"), world.slot(), [(product, 2)]).json["id"]
    intent = intent_of(app, order_id)
    with app.app_context():
        card.expire_unpaid_payments(now=utcnow() + timedelta(minutes=16))
        commit()
    other = order_by_api(client, token_headers(client, "other@example.org"), world.slot(30), [(product, 2)],
                         method="at_pickup", key="k2")
    assert other.status_code == 201

    assert pay_on_localstripe(localstripe, intent) == "succeeded"
    assert deliver(client, "evt_late", "payment_intent.succeeded", intent).status_code == 200

    assert order_status(app, order_id)[0] == "cancelled"
    with app.app_context():
        refund = db.session.scalar(select(Refund))
        assert refund is not None and (refund.amount_cents, refund.reason) == (1800, "late_payment_unavailable")
        assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 0
