"""A weekly basket from a past order, in a real Chromium at 360 px: the resident makes it from the order's
page, skips a date with a confirmation, and the new pages (form, detail, list, confirmation, the shop's
standing quantities) pass axe-core without a violation and do not scroll sideways."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from shopapp.core.clock import utcnow
from shopapp.extensions import db
from shopapp.standing.models import StandingOrder
from tests.browser.conftest import log_in, run_axe, screenshot, too_wide
from tests.orders.conftest import World
from tests.orders.services import checkout, fill_basket
from tests.standing.conftest import slot_at

pytestmark = pytest.mark.browser


def test_resident_makes_a_weekly_basket_from_a_past_order(app, make_user, live_server, page):  # type: ignore[no-untyped-def]
    world = World(app, make_user)
    shop = world.shop("Boulangerie Aurore", keeper="baker@example.org")
    bread = world.product(shop, "Pain de campagne", 420, stock=30)
    croissant = world.product(shop, "Croissant", 110, stock=30)
    resident = make_user(email="camille@example.org", name="Camille")
    fill_basket(app, resident, (bread, 1), (croissant, 4))
    order_id = checkout(app, resident, world.slot())
    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    slot_at(app, world, start)
    page.set_viewport_size({"width": 360, "height": 780})
    problems: list[str] = []

    def check(name: str) -> None:
        problems.extend(f"{name}: {v['id']} — {v['help']}" for v in run_axe(page))
        assert too_wide(page, name) == []
        screenshot(page, f"standing-{name}-360")

    log_in(page, live_server, "camille@example.org")
    page.goto(live_server + f"/mes-commandes/{order_id}")
    page.get_by_role("link", name="Faire de cette commande mon panier de la semaine").click()
    expect(page.get_by_role("heading", name="Faire mon panier de la semaine")).to_be_visible()
    expect(page.get_by_text("4 × Croissant")).to_be_visible()
    check("new")
    page.get_by_label("Chaque semaine").check()
    page.get_by_label("Premier retrait").select_option(index=0)
    page.get_by_label("Au retrait, à la Halle (carte ou espèces)").check()
    page.get_by_role("button", name="Enregistrer mon panier de la semaine").click()

    expect(page.get_by_text("C'est noté : votre panier de la semaine est enregistré.")).to_be_visible()
    expect(page.get_by_role("heading", name="Mon panier de la semaine", level=1)).to_be_visible()
    check("detail")
    with app.app_context():
        standing = db.session.scalar(select(StandingOrder))
        assert (standing.user_id, standing.every_weeks, standing.status) == (resident, 1, "active")

    page.get_by_role("link", name="Sauter cette date").first.click()
    expect(page.get_by_role("heading", name="Sauter une date")).to_be_visible()
    check("confirm")
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_text("C'est noté : pas de panier ce jour-là.")).to_be_visible()
    expect(page.get_by_text("sautée").first).to_be_visible()

    page.goto(live_server + "/mon-panier-de-la-semaine")
    expect(page.get_by_text("1 × Pain de campagne")).to_be_visible()
    check("list")

    page.context.clear_cookies()
    log_in(page, live_server, "baker@example.org")
    page.goto(live_server + "/ma-boutique/shop-1/produits")
    page.get_by_role("link", name="Paniers de la semaine").click()
    expect(page.get_by_role("heading", name="Paniers de la semaine — Boulangerie Aurore")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Croissant")).to_be_visible()
    check("shop")

    assert problems == []
