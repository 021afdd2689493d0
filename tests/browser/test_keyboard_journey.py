"""The resident journey by keyboard alone, with a visible focus at every step: log in, find products
of three shops, add them, choose a slot, accept the terms, check out, read the pickup code; then the
shop's preparation page and the venue desk, also by keyboard."""

from __future__ import annotations

import pytest

from tests.orders.conftest import World

pytestmark = pytest.mark.browser

FOCUS_STYLE = """() => { const s = getComputedStyle(document.activeElement);
  return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; }"""


def tab_to(page, matches: str, limit: int = 120) -> None:  # type: ignore[no-untyped-def]
    """Press Tab until the focused element satisfies the JS predicate `matches(el)`; its focus must show."""
    page.wait_for_load_state("load")
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!el && ({matches}); }}"):
            assert page.evaluate(FOCUS_STYLE), f"focus not visible on {matches}"
            return
    raise AssertionError(f"Tab never reached {matches}")


def follow(page, key: str = "Enter") -> None:  # type: ignore[no-untyped-def]
    """Activate the focused link or button with the keyboard and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)


def _log_in_by_keyboard(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/connexion")
    tab_to(page, "el.id === 'email'")
    page.keyboard.type(email)
    tab_to(page, "el.id === 'password'")
    page.keyboard.type("motdepasse1")
    follow(page)


def test_the_whole_journey_works_by_keyboard_alone(app, make_user, live_server, page):
    world = World(app, make_user)
    shops = [("Boulangerie Aurore", "baker@example.org", "Pain de campagne"),
             ("Fromagerie Lucas", "cheese@example.org", "Comté fruité"),
             ("Primeur des Halles", "greens@example.org", "Pommes reinettes")]
    for name, keeper, product in shops:
        world.product(world.shop(name, preparation_minutes=60, keeper=keeper), product, 450, stock=5)
    world.slot(hours_from_now=50)
    make_user(email="suzanne@example.org", name="Suzanne Morel")
    make_user(email="venue@example.org", name="Comptoir", roles=("venue",))

    _log_in_by_keyboard(page, live_server, "suzanne@example.org")
    for _shop, _keeper, product in shops:
        tab_to(page, "el.matches('nav a') && el.textContent.trim() === 'Produits'")
        follow(page)
        tab_to(page, "el.id === 'q'")
        page.keyboard.type(product.split()[0])
        follow(page)
        tab_to(page, f"el.tagName === 'BUTTON' && el.textContent.includes('Ajouter au panier') "
                     f"&& el.textContent.includes({product!r})")
        follow(page)
        page.get_by_text("Ajouté à votre panier.").wait_for()

    tab_to(page, "el.matches('nav a') && el.textContent.includes('Panier')")
    follow(page)
    tab_to(page, "el.tagName === 'A' && el.textContent.includes('Choisir un créneau et commander')")
    follow(page)
    tab_to(page, "el.name === 'slot_id'")
    page.keyboard.press("Space")
    tab_to(page, "el.type === 'checkbox' && el.name === 'accept_terms'")
    page.keyboard.press("Space")
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.includes('Confirmer la commande')")
    follow(page)

    code = page.locator("#pickup-code").inner_text().strip()
    assert len(code) == 6

    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.includes('Se déconnecter')")
    follow(page)
    _log_in_by_keyboard(page, live_server, "baker@example.org")
    tab_to(page, "el.matches('nav a') && el.textContent.trim() === 'Préparation'")
    follow(page)
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.includes('Commencer la préparation')")
    follow(page)
    page.get_by_text("Statut mis à jour.").wait_for()

    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.includes('Se déconnecter')")
    follow(page)
    page.set_viewport_size({"width": 1024, "height": 768})
    _log_in_by_keyboard(page, live_server, "venue@example.org")
    tab_to(page, "el.matches('nav a') && el.textContent.trim() === 'Comptoir'")
    follow(page)
    tab_to(page, "el.tagName === 'INPUT' && el.type !== 'hidden' && el.closest('form') "
                 "&& el.labels && el.labels.length && el.labels[0].textContent.includes('Code de retrait')")
    page.keyboard.type(code)
    follow(page)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Commande AMC-")
