"""Signing up or logging in sends the resident back to where they were (the checkout, a page), never to
another site."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token, text_of
from tests.orders.conftest import world  # noqa: F401 - fixture reused as it is

SIGNUP = {"name": "Louise Petit", "email": "louise@example.org", "password": "motdepasse1",
          "confirm": "motdepasse1"}


def _add(client, product_id):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/panier")
    return client.post("/panier/ajouter", data={"csrf_token": token, "product_id": product_id, "quantity": 1})


def _href(page: str, text: str) -> str:
    return re.search(r'<a (?:class="[^"]*" )?href="([^"]+)"[^>]*>' + re.escape(text) + "</a>", page).group(1)


def test_signing_up_from_the_checkout_returns_to_the_checkout(client, world):  # noqa: F811
    bread = world.product(world.shop())
    world.slot(hours_from_now=50)
    assert _add(client, bread).status_code == 302

    to_login = client.get("/commande")
    assert to_login.status_code == 302 and to_login.headers["Location"] == "/connexion?next=/commande"
    login_page = text_of(client.get(to_login.headers["Location"]))
    signup_link = _href(login_page, "Créer un compte")
    assert signup_link == "/inscription?next=/commande"
    token = csrf_token(client, signup_link)
    signed_up = client.post(signup_link, data={**SIGNUP, "csrf_token": token, "next": "/commande"})

    assert signed_up.status_code == 302 and signed_up.headers["Location"] == "/commande"
    checkout = client.get("/commande")
    assert checkout.status_code == 200 and "Confirmer la commande" in text_of(checkout)


def test_the_sign_up_page_keeps_where_to_return_in_its_form_and_log_in_link(client):
    page = text_of(client.get("/inscription?next=/commande"))

    assert 'name="next" type="hidden" value="/commande"' in page
    assert _href(page, "Se connecter") == "/connexion?next=/commande"


def test_logging_in_from_a_page_header_returns_to_that_page(client, make_user):
    make_user(email="res@example.org")
    link = _href(text_of(client.get("/accessibilite")), "Se connecter")
    assert link == "/connexion?next=/accessibilite"

    token = csrf_token(client, link)
    response = client.post(link, data={"email": "res@example.org", "password": "motdepasse1",
                                       "csrf_token": token, "next": "/accessibilite"})

    assert response.status_code == 302 and response.headers["Location"] == "/accessibilite"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example", ""])
def test_signing_up_never_sends_the_browser_to_another_site(client, target):
    token = csrf_token(client, "/inscription")

    response = client.post("/inscription", data={**SIGNUP, "csrf_token": token, "next": target})

    assert response.status_code == 302 and response.headers["Location"] == "/"
