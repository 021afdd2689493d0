"""The shopkeeper's back-office pages: products, stock, low-stock list; only their own shop."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token, text_of


@pytest.fixture
def shops(catalog, make_user):  # type: ignore[no-untyped-def]
    catalog.category("pains", "Pains")
    alice = make_user(email="alice@example.org", roles=("shopkeeper",))
    bruno = make_user(email="bruno@example.org", roles=("shopkeeper",))
    shop_a = catalog.shop("boutique-a", "Boutique A", staff=(alice,))
    shop_b = catalog.shop("boutique-b", "Boutique B", staff=(bruno,))
    return {"a": shop_a, "b": shop_b,
            "pa": catalog.product(shop_a, "A-1", "Pain A", stock=2, threshold=3, category="pains"),
            "pb": catalog.product(shop_b, "B-1", "Pain B", stock=7, category="pains")}


def _form(**overrides: str) -> dict[str, str]:
    data = {"sku": "A-2", "name": "Pain complet", "price": "3,80", "unit": "pièce", "category": "pains",
            "vat_rate_bp": "550", "description": "", "labels": "bio, local", "allergens": "gluten",
            "low_stock_threshold": "2", "stock": "6", "is_active": "y"}
    data.update(overrides)
    return data


def test_dashboard_redirects_to_the_only_shop(client, auth, shops):
    auth.login("alice@example.org")

    response = client.get("/ma-boutique")

    assert response.status_code == 302 and response.headers["Location"].endswith("/ma-boutique/boutique-a/produits")
    html = text_of(client.get("/ma-boutique/boutique-a/produits"))
    assert "Pain A" in html and "Pain B" not in html and "1 produit en stock bas" in html


def test_create_product_through_the_form(app, client, auth, catalog, shops):
    auth.login("alice@example.org")
    data = _form(csrf_token=csrf_token(client, "/ma-boutique/boutique-a/produits/nouveau"))

    response = client.post("/ma-boutique/boutique-a/produits/nouveau", data=data)

    assert response.status_code == 302
    created = next(row for row in catalog.snapshot() if row[2] == "A-2")
    assert (created[3], created[4], created[9], created[11]) == ("Pain complet", 380, ("bio", "local"), 6)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("price", "3,805", "Prix invalide"),
    ("price", "gratuit", "Prix invalide"),
    ("sku", "A-1", "Référence déjà utilisée."),
    ("name", "", "Ce champ est obligatoire."),
])
def test_invalid_form_rerenders_422_in_french_and_changes_nothing(client, auth, catalog, shops, field, value,
                                                                   message):
    auth.login("alice@example.org")
    before = catalog.snapshot()
    data = _form(**{field: value}, csrf_token=csrf_token(client, "/ma-boutique/boutique-a/produits/nouveau"))

    response = client.post("/ma-boutique/boutique-a/produits/nouveau", data=data)

    assert response.status_code == 422
    assert message in text_of(response) and "Le formulaire contient des erreurs" in text_of(response)
    assert catalog.snapshot() == before


def test_edit_and_deactivate(client, auth, catalog, shops):
    auth.login("alice@example.org")
    page = f"/ma-boutique/boutique-a/produits/{shops['pa']}"
    token = csrf_token(client, page)

    edited = client.post(page, data=_form(sku="A-1", name="Pain A modifié", price="4,10", csrf_token=token))
    toggled = client.post(f"{page}/activation", data={"csrf_token": token, "active": "0"})

    assert edited.status_code == 302 and toggled.status_code == 302
    row = next(r for r in catalog.snapshot() if r[0] == shops["pa"])
    assert (row[3], row[4], row[6], row[11]) == ("Pain A modifié", 410, False, 2)


def test_stock_adjustment_is_logged_and_never_negative(client, auth, catalog, shops):
    auth.login("alice@example.org")
    page = f"/ma-boutique/boutique-a/produits/{shops['pa']}"
    token = csrf_token(client, page)

    added = client.post(f"{page}/stock", data={"delta": "5", "reason": "livraison", "csrf_token": token})
    refused = client.post(f"{page}/stock", data={"delta": "-8", "reason": "casse", "csrf_token": token})

    assert added.status_code == 302
    assert refused.status_code == 422 and "ne peut pas descendre sous zéro" in text_of(refused)
    assert catalog.stock(shops["pa"]) == (7, 0)
    assert catalog.movements(shops["pa"]) == [(shops["pa"], 2, "stock initial"), (shops["pa"], 5, "livraison")]


def test_low_stock_list(client, auth, shops):
    auth.login("alice@example.org")

    html = text_of(client.get("/ma-boutique/boutique-a/stock-bas"))

    assert "Pain A" in html and "Pain B" not in html


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/ma-boutique/boutique-b/produits"),
    ("get", "/ma-boutique/boutique-b/produits/{pb}"),
    ("get", "/ma-boutique/boutique-a/produits/{pb}"),
    ("post", "/ma-boutique/boutique-a/produits/{pb}"),
    ("post", "/ma-boutique/boutique-a/produits/{pb}/stock"),
    ("post", "/ma-boutique/boutique-b/produits/{pb}/stock"),
    ("post", "/ma-boutique/boutique-a/produits/{pb}/activation"),
    ("post", "/ma-boutique/boutique-a/produits/{pb}/photo"),
    ("get", "/ma-boutique/boutique-b/stock-bas"),
    ("get", "/ma-boutique/boutique-b/import"),
    ("get", "/ma-boutique/boutique-b/jetons"),
])
def test_shopkeeper_of_a_gets_404_on_shop_b_pages(client, auth, catalog, shops, method, path):
    auth.login("alice@example.org")
    token = csrf_token(client, "/ma-boutique/boutique-a/produits/nouveau")
    before = catalog.snapshot()

    response = getattr(client, method)(path.format(pb=shops["pb"]), data={
        "csrf_token": token, "delta": "-7", "reason": "vol", "active": "0", **_form(sku="B-1", price="0,01")})

    assert response.status_code == 404
    assert catalog.snapshot() == before
    assert catalog.movements(shops["pb"]) == [(shops["pb"], 7, "stock initial")]


def test_residents_cannot_open_the_back_office(client, auth, make_user, shops):
    make_user(email="rita@example.org")
    auth.login("rita@example.org")

    assert client.get("/ma-boutique/boutique-a/produits").status_code == 403
