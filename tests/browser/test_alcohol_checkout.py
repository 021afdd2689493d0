"""Alcohol in a real Chromium at 360 px: the wine's page carries the health mention and its price per
litre; at checkout the age confirmation is asked, refused without it, accepted with it; axe-core finds
no violation on the changed pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shopapp.catalog.models import Category, Product
from shopapp.core.transaction import commit
from shopapp.extensions import db
from tests.browser.conftest import log_in, run_axe, screenshot, too_wide
from tests.orders.conftest import World

pytestmark = pytest.mark.browser

MENTION = "L'abus d'alcool est dangereux pour la santé, à consommer avec modération."


def _no_violations(page) -> None:  # type: ignore[no-untyped-def]
    violations = run_axe(page)
    assert not violations, [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]


def test_wine_asks_for_the_age_confirmation_at_checkout(app, make_user, live_server, page):
    world = World(app, make_user)
    wine = world.product(world.shop("Cave Le Tire-Bouchon"), "Chinon rouge 2022", 1200, stock=5, unit="bouteille",
                         vat_rate_bp=2000)
    with app.app_context():
        category = Category(slug="vins-rouges", name="Vins rouges", is_alcoholic=True)
        db.session.add(category)
        db.session.flush()
        product = db.session.get(Product, wine)
        product.category_id, product.net_quantity, product.net_unit = category.id, 750, "ml"
        commit()
    slot = world.slot(hours_from_now=50)
    make_user(email="suzanne@example.org", name="Suzanne Morel")
    page.set_viewport_size({"width": 360, "height": 780})

    log_in(page, live_server, "suzanne@example.org")
    page.goto(f"{live_server}/produits/{wine}")
    expect(page.get_by_text(MENTION)).to_be_visible()
    expect(page.get_by_text("(soit 16,00\u00a0€ TTC / l)")).to_be_visible()
    _no_violations(page)
    screenshot(page, "alcohol-product-360")
    page.goto(f"{live_server}/produits")
    expect(page.get_by_text(MENTION)).to_be_visible()
    _no_violations(page)
    page.get_by_role("button", name="Ajouter au panier : Chinon rouge 2022").click()
    expect(page.get_by_text("Ajouté à votre panier.")).to_be_visible()

    page.goto(f"{live_server}/commande")
    adult = page.get_by_label("Je certifie avoir 18 ans ou plus")
    expect(adult).to_be_visible()
    page.locator(f"#slot-{slot}").check()
    page.get_by_label("Au retrait, à la Halle (carte ou espèces)").check()
    page.get_by_label("J'accepte les conditions générales de vente").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Confirmer la commande").click()
    expect(page.locator("#adult-error")).to_have_text(
        "Confirmez que vous avez 18 ans ou plus pour acheter de l'alcool.")
    expect(page.get_by_role("link", name="Je certifie avoir 18 ans ou plus")).to_be_visible()  # the error summary
    _no_violations(page)
    screenshot(page, "alcohol-checkout-refused-360")
    assert too_wide(page, "alcohol checkout") == []

    page.locator(f"#slot-{slot}").check()
    page.get_by_label("J'accepte les conditions générales de vente").check()
    page.get_by_label("Je certifie avoir 18 ans ou plus").check()
    page.get_by_role("button", name="Confirmer la commande").click()
    code = page.locator("#pickup-code").inner_text().strip()
    assert len(code) == 6
    screenshot(page, "alcohol-order-placed-360")
