"""The shop's "Recevoir mes paiements" in Chromium at phone width: without Connect the page says real
Stripe keys are needed; with the Connect fake the button leads to Stripe's onboarding link and the
return page shows the account's state; the association's shops list shows who can be paid. axe-core
finds nothing on any of them, nothing scrolls sideways."""

from __future__ import annotations

import pytest

from shopapp.catalog.models import Shop, ShopStaff
from shopapp.extensions import db
from tests.browser.conftest import log_in, page_problems, screenshot
from tests.support.stripe_connect_fake import StripeConnectFake

pytestmark = pytest.mark.browser



def _check(page, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    problems = page_problems(page, name)
    screenshot(page, name)
    return problems


def test_shop_onboarding_pages_pass_axe_at_phone_width(app, make_user, live_server, page, monkeypatch):  # type: ignore[no-untyped-def]
    make_user(email="admin@example.org", roles=("admin",))
    keeper = make_user(email="keeper@example.org", roles=("shopkeeper",))
    with app.app_context():
        shop = Shop(slug="fournil-lea", name="Fournil Léa", trade="Boulangerie", status="approved")
        db.session.add(shop)
        db.session.flush()
        db.session.add(ShopStaff(shop_id=shop.id, user_id=keeper, is_owner=True))
        db.session.commit()
    page.set_viewport_size({"width": 360, "height": 780})
    problems: list[str] = []

    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", None)
    log_in(page, live_server, "keeper@example.org")
    page.goto(live_server + "/ma-boutique/fournil-lea/reglages")
    page.get_by_role("button", name="Recevoir mes paiements").click()
    page.wait_for_selector("text=demande de vraies clés Stripe")
    problems += _check(page, "payout-onboarding-no-keys")

    fake = StripeConnectFake().start()
    try:
        monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_browser")
        monkeypatch.setitem(app.config, "STRIPE_CONNECT_API_BASE", fake.api_base)
        monkeypatch.setitem(app.config, "STRIPE_MAX_NETWORK_RETRIES", 0)
        page.goto(live_server + "/ma-boutique/fournil-lea/reglages")
        page.get_by_role("button", name="Recevoir mes paiements").click()
        page.wait_for_url(lambda url: url.startswith(fake.api_base + "/onboarding/acct_"))
        (account,) = fake.accounts
        page.goto(live_server + "/ma-boutique/fournil-lea/paiements")  # Stripe's return, unfinished
        problems += _check(page, "payout-onboarding-unfinished")
        fake.complete_onboarding(account["id"])
        page.goto(live_server + "/ma-boutique/fournil-lea/paiements")
        page.wait_for_selector("text=Votre inscription est terminée")
        problems += _check(page, "payout-onboarding-done")
    finally:
        fake.stop()

    page.context.clear_cookies()
    log_in(page, live_server, "admin@example.org")
    page.goto(live_server + "/association/boutiques")
    page.wait_for_selector("text=Peut être payée")
    problems += _check(page, "association-shops-payouts")
    assert problems == []
