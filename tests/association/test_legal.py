"""The legal pages: shown to everyone with sensible defaults, edited by the association only, rendered
safely (no HTML from the database), linked from every page's footer and from the checkout's terms box."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from shopapp.association import legal
from shopapp.association.models import LegalText, SettingChange
from shopapp.extensions import db
from shopapp.venue.models import Venue
from tests.association.conftest import post
from tests.conftest import text_of
from tests.orders.conftest import world  # noqa: F401 - fixture reused as it is
from tests.orders.services import fill_basket

EDIT = "/association/reglages/informations-legales"
PAGES = {"/cgv": "Conditions générales de vente", "/mentions-legales": "Mentions légales",
         "/confidentialite": "Confidentialité et cookies"}


@pytest.fixture
def venue(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        place = Venue(name="La Halle Commune", town="Saint-Aubin", address="3 place de la Halle")
        db.session.add(place)
        db.session.commit()
        return place.id


def _texts(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return {row.key: row.body for row in db.session.scalars(select(LegalText))}


@pytest.mark.parametrize(("path", "title"), PAGES.items())
def test_default_pages_are_public_and_name_the_association(client, venue, path, title):
    response = client.get(path)

    page = text_of(response)
    assert response.status_code == 200
    assert f"<h1>{title}</h1>" in page
    assert "Saint-Aubin" in page or "La Halle Commune" in page


def test_default_texts_say_what_the_law_asks(client, venue):
    cgv, mentions, privacy = (text_of(client.get(path)) for path in PAGES)

    assert "L221-28" in cgv and "périssables" in cgv and "TTC" in cgv
    assert "<h2>Droit de rétractation</h2>" in cgv
    assert "association des commerçants de Saint-Aubin" in mentions
    assert "La Halle Commune, 3 place de la Halle" in mentions
    assert "<h2>Hébergement</h2>" in mentions
    assert "supprimez votre compte" in privacy and "RGPD" in privacy
    assert "que les cookies nécessaires" in privacy


def test_every_page_footer_links_the_legal_pages(client, venue):
    footer = text_of(client.get("/")).split('<footer', 1)[1]

    for path, title in PAGES.items():
        assert f'<a href="{path}">{title}</a>' in footer


def test_checkout_terms_checkbox_links_to_the_cgv(app, client, auth, world, make_user):  # noqa: F811
    shop = world.shop()
    bread = world.product(shop)
    world.slot(hours_from_now=50)
    user = make_user(email="res@example.org")
    fill_basket(app, user, (bread, 1))
    auth.login("res@example.org")

    page = text_of(client.get("/commande"))

    terms = page[page.index('name="accept_terms"'):]
    assert re.search(r'<a href="/cgv"[^>]*>Lire les conditions générales de vente', terms)
    assert 'aria-describedby="terms-link"' in page


def test_the_association_edits_a_text_and_the_page_shows_it_escaped(app, client, admin, venue):
    form = client.get(EDIT)
    assert form.status_code == 200
    assert "L221-28" in text_of(form)  # the default is there to be edited

    body = "## Notre hébergeur\n\nHéberg'Ouest SARL\n12 quai des Serveurs\n\n<script>alert(1)</script> **gras**"
    defaults = {key: legal_default(app, key) for key in ("cgv", "privacy")}
    response = post(client, EDIT, {**defaults, "mentions": body}, EDIT)

    assert response.status_code == 302
    assert _texts(app) == {"mentions": body}
    page = client.get("/mentions-legales").get_data(as_text=True)
    assert "<h2>Notre hébergeur</h2>" in page
    assert "<p>Héberg&#39;Ouest SARL<br>\n12 quai des Serveurs</p>" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; **gras**" in page
    with app.app_context():
        changes = db.session.execute(select(SettingChange.key, SettingChange.old_value, SettingChange.new_value,
                                            SettingChange.actor_id)).all()
    assert [tuple(c) for c in changes] == [("legal.mentions", "", body, admin)]


def test_an_emptied_text_brings_back_the_default(app, client, admin, venue):
    post(client, EDIT, {"cgv": "Nos conditions.", "mentions": "", "privacy": ""}, EDIT)
    assert "Nos conditions." in text_of(client.get("/cgv"))

    post(client, EDIT, {"cgv": "", "mentions": "", "privacy": ""}, EDIT)

    assert _texts(app) == {"cgv": ""}
    assert "L221-28" in text_of(client.get("/cgv"))


def test_a_text_too_long_is_refused_in_french(app, client, admin, venue):
    response = post(client, EDIT, {"cgv": "x" * 30001, "mentions": "", "privacy": ""}, EDIT)

    assert response.status_code == 422
    assert "30 000 caractères au plus." in text_of(response)
    assert _texts(app) == {}


@pytest.mark.parametrize("role", ["resident", "shopkeeper", "venue"])
def test_only_admins_edit_the_legal_texts(client, auth, make_user, venue, role):
    make_user(email=f"{role}@example.org", roles=(role,))
    auth.login(f"{role}@example.org")

    assert client.get(EDIT).status_code == 403
    assert post(client, EDIT, {"cgv": "Rien."}).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, venue):
    response = client.get(EDIT)

    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")


def test_render_keeps_paragraphs_and_headings_only():
    html = str(legal.render("## Titre <b>\n\nUn\r\ndeux\n\n\n\n## pas un titre\nsuite"))

    assert html == ("<h2>Titre &lt;b&gt;</h2>\n<p>Un<br>\ndeux</p>\n<p>## pas un titre<br>\nsuite</p>")


def legal_default(app, key: str) -> str:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        return legal.default_text(key)
