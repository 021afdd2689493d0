"""The whole click-and-collect journey in a real Chromium: search, basket from three shops, a slot,
checkout paying at pickup, the pickup code; each shop drops its part at the venue; the desk hands it over."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import confirm_at_pickup, log_in, screenshot
from tests.orders.conftest import World

pytestmark = pytest.mark.browser


def _logout(page):  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        page.get_by_role("button", name="Se déconnecter").click()


def test_resident_orders_from_three_shops_and_collects_at_the_desk(app, make_user, live_server, page):
    world = World(app, make_user)
    shops = [("Boulangerie Aurore", "baker@example.org", "Pain de campagne"),
             ("Fromagerie Lucas", "cheese@example.org", "Comté fruité"),
             ("Primeur des Halles", "greens@example.org", "Pommes reinettes")]
    for name, keeper, product in shops:
        world.product(world.shop(name, preparation_minutes=60, keeper=keeper), product, 450, stock=5)
    slot = world.slot(hours_from_now=50)
    make_user(email="suzanne@example.org", name="Suzanne Morel")
    make_user(email="venue@example.org", name="Comptoir", roles=("venue",))

    log_in(page, live_server, "suzanne@example.org")
    for _shop, _keeper, product in shops:
        page.goto(live_server + "/produits")
        page.get_by_label("Rechercher un produit").fill(product.split()[0])
        page.get_by_label("Rechercher un produit").press("Enter")
        page.get_by_role("button", name=f"Ajouter au panier : {product}").click()
        expect(page.get_by_text("Ajouté à votre panier.")).to_be_visible()
    expect(page.locator("[data-basket-count]")).to_have_text("3")  # added in place: the list stays
    page.get_by_role("link", name="Panier").click()
    screenshot(page, "basket-three-shops")
    for name, _keeper, _product in shops:
        expect(page.get_by_role("heading", name=name)).to_be_visible()
    page.get_by_role("link", name="Choisir un créneau et commander").click()

    code = confirm_at_pickup(page, slot)
    assert len(code) == 6
    expect(page.get_by_role("img", name=f"QR code du code de retrait {code}")).to_be_visible()
    screenshot(page, "order-pickup-code")
    _logout(page)

    for _name, keeper, _product in shops:
        log_in(page, live_server, keeper)
        page.get_by_role("link", name="Préparation").click()
        for step in ("Commencer la préparation", "Marquer prête", "Déposée à la Halle"):
            with page.expect_navigation():  # each step reloads the page with the same flash message
                page.get_by_role("button", name=step).click()
            expect(page.get_by_text("Statut mis à jour.")).to_be_visible()
        _logout(page)

    page.set_viewport_size({"width": 1024, "height": 768})  # the desk tablet
    log_in(page, live_server, "venue@example.org")
    page.get_by_role("link", name="Comptoir").click()
    page.get_by_label("Code de retrait, numéro ou nom (ou scannez le QR code)").fill(code)
    page.get_by_label("Code de retrait, numéro ou nom (ou scannez le QR code)").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Commande AMC-"))
    page.get_by_label("Espèces").check()
    page.get_by_role("button", name="Remettre la commande").click()

    expect(page.get_by_text("Commande remise. Bonne journée !")).to_be_visible()
    assert page.locator(".order-status").inner_text() == "Retirée"
    screenshot(page, "desk-collected")
