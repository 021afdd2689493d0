"""In Chromium at 360 px: the header's search used with the keyboard only (type, ArrowDown, Enter opens the
suggestion), a resident orders a past order again, favourites and the venue's page; axe-core finds nothing
on the new pages, nothing scrolls sideways, and the header stays compact."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from shopapp.catalog.models import Product
from shopapp.core.clock import venue_today
from shopapp.extensions import db
from shopapp.venue.models import ClosedDay, Venue
from tests.browser.conftest import log_in, page_problems, screenshot
from tests.orders.conftest import World
from tests.orders.services import checkout, fill_basket

pytestmark = pytest.mark.browser


def _problems(page, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    return page_problems(page, name)


def _town(app, make_user):  # type: ignore[no-untyped-def]
    world = World(app, make_user)
    bakery = world.shop("Boulangerie Aurore")
    dairy = world.shop("La Crèmerie du marché")
    bread = world.product(bakery, "Pain de campagne", 450, stock=5)
    cream = world.product(dairy, "Crème fraîche épaisse", 320, stock=5)
    eggs = world.product(dairy, "Œufs fermiers", 290, stock=5)
    return world, bread, cream, eggs


def test_header_search_with_the_keyboard_only(app, make_user, live_server, page):
    _world, _bread, cream, _eggs = _town(app, make_user)
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(live_server + "/")

    header = page.locator(".site-header").bounding_box()
    assert header is not None and header["height"] <= 170, header  # it took 251 px before
    box = page.locator("#site-search")
    expect(box).to_have_attribute("role", "combobox")
    expect(box).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Tab")  # the skip link
    while page.evaluate("document.activeElement.id") != "site-search":
        page.keyboard.press("Tab")
    page.keyboard.type("crem")
    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    options = page.get_by_role("option")
    expect(options.first).to_contain_text("Crème fraîche épaisse")
    page.keyboard.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", "site-search-option-0")
    problems = _problems(page, "suggestions open")
    screenshot(page, "header-search-suggestions-360")
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("ArrowDown")  # opens again on the first suggestion
    expect(options.first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")

    page.wait_for_url(f"**/produits/{cream}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Crème fraîche épaisse")
    assert problems == []


def test_header_search_without_a_suggestion_chosen_runs_the_catalog_search(app, make_user, live_server, page):
    _town(app, make_user)
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(live_server + "/")

    page.locator("#site-search").fill("oeufs")
    page.keyboard.press("Enter")

    page.wait_for_url("**/produits?q=oeufs")
    expect(page.get_by_role("link", name="Œufs fermiers")).to_be_visible()


def test_a_resident_orders_a_past_order_again(app, make_user, live_server, page):
    world, bread, cream, eggs = _town(app, make_user)
    user = make_user(email="suzanne@example.org", name="Suzanne Morel")
    fill_basket(app, user, (bread, 2), (cream, 1), (eggs, 1))
    order_id = checkout(app, user, world.slot())
    with app.app_context():
        db.session.get(Product, eggs).is_active = False
        db.session.commit()
    page.set_viewport_size({"width": 360, "height": 800})
    log_in(page, live_server, "suzanne@example.org")

    page.goto(live_server + f"/mes-commandes/{order_id}")
    problems = _problems(page, "order page")
    page.get_by_role("button", name="Commander à nouveau").click()

    page.wait_for_url("**/panier")
    expect(page.get_by_text("3 articles ajoutés à votre panier.")).to_be_visible()
    expect(page.get_by_text("« Œufs fermiers » n'est plus proposé.")).to_be_visible()
    expect(page.locator(".basket-link .badge")).to_have_text("3")
    screenshot(page, "reorder-basket-360")
    problems += _problems(page, "basket after reorder")
    assert problems == []


def test_favourites_and_the_venue_page_have_no_accessibility_violation(app, make_user, live_server, page):
    _world, bread, _cream, _eggs = _town(app, make_user)
    with app.app_context():
        venue = db.session.query(Venue).one()
        venue.town, venue.latitude, venue.longitude = "Saint-Aubin", 47.9, 1.9
        venue.closed_days = [ClosedDay(day=venue_today() + timedelta(days=9), reason="Inventaire")]
        db.session.commit()
    make_user(email="suzanne@example.org", name="Suzanne Morel")
    page.set_viewport_size({"width": 360, "height": 800})
    log_in(page, live_server, "suzanne@example.org")

    page.goto(live_server + f"/produits/{bread}")
    page.get_by_role("button", name="Ajouter à mes favoris : Pain de campagne").click()
    expect(page.get_by_text("Ajouté à vos favoris.")).to_be_visible()
    page.get_by_role("link", name="Mes favoris").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes favoris")
    expect(page.get_by_role("link", name="Pain de campagne")).to_be_visible()
    problems = _problems(page, "favourites")
    screenshot(page, "favourites-360")

    page.get_by_role("contentinfo").get_by_role("link", name="Le lieu de retrait : La Halle Commune").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("La Halle Commune")
    expect(page.get_by_role("rowheader", name="Dimanche")).to_be_visible()
    expect(page.get_by_role("cell", name="08 h 00 – 20 h 00").first).to_be_visible()
    expect(page.get_by_text("Inventaire")).to_be_visible()
    problems += _problems(page, "venue page")
    screenshot(page, "venue-page-360")
    assert problems == []
