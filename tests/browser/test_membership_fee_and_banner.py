"""The membership fee paid by card and the shop's banner panel in Chromium at 360 px: axe-core finds
nothing on the membership page, the card page (localstripe's Stripe.js stand-in, paying with its test
card), the return page before and after Stripe's webhook, and the settings page's banner panel before an
upload, with a refused file and with a banner; nothing scrolls sideways."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from shopapp.catalog.models import Shop, ShopStaff
from shopapp.extensions import db
from shopapp.members import services as members
from shopapp.payments.models import MembershipCardPayment
from shopapp.venue.models import Venue
from tests.browser.conftest import log_in, page_problems, screenshot
from tests.checkout.flow import deliver
from tests.orders.conftest import world  # noqa: F401 - the venue comes from the orders world
from tests.payments.conftest import localstripe, localstripe_server  # noqa: F401

pytestmark = pytest.mark.browser

# In production the card fields are Stripe's own iframe; under localstripe they are its test stand-in's
# bare inputs: neither is this app's markup, so axe checks the page around them.
CARD_FIELDS = "#card-element"


def _check(page, name: str, *, exclude: tuple[str, ...] = ()) -> list[str]:  # type: ignore[no-untyped-def]
    problems = page_problems(page, name, exclude=exclude)
    screenshot(page, name)
    return problems


def test_paying_the_membership_fee_by_card_passes_axe_at_360px(
        app, client, world, make_user, live_server, page, localstripe, monkeypatch):  # type: ignore[no-untyped-def]  # noqa: F811
    monkeypatch.setitem(app.config, "STRIPE_PUBLISHABLE_KEY", "pk_test_localstripe")  # what Stripe.js is given
    user_id = make_user(email="camille@example.org", name="Camille")
    with app.app_context():
        venue = db.session.scalar(select(Venue))
        venue.membership_fee_cents = 1500
        members.join(user_id, consent=True, venue=venue.name)
        db.session.commit()
    page.set_viewport_size({"width": 360, "height": 780})
    problems: list[str] = []

    log_in(page, live_server, "camille@example.org")
    page.goto(live_server + "/adhesion")
    problems += _check(page, "membership-fee-due")
    page.get_by_role("button", name="Payer ma cotisation par carte (15,00").click()
    page.wait_for_url(lambda url: url.endswith("/adhesion/cotisation/paiement"))
    card = page.locator(f"{CARD_FIELDS} input")
    card.first.wait_for()
    problems += _check(page, "membership-fee-card", exclude=(CARD_FIELDS,))
    page.get_by_role("button", name="Payer 15,00").click()  # no card typed: the page says so
    page.locator("#payment-message").wait_for(state="visible")
    problems += _check(page, "membership-fee-card-error", exclude=(CARD_FIELDS,))
    for placeholder, value in (("number", "4242424242424242"), ("exp_month", "12"), ("exp_year", "30"),
                               ("cvc", "123"), ("postal_code", "45000")):
        page.locator(f'{CARD_FIELDS} input[placeholder="{placeholder}"]').fill(value)
    page.get_by_role("button", name="Payer 15,00").click()
    page.wait_for_url(lambda url: url.endswith("/adhesion/cotisation/retour"))
    problems += _check(page, "membership-fee-confirming")
    with app.app_context():
        intent = db.session.scalar(select(MembershipCardPayment.stripe_payment_intent_id))
    assert deliver(client, "evt_fee_browser", "payment_intent.succeeded", intent).status_code == 200
    page.reload()
    assert "est réglée" in page.locator("#fee-status").inner_text()
    problems += _check(page, "membership-fee-paid")

    assert problems == [], "\n".join(problems)


def _banner_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 600), (180, 120, 60)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_shops_banner_panel_passes_axe_at_360px(app, make_user, live_server, page):  # type: ignore[no-untyped-def]
    keeper = make_user(email="keeper@example.org", name="Lucas", roles=("shopkeeper",))
    with app.app_context():
        shop = Shop(slug="fromagerie-lucas", name="Fromagerie Lucas", trade="Fromagerie", status="approved")
        db.session.add(shop)
        db.session.flush()
        db.session.add(ShopStaff(shop_id=shop.id, user_id=keeper, is_owner=True))
        db.session.commit()
    page.set_viewport_size({"width": 360, "height": 780})
    problems: list[str] = []
    log_in(page, live_server, "keeper@example.org")
    page.goto(live_server + "/ma-boutique/fromagerie-lucas/reglages")
    panel = page.locator("section", has=page.locator("#banner-title"))
    problems += _check(page, "banner-panel-empty")

    panel.get_by_label("Bannière (JPEG, PNG ou WebP)").set_input_files(
        {"name": "banniere.txt", "mimeType": "text/plain", "buffer": b"pas une image"})
    with page.expect_navigation():  # the next page is read and measured once loaded, style sheet included
        panel.get_by_role("button", name="Envoyer la bannière").click()
    panel = page.locator("section", has=page.locator("#banner-title"))
    panel.locator(".error-summary").wait_for()  # the refusal is shown in the banner's own panel
    problems += _check(page, "banner-panel-refused")

    panel.get_by_label("Bannière (JPEG, PNG ou WebP)").set_input_files(
        {"name": "banniere.png", "mimeType": "image/png", "buffer": _banner_png()})
    with page.expect_navigation():  # the next page is read and measured once loaded, style sheet included
        panel.get_by_role("button", name="Envoyer la bannière").click()
    banner = page.get_by_role("img", name="Bannière actuelle de Fromagerie Lucas")
    banner.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", banner.element_handle())
    box = banner.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    problems += _check(page, "banner-panel-uploaded")

    assert problems == [], "\n".join(problems)
