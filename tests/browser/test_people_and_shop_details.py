"""The people-and-roles page and the shop's details form in Chromium at phone width: axe-core finds
nothing, nothing scrolls sideways, also with the form's errors shown."""

from __future__ import annotations

import pytest

from shopapp.catalog.models import Shop, ShopStaff
from shopapp.extensions import db
from tests.browser.conftest import log_in, page_problems, screenshot

pytestmark = pytest.mark.browser


def _check(page, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    problems = page_problems(page, name)
    screenshot(page, name)
    return problems


def test_people_page_and_shop_details_pass_axe_at_phone_width(app, make_user, live_server, page):  # type: ignore[no-untyped-def]
    make_user(email="admin@example.org", name="Alice Admin", roles=("admin",))
    make_user(email="venue@example.org", name="Victor Comptoir", roles=("venue",))
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
    problems += _check(page, "shop-details")
    page.get_by_label("Temps de préparation (minutes)").fill("5")
    page.get_by_role("button", name="Enregistrer la fiche").click()
    page.wait_for_selector(".error")
    problems += _check(page, "shop-details-errors")
    page.get_by_role("link", name="Équipe").first.click()
    page.wait_for_url(lambda url: "/boutique/equipe" in url)

    page.context.clear_cookies()
    log_in(page, live_server, "admin@example.org")
    page.goto(live_server + "/association/candidatures")
    page.get_by_role("link", name="Personnes et rôles").click()
    page.wait_for_url(lambda url: url.endswith("/association/personnes"))
    problems += _check(page, "people-and-roles")
    page.get_by_role("button", name="Envoyer l’invitation").click()
    page.wait_for_selector(".error")
    problems += _check(page, "people-and-roles-errors")

    assert problems == []
