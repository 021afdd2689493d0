"""In Chromium at phone width: the checkout's day-by-day slot picker, then a resident moves the order to a
slot on another (folded) day from the order page. axe-core finds nothing serious on the three pages."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from playwright.sync_api import expect

from shopapp.core.clock import as_utc
from shopapp.extensions import db
from shopapp.orders.models import PickupSlot
from shopapp.templating import format_day
from tests.browser.conftest import confirm_at_pickup, log_in, page_problems, screenshot
from tests.orders.conftest import World

pytestmark = pytest.mark.browser


def _problems(page, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    return page_problems(page, name, serious_only=True)


def test_a_resident_moves_the_order_to_a_slot_on_another_day(app, make_user, live_server, page):
    world = World(app, make_user)
    world.product(world.shop("Boulangerie Aurore", preparation_minutes=60), "Pain de campagne", 450, stock=5)
    first, _middle, later = (world.slot(hours_from_now=h) for h in (50, 74, 98))
    make_user(email="suzanne@example.org", name="Suzanne Morel")
    page.set_viewport_size({"width": 360, "height": 780})
    log_in(page, live_server, "suzanne@example.org")
    page.goto(live_server + "/produits")
    page.get_by_role("button", name="Ajouter au panier : Pain de campagne").click()
    expect(page.get_by_text("Ajouté à votre panier.")).to_be_visible()

    page.goto(live_server + "/commande")
    expect(page.locator(f"#slot-{later}")).to_be_hidden()  # its day is folded: the first day with room is open
    problems = _problems(page, "checkout")
    code = confirm_at_pickup(page, first)
    problems += _problems(page, "my order")

    page.get_by_role("link", name="Changer de créneau").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Changer le créneau de retrait")
    problems += _problems(page, "change slot")
    page.locator("details.slot-day", has=page.locator(f"#slot-{later}")).locator("summary").click()  # unfold
    page.locator(f"#slot-{later}").check()
    screenshot(page, "change-slot-360")
    page.get_by_role("button", name="Choisir ce créneau").click()

    expect(page.get_by_text("C'est noté : votre commande vous attend au nouveau créneau.")).to_be_visible()
    assert page.locator("#pickup-code").inner_text().strip() == code  # same code
    with app.app_context():
        starts = as_utc(db.session.get(PickupSlot, later).starts_at).astimezone(ZoneInfo("Europe/Paris"))
    with app.test_request_context(), force_locale("fr"):
        expected_day = format_day(starts.date(), "EEEE d MMMM")
    expect(page.locator(".facts")).to_contain_text(expected_day)
    assert problems == []
