"""The resident journey with JavaScript switched off in the browser (progressive enhancement): every
step is a plain link or a plain form. Log in, find products of two shops by searching, add them, change
a quantity, choose a slot, pay at pickup, read the pickup code."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import confirm_at_pickup, screenshot
from tests.orders.conftest import World

pytestmark = pytest.mark.browser


@pytest.fixture
def page_without_js(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}, java_script_enabled=False)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_resident_orders_from_two_shops_without_javascript(app, make_user, live_server, page_without_js):
    page = page_without_js
    page.set_content("<p id='probe'>off</p><script>document.getElementById('probe').textContent = 'on'</script>")
    assert page.locator("#probe").inner_text() == "off", "JavaScript is still running in this context"

    world = World(app, make_user)
    bread = world.product(world.shop("Boulangerie Aurore", preparation_minutes=60), "Pain de campagne", 450, stock=5)
    world.product(world.shop("Fromagerie Lucas", preparation_minutes=60), "Comté fruité", 890, stock=5)
    slot = world.slot(hours_from_now=50)
    make_user(email="suzanne@example.org", name="Suzanne Morel")

    page.goto(live_server + "/connexion")
    page.get_by_label("Adresse e-mail").fill("suzanne@example.org")
    page.get_by_label("Mot de passe").fill("motdepasse1")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("button", name="Se déconnecter").wait_for()

    for product in ("Pain de campagne", "Comté fruité"):
        word = product.split()[0]
        page.get_by_role("link", name="Produits", exact=True).click()
        page.get_by_label("Rechercher un produit").fill(word)
        page.get_by_role("button", name="Rechercher").click()
        page.wait_for_url(lambda url, word=word: f"q={word}" in unquote(url))
        page.get_by_role("button", name=f"Ajouter au panier : {product}").click()
        page.get_by_text("Ajouté à votre panier.").wait_for()

    page.get_by_role("link", name="Panier").click()
    expect(page.get_by_role("heading", name="Boulangerie Aurore")).to_be_visible()
    expect(page.get_by_role("heading", name="Fromagerie Lucas")).to_be_visible()
    page.locator(f"#line-{bread}").fill("2")
    page.get_by_role("button", name="Mettre à jour Pain de campagne").click()
    page.get_by_text("Panier mis à jour.").wait_for()
    assert "Total : 17,90\u00a0€" in page.locator("main").inner_text()  # 2 × 4,50 € + 8,90 €

    page.get_by_role("link", name="Choisir un créneau et commander").click()

    code = confirm_at_pickup(page, slot)
    assert len(code) == 6
    expect(page.get_by_role("img", name=f"QR code du code de retrait {code}")).to_be_visible()
    screenshot(page, "no-javascript-pickup-code")
