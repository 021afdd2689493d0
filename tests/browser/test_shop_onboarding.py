"""A shop applies, the association approves it, the invited owner sets a password and adds a first product."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from shopapp.accounts.services import register_user
from shopapp.catalog.models import Product
from shopapp.core.outbox import OutboxJob
from shopapp.core.transaction import commit
from shopapp.extensions import db
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def _admin(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        register_user("admin@example.org", "motdepasse1", "Alice Admin", roles=("admin",), send_welcome=False)
        commit()


def _deliver_invitation(app, mail_outbox) -> str:  # type: ignore[no-untyped-def]
    """Run the invitation job through its real task, then read the link from the e-mail written."""
    with app.app_context():
        job = db.session.scalar(select(OutboxJob).where(OutboxJob.task_name == "association.send_invitation"))
        kwargs = {**job.payload, "outbox_job_id": job.id}
        db.session.remove()
    app.extensions["celery"].tasks["association.send_invitation"].apply(kwargs=kwargs).get()
    (message,) = mail_outbox()
    match = re.search(r"https?://[^/\s]+(/invitation/\S+)", message.get_body(("plain",)).get_content())
    assert match
    return match.group(1)


def test_a_shop_applies_is_approved_and_its_owner_sets_a_password_and_adds_a_product(app, live_server, page,
                                                                                     mail_outbox):
    _admin(app)

    # The shop applies from the footer link.
    page.goto(live_server + "/")
    page.get_by_role("link", name="Rejoindre la plateforme").click()
    page.get_by_label("Nom de la boutique").fill("Fromagerie Lucas")
    page.get_by_label("Métier").fill("Fromagerie")
    page.get_by_label("Adresse de la boutique").fill("12 rue des Halles")
    page.get_by_label("Numéro SIRET").fill("732 829 320 00074")
    page.get_by_label("Ce que vous vendez").fill("Fromages affinés sur place")
    page.get_by_label("Nom de la personne à contacter").fill("Lucas Martin")
    page.get_by_label("Adresse e-mail").fill("lucas@example.org")
    page.get_by_label("Téléphone").fill("06 12 34 56 78")
    page.get_by_role("button", name="Envoyer ma candidature").click()
    expect(page.get_by_role("heading", name="Merci, votre candidature est envoyée")).to_be_visible()

    # The association approves it.
    page.goto(live_server + "/connexion")
    page.get_by_label("Adresse e-mail").fill("admin@example.org")
    page.get_by_label("Mot de passe").fill("motdepasse1")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Association").click()
    page.get_by_role("link", name="Fromagerie Lucas").click()
    page.get_by_role("button", name="Accepter et inviter le commerce").click()
    expect(page.get_by_text("la boutique Fromagerie Lucas est créée")).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()

    # The owner opens the invitation, chooses a password and lands in the back-office, logged in.
    page.goto(live_server + _deliver_invitation(app, mail_outbox))
    page.get_by_label("Choisissez un mot de passe").fill("fromage2024")
    page.get_by_label("Confirmez le mot de passe").fill("fromage2024")
    page.get_by_role("button", name="Enregistrer et entrer").click()
    expect(page.get_by_text("Bienvenue Lucas Martin")).to_be_visible()
    expect(page.get_by_role("link", name="Mon compte")).to_be_visible()

    # First product, in the catalog's back-office.
    page.get_by_role("link", name="Nouveau produit").click()
    page.get_by_label("Référence (SKU)").fill("COMTE-18")
    page.get_by_label("Nom du produit").fill("Comté 18 mois")
    page.get_by_label("Prix TTC en euros").fill("4,50")
    page.get_by_role("button", name="Enregistrer").first.click()
    expect(page.get_by_text("Le produit « Comté 18 mois » est créé.")).to_be_visible()
    screenshot(page, "shop-onboarding-first-product")
    with app.app_context():
        product = db.session.scalar(select(Product))
        assert (product.name, product.price_cents, product.shop.slug) == ("Comté 18 mois", 450, "fromagerie-lucas")
