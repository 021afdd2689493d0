"""A shop edits its own details once approved (preparation time, opening days, description, address):
the form checks them with French messages, every change is logged and shown to the association, and a
shopkeeper cannot touch another shop. The team page is in the back-office menu of the shop's owner."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shopapp.catalog.models import Shop, ShopChange
from shopapp.extensions import db
from tests.conftest import Auth, csrf_token, text_of

SETTINGS = "/ma-boutique/boutique-a/reglages"
DETAILS = "/ma-boutique/boutique-a/fiche"
GOOD = {"preparation_minutes": "90", "opening_days": ["2", "3", "4", "5", "6"], "description": "Pain au levain.",
        "address": "4 rue du Four"}


@pytest.fixture
def shops(catalog, make_user):  # type: ignore[no-untyped-def]
    alice = make_user(email="alice@example.org", name="Alice", roles=("shopkeeper",))
    bob = make_user(email="bob@example.org", roles=("shopkeeper",))
    return catalog.shop("boutique-a", "Boutique A", staff=(alice,)), catalog.shop(
        "boutique-b", "Boutique B", staff=(bob,)
    )


def _details(app, shop_id):  # type: ignore[no-untyped-def]
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        return shop.preparation_minutes, shop.opening_days, shop.description, shop.address


def _changes(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(ShopChange.field, ShopChange.old_value, ShopChange.new_value).order_by(ShopChange.id))]


def test_a_shopkeeper_edits_the_shop_and_the_association_sees_the_changes(app, client, auth, shops, make_user):
    shop_a, _ = shops
    auth.login("alice@example.org")

    page = client.get(SETTINGS)
    saved = client.post(DETAILS, data={**GOOD, "csrf_token": csrf_token(client, SETTINGS)})
    again = client.post(DETAILS, data={**GOOD, "csrf_token": csrf_token(client, SETTINGS)})

    assert page.status_code == 200 and "<legend>Jours où la boutique prépare les commandes</legend>" in text_of(page)
    assert saved.status_code == 302 and again.status_code == 302
    assert _details(app, shop_a) == (90, [2, 3, 4, 5, 6], "Pain au levain.", "4 rue du Four")
    assert _changes(app) == [("preparation_minutes", "120", "90"), ("opening_days", "", "2,3,4,5,6"),
                             ("description", "", "Pain au levain."), ("address", "", "4 rue du Four")]
    make_user(email="admin@example.org", roles=("admin",))
    admin = app.test_client()
    Auth(admin).login("admin@example.org")
    association_page = text_of(admin.get("/association/boutiques/boutique-a"))
    assert "Derniers changements de la fiche" in association_page
    assert "120 → 90" in association_page and "Alice" in association_page


@pytest.mark.parametrize(("changes", "message"), [
    ({"preparation_minutes": "5"}, "Entre 15 et 2880 minutes."),
    ({"preparation_minutes": "3000"}, "Entre 15 et 2880 minutes."),
    ({"preparation_minutes": "vite"}, "pas un entier valide"),
    ({"opening_days": []}, "Cochez au moins un jour où la boutique prépare les commandes."),
    ({"opening_days": ["8"]}, "pas un choix valide"),
    ({"address": ""}, "Ce champ est obligatoire."),
])
def test_the_form_refuses_bad_details_in_french(app, client, auth, shops, changes, message):
    shop_a, _ = shops
    auth.login("alice@example.org")

    response = client.post(DETAILS, data={**GOOD, **changes, "csrf_token": csrf_token(client, SETTINGS)})

    assert response.status_code == 422
    assert message in text_of(response)
    assert _details(app, shop_a) == (120, [], "", "")
    assert _changes(app) == []


def test_a_shopkeeper_cannot_edit_another_shop(app, client, auth, shops):
    _, shop_b = shops
    auth.login("alice@example.org")

    response = client.post("/ma-boutique/boutique-b/fiche", data={**GOOD, "csrf_token": csrf_token(client, SETTINGS)})

    assert response.status_code == 404
    assert _details(app, shop_b) == (120, [], "", "")
    assert _changes(app) == []


def test_a_shop_waiting_for_approval_cannot_edit_its_details(app, client, auth, catalog, make_user):
    carl = make_user(email="carl@example.org", roles=("shopkeeper",))
    catalog.shop("boutique-c", "Boutique C", status="pending", staff=(carl,))
    auth.login("carl@example.org")

    page = client.get("/ma-boutique/boutique-c/reglages")
    response = client.post("/ma-boutique/boutique-c/fiche",
                           data={**GOOD, "csrf_token": csrf_token(client, "/ma-boutique/boutique-c/reglages")})

    assert "Fiche de la boutique" not in text_of(page)
    assert response.status_code == 403
    assert _changes(app) == []


def test_the_team_page_is_in_the_owners_back_office_menu(app, client, auth, shops, make_user):
    auth.login("alice@example.org")

    assert 'href="/boutique/equipe?shop=boutique-a"' in text_of(client.get(SETTINGS))
