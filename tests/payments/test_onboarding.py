"""Connect onboarding by the shop (Express account, Account Link, return page), account.updated keeping
the account's flags, payouts held until the account can receive them and then paid exactly once, what
the association sees, and the clear message without Connect."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sqlalchemy import select

from shopapp.catalog.models import Shop, ShopStaff
from shopapp.core import outbox
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.payments import onboarding, payouts
from shopapp.payments.models import Payout, PayoutStatus
from shopapp.payments.payouts import PAY_OUT_PART_TASK
from tests.conftest import csrf_token
from tests.payments.conftest import TEST_WEBHOOK_SECRET, sign
from tests.payments.test_payouts import part


@pytest.fixture(autouse=True)
def _no_dispatch(app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", False)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", TEST_WEBHOOK_SECRET)


def _keeper(app, make_user, auth, shop_id: int) -> None:  # type: ignore[no-untyped-def]
    user_id = make_user(email="keeper@example.org", roles=("shopkeeper",))
    with app.app_context():
        db.session.add(ShopStaff(shop_id=shop_id, user_id=user_id))
        commit()
    auth.login("keeper@example.org")


def _shop(app: Any, shop_id: int) -> Shop:
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        db.session.expunge(shop)
        return shop


def account_updated(client: Any, event_id: str, account_id: str) -> Any:
    payload = json.dumps({
        "id": event_id, "object": "event", "api_version": "2024-06-20", "created": int(time.time()),
        "type": "account.updated", "livemode": False,
        # The body is not trusted: the handler reads the account back from Stripe.
        "data": {"object": {"id": account_id, "object": "account", "payouts_enabled": True}},
    }).encode()
    return client.post("/webhooks/stripe", data=payload,
                       headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload)})


def queued_payouts(app: Any) -> list[int]:
    with app.app_context():
        jobs = db.session.scalars(select(outbox.OutboxJob).where(outbox.OutboxJob.task_name == PAY_OUT_PART_TASK)
                                  .order_by(outbox.OutboxJob.id))
        return [job.payload["part_id"] for job in jobs]


def test_shop_onboards_through_an_express_account_and_a_link(app, client, auth, make_user, make_shop, connect_fake):  # type: ignore[no-untyped-def]
    shop_id = make_shop(email="fournil@example.org")
    _keeper(app, make_user, auth, shop_id)
    settings = client.get("/ma-boutique/shop-1/reglages")
    assert "Recevoir mes paiements" in settings.get_data(as_text=True)
    # The form's redirect goes to Stripe: browsers check it against form-action.
    assert f"form-action 'self' {connect_fake.api_base};" in settings.headers["Content-Security-Policy"]
    token = csrf_token(client, "/ma-boutique/shop-1/reglages")
    started = client.post("/ma-boutique/shop-1/paiements/stripe", data={"csrf_token": token})
    assert started.status_code == 303
    (account,) = connect_fake.accounts
    assert started.headers["Location"] == f"{connect_fake.api_base}/onboarding/{account['id']}"
    create, link = [r for r in connect_fake.requests if r.method == "POST"]
    assert create.params["type"] == "express" and create.params["metadata"] == {"shop_id": str(shop_id)}
    assert create.params["email"] == "fournil@example.org"
    assert link.params["type"] == "account_onboarding" and link.params["account"] == account["id"]
    assert link.params["return_url"] == link.params["refresh_url"] == "http://localhost/ma-boutique/shop-1/paiements"
    assert _shop(app, shop_id).stripe_account_id == account["id"]
    # Again (the link expired): the same account, a new link.
    assert client.post("/ma-boutique/shop-1/paiements/stripe", data={"csrf_token": token}).status_code == 303
    assert len(connect_fake.accounts) == 1

    # Back from Stripe before finishing: the return page reads the account and says so.
    unfinished = client.get("/ma-boutique/shop-1/paiements")
    assert unfinished.status_code == 200
    assert "n'est pas terminée" in unfinished.get_data(as_text=True).replace("&#39;", "'")
    assert _shop(app, shop_id).payouts_enabled is False
    connect_fake.complete_onboarding(account["id"])
    done = client.get("/ma-boutique/shop-1/paiements").get_data(as_text=True)
    assert "Votre inscription est terminée" in done
    shop = _shop(app, shop_id)
    assert (shop.charges_enabled, shop.payouts_enabled, shop.details_submitted) == (True, True, True)


def test_another_shop_keeper_cannot_onboard_this_shop(app, client, auth, make_user, make_shop, connect_fake):  # type: ignore[no-untyped-def]
    make_shop()
    other = make_shop()
    _keeper(app, make_user, auth, other)
    token = csrf_token(client, "/ma-boutique/shop-2/reglages")
    assert client.post("/ma-boutique/shop-1/paiements/stripe", data={"csrf_token": token}).status_code in (403, 404)
    assert client.get("/ma-boutique/shop-1/paiements").status_code in (403, 404)
    assert connect_fake.accounts == []


@pytest.mark.parametrize("config", [
    {"STRIPE_SECRET_KEY": None},
    {"STRIPE_SECRET_KEY": "sk_test_localstripe", "STRIPE_API_BASE": "http://127.0.0.1:9", "STRIPE_LOCALSTRIPE": True,
     "STRIPE_CONNECT_API_BASE": None},
])
def test_without_connect_the_page_says_real_keys_are_needed(app, client, auth, make_user, make_shop, monkeypatch,  # type: ignore[no-untyped-def]
                                                           config):
    for key, value in config.items():
        monkeypatch.setitem(app.config, key, value)
    _keeper(app, make_user, auth, make_shop())
    token = csrf_token(client, "/ma-boutique/shop-1/reglages")
    refused = client.post("/ma-boutique/shop-1/paiements/stripe", data={"csrf_token": token})
    assert refused.status_code == 503
    text = refused.get_data(as_text=True)
    assert "demande de vraies clés Stripe" in text
    assert "demande de vraies clés Stripe" in client.get("/ma-boutique/shop-1/paiements").get_data(as_text=True)


def test_account_updated_webhook_keeps_the_flags_once(app, client, make_shop, connect_fake):  # type: ignore[no-untyped-def]
    account = connect_fake.add_account(onboarded=False)
    shop_id = make_shop(stripe_account_id=account)
    assert account_updated(client, "evt_acct_1", account).status_code == 200
    assert _shop(app, shop_id).payouts_enabled is False  # Stripe says not yet, whatever the body claims
    connect_fake.complete_onboarding(account)
    assert account_updated(client, "evt_acct_2", account).get_json() == {"received": True, "duplicate": False}
    shop = _shop(app, shop_id)
    assert (shop.charges_enabled, shop.payouts_enabled, shop.details_submitted) == (True, True, True)
    assert account_updated(client, "evt_acct_2", account).get_json() == {"received": True, "duplicate": True}
    unsigned = client.post("/webhooks/stripe", data=b'{"id": "evt_x"}', headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 400


def test_payout_held_until_onboarding_then_paid_exactly_once(app, client, make_shop, fake_orders, connect_fake):  # type: ignore[no-untyped-def]
    account = connect_fake.add_account(onboarded=False)
    shop_id = make_shop(stripe_account_id=account)  # recorded by hand: its state not known yet
    first = part(app, fake_orders, shop_id)
    with app.app_context():
        payout = payouts.pay_out_part(first.part_id)  # tried, refused by Stripe: onboarding unfinished
        commit()
        assert payout.status == PayoutStatus.HELD and "inscription Stripe" in payout.last_error
        assert payout.idempotency_key == f"transfer:{first.part_id}:2"  # Stripe replays a refusal under its key
        assert db.session.get(Shop, shop_id).payouts_enabled is False
    second = part(app, fake_orders, shop_id)
    with app.app_context():
        assert payouts.pay_out_part(second.part_id).status == PayoutStatus.HELD  # not even tried
        commit()
    transfer_posts = [r for r in connect_fake.requests if r.method == "POST" and r.path == "/v1/transfers"]
    assert len(transfer_posts) == 1 and connect_fake.transfers == []

    with app.app_context():  # the beat sweep while nothing changed: nothing queued
        assert onboarding.release_held_payouts() == 1
        commit()
    assert queued_payouts(app) == []

    connect_fake.complete_onboarding(account)
    assert account_updated(client, "evt_acct_ready", account).status_code == 200
    assert sorted(queued_payouts(app)) == sorted([first.part_id, second.part_id])
    with app.app_context():  # and the sweep finds it too (a missed webhook): queued again, harmless
        onboarding.release_held_payouts()
        commit()
    for part_id in queued_payouts(app):  # every queued job runs, some twice
        with app.app_context():
            payouts.pay_out_part(part_id)
            commit()
    assert sorted(t["metadata"]["part_id"] for t in connect_fake.transfers) == sorted(
        [str(first.part_id), str(second.part_id)])
    with app.app_context():
        statuses = db.session.scalars(select(Payout.status).where(Payout.shop_id == shop_id)).all()
        assert statuses == [PayoutStatus.PAID, PayoutStatus.PAID]
        assert onboarding.release_held_payouts() == 0


def test_association_sees_which_shops_can_be_paid(app, client, auth, make_user, make_shop, connect_fake):  # type: ignore[no-untyped-def]
    make_shop(stripe_account_id=connect_fake.add_account(), payouts_enabled=True)
    unfinished = make_shop(stripe_account_id=connect_fake.add_account(onboarded=False), payouts_enabled=False)
    make_shop()
    make_user(email="admin@example.org", roles=("admin",))
    auth.login("admin@example.org")
    text = client.get("/association/boutiques").get_data(as_text=True)
    rows = {name: text.split(name, 1)[1].split("</tr>", 1)[0] for name in ("Boutique 1", "Boutique 2", "Boutique 3")}
    assert "Peut être payée" in rows["Boutique 1"]
    assert "Inscription Stripe inachevée" in rows["Boutique 2"]
    assert "Pas de compte Stripe" in rows["Boutique 3"]
    detail = client.get(f"/association/commerces/{unfinished}/versements").get_data(as_text=True)
    assert "non, inscription Stripe inachevée" in detail
