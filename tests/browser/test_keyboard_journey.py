"""The resident journey by keyboard alone, with a visible focus at every step: log in, find products
of three shops, add them, choose a slot, join the tasting held during that slot, accept the terms, check
out, read the pickup code and find the tasting under "my animations"; then each shop's preparation page
(every step up to the drop at the venue) and the venue desk (find the order, take the payment, hand it
over, check the resident in for the tasting), also by keyboard.

Radio buttons are chosen as a keyboard user does: Tab into the group, arrow keys to the option.
"""

from __future__ import annotations

import pytest

from tests.animations.conftest import Animations
from tests.browser.conftest import screenshot
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


def _log_out_by_keyboard(page) -> None:  # type: ignore[no-untyped-def]
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.includes('Se déconnecter')")
    follow(page)


def _arrow_to_radio(page, name: str, label: str) -> None:  # type: ignore[no-untyped-def]
    """Tab into the radio group `name`, then arrow down to the option labelled `label`; its focus must show."""
    tab_to(page, f"el.type === 'radio' && el.name === {name!r}")
    for _ in range(10):
        if page.evaluate(f"() => document.activeElement.labels[0].textContent.includes({label!r})"):
            break
        page.keyboard.press("ArrowDown")
    else:
        raise AssertionError(f"no radio labelled {label!r} in {name}")
    page.keyboard.press("Space")
    assert page.evaluate("() => document.activeElement.checked")
    assert page.evaluate(FOCUS_STYLE), f"focus not visible on the radio {label!r}"


def test_the_whole_journey_works_by_keyboard_alone(app, make_user, live_server, page):
    from shopapp.extensions import db
    from shopapp.orders.models import PickupSlot

    world = World(app, make_user)
    shops = [
        ("Boulangerie Aurore", "baker@example.org", "Pain de campagne"),
        ("Fromagerie Lucas", "cheese@example.org", "Comté fruité"),
        ("Primeur des Halles", "greens@example.org", "Pommes reinettes"),
    ]
    shop_ids = []
    for name, keeper, product in shops:
        shop_ids.append(world.shop(name, preparation_minutes=60, keeper=keeper))
        world.product(shop_ids[-1], product, 450, stock=5)
    slot = world.slot(hours_from_now=50)
    with app.app_context():
        starts = db.session.get(PickupSlot, slot).starts_at
    tasting = Animations(app, world, make_user).make(
        "Dégustation de comtés", starts_at=starts, hours=1, shop_ids=(shop_ids[1],), capacity=8
    )
    make_user(email="suzanne@example.org", name="Suzanne Morel")  # venue@example.org comes with the tasting

    _log_in_by_keyboard(page, live_server, "suzanne@example.org")
    for _shop, _keeper, product in shops:
        tab_to(page, "el.matches('nav a') && el.textContent.trim() === 'Produits'")
        follow(page)
        tab_to(page, "el.id === 'q'")
        page.keyboard.type(product.split()[0])
        follow(page)
        tab_to(
            page,
            f"el.tagName === 'BUTTON' && el.textContent.includes('Ajouter au panier') "
            f"&& el.textContent.includes({product!r})",
        )
        page.keyboard.press("Enter")  # added in place: the page stays
        page.get_by_text("Ajouté à votre panier.").wait_for()

    tab_to(page, "el.matches('nav a') && el.textContent.includes('Panier')")
    follow(page)
    tab_to(page, "el.tagName === 'A' && el.textContent.includes('Choisir un créneau et commander')")
    follow(page)
    tab_to(page, "el.name === 'slot_id'")
    page.keyboard.press("Space")
    assert page.locator(f"#slot-{slot}").is_checked()
    tab_to(page, f"el.id === 'join-{slot}-{tasting}'")
    page.keyboard.press("Space")
    assert page.locator(f"#join-{slot}-{tasting}").is_checked()
    screenshot(page, "keyboard-checkout-join-tasting")
    _arrow_to_radio(page, "payment_method", "Au retrait")
    tab_to(page, "el.type === 'checkbox' && el.name === 'accept_terms'")
    page.keyboard.press("Space")
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.includes('Confirmer la commande')")
    follow(page)

    code = page.locator("#pickup-code").inner_text().strip()
    assert len(code) == 6

    tab_to(page, "el.matches('nav a') && el.textContent.trim() === 'Mon compte'")
    follow(page)
    tab_to(page, "el.tagName === 'A' && el.textContent.includes('Mes animations')")
    follow(page)
    joined = page.locator(".my-animations li").first.inner_text()
    assert "Dégustation de comtés" in joined and "Inscrit (1 place)" in joined

    _log_out_by_keyboard(page)
    for _name, keeper, _product in shops:
        _log_in_by_keyboard(page, live_server, keeper)
        tab_to(page, "el.matches('nav a') && el.textContent.trim() === 'Préparation'")
        follow(page)
        for step in ("Commencer la préparation", "Marquer prête", "Déposée à la Halle"):
            tab_to(page, f"el.tagName === 'BUTTON' && el.textContent.includes({step!r})")
            follow(page)
            page.get_by_text("Statut mis à jour.").wait_for()
        _log_out_by_keyboard(page)

    page.set_viewport_size({"width": 1024, "height": 768})  # the desk tablet
    _log_in_by_keyboard(page, live_server, "venue@example.org")
    tab_to(page, "el.matches('nav a') && el.textContent.trim() === 'Comptoir'")
    follow(page)
    tab_to(
        page,
        "el.tagName === 'INPUT' && el.type !== 'hidden' && el.closest('form') "
        "&& el.labels && el.labels.length && el.labels[0].textContent.includes('Code de retrait')",
    )
    page.keyboard.type(code)
    follow(page)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Commande AMC-")
    _arrow_to_radio(page, "paid_via", "Espèces")
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.includes('Remettre la commande')")
    follow(page)
    page.get_by_text("Commande remise. Bonne journée !").wait_for()
    assert page.locator(".order-status").inner_text() == "Retirée"

    tab_to(page, "el.type === 'checkbox' && el.name === 'registration_ids'")
    page.keyboard.press("Space")
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.includes('Enregistrer la présence')")
    follow(page)
    page.get_by_text("Présence enregistrée pour 1 inscription.").wait_for()
    assert "présent" in page.locator(".desk-checkin").inner_text()
