"""A new resident signs up, logs out, logs back in and sees the shops, in a real Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shopapp.catalog.models import Shop
from shopapp.extensions import db
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def _shops(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.add_all([
            Shop(slug="fromagerie-lucas", name="Fromagerie Lucas", trade="Fromagerie", status="approved",
                 description="Plus de 80 fromages affinés sur place."),
            Shop(slug="boulangerie-aurore", name="Boulangerie Aurore", trade="Boulangerie", status="approved"),
        ])
        db.session.commit()


def test_sign_up_log_in_and_see_the_shops(app, live_server, page):
    _shops(app)

    page.goto(live_server + "/")
    page.get_by_role("link", name="Créer un compte").click()
    page.get_by_label("Votre nom").fill("Suzanne Morel")
    page.get_by_label("Adresse e-mail").fill("suzanne@example.org")
    page.get_by_label("Mot de passe", exact=True).fill("motdepasse1")
    page.get_by_label("Confirmez le mot de passe").fill("motdepasse1")
    page.get_by_role("button", name="Créer mon compte").click()

    expect(page.get_by_text("Bienvenue Suzanne Morel")).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_role("link", name="Se connecter").click()
    page.get_by_label("Adresse e-mail").fill("suzanne@example.org")
    page.get_by_label("Mot de passe").fill("motdepasse1")
    page.get_by_role("button", name="Se connecter").click()

    expect(page.get_by_role("link", name="Mon compte")).to_be_visible()
    shops = page.get_by_role("heading", level=3).all_inner_texts()
    assert "Fromagerie Lucas" in shops and "Boulangerie Aurore" in shops
    screenshot(page, "home-360-after-login")


def test_signup_errors_are_shown_next_to_fields_and_summarised(live_server, page):
    page.goto(live_server + "/inscription")

    page.get_by_role("button", name="Créer mon compte").click()

    summary = page.get_by_role("alert")
    assert "Le formulaire contient des erreurs" in summary.inner_text()
    assert page.get_by_label("Votre nom").get_attribute("aria-invalid") == "true"
