"""Shop logos: uploaded from the shopkeeper's settings page or the association's shop page, checked by
content through the catalog's image pipeline, shown on the shop's page, the home page and in the API."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from shopapp.catalog.models import Shop
from shopapp.extensions import db
from tests.conftest import csrf_token, text_of
from tests.support.images import BAD_UPLOADS, media_files, png

SETTINGS = "/ma-boutique/boutique-a/reglages"


@pytest.fixture
def shops(catalog, make_user):  # type: ignore[no-untyped-def]
    alice = make_user(email="alice@example.org", roles=("shopkeeper",))
    bob = make_user(email="bob@example.org", roles=("shopkeeper",))
    return catalog.shop("boutique-a", "Boutique A", staff=(alice,)), catalog.shop(
        "boutique-b", "Boutique B", staff=(bob,)
    )


def _logo(app, shop_id):  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.get(Shop, shop_id).logo_path


def _upload(client, page, action, data, field="logo"):  # type: ignore[no-untyped-def]
    return client.post(
        action,
        content_type="multipart/form-data",
        data={"csrf_token": csrf_token(client, page), field: (io.BytesIO(data), "logo.txt")},
    )


def test_shopkeeper_uploads_a_logo_shown_on_the_shop_page_the_home_page_and_the_api(app, client, auth, shops):
    shop_a, _shop_b = shops
    auth.login("alice@example.org")

    page = client.get(SETTINGS)
    response = _upload(client, SETTINGS, SETTINGS, png(400, 200))

    assert page.status_code == 200 and '<label for="logo">' in text_of(page)
    assert response.status_code == 302
    logo = _logo(app, shop_a)
    assert logo.startswith("shops/")
    served = client.get(f"/media/{logo}-200.jpg")
    assert served.status_code == 200 and served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert Image.open(io.BytesIO(served.data)).size == (200, 100)
    img = f'src="/media/{logo}-200.jpg" alt="Logo de Boutique A"'
    assert img in text_of(client.get("/boutiques/boutique-a"))
    assert img in text_of(client.get("/"))
    assert client.get("/api/v1/merchants/boutique-a").json["logo_url"] == f"/media/{logo}-400.jpg"
    assert f'src="/media/{logo}-200.jpg" alt="Logo actuel de Boutique A"' in text_of(client.get(SETTINGS))


@pytest.mark.parametrize(("data", "message"), [case[1:] for case in BAD_UPLOADS], ids=[c[0] for c in BAD_UPLOADS])
def test_a_bad_logo_is_refused_with_a_french_message_and_nothing_changes(app, client, auth, shops, data, message):
    shop_a, _shop_b = shops
    auth.login("alice@example.org")
    assert _upload(client, SETTINGS, SETTINGS, png()).status_code == 302
    before, files = _logo(app, shop_a), media_files(app.instance_path)

    response = _upload(client, SETTINGS, SETTINGS, data)

    html = text_of(response)
    assert response.status_code == 422
    assert f'<p class="error" id="logo-error"><span aria-hidden="true">⚠ </span>{message}</p>' in html
    assert f'<a href="#logo">Logo (JPEG, PNG ou WebP) : {message}</a>' in html
    assert 'aria-describedby="logo-hint logo-error" aria-invalid="true" id="logo"' in html
    assert _logo(app, shop_a) == before
    assert media_files(app.instance_path) == files


def test_a_shopkeeper_cannot_see_or_change_another_shops_logo(app, client, auth, shops):
    _shop_a, shop_b = shops
    auth.login("alice@example.org")
    token = csrf_token(client, SETTINGS)

    page = client.get("/ma-boutique/boutique-b/reglages")
    post = client.post(
        "/ma-boutique/boutique-b/reglages",
        content_type="multipart/form-data",
        data={"csrf_token": token, "logo": (io.BytesIO(png()), "logo.png")},
    )

    assert page.status_code == 404 and post.status_code == 404
    assert _logo(app, shop_b) is None


def test_the_association_sets_a_shops_logo_from_its_shop_page(app, client, auth, shops, make_user):
    shop_a, _shop_b = shops
    make_user(email="admin@example.org", roles=("admin",))
    auth.login("admin@example.org")
    page = "/association/boutiques/boutique-a"
    action = f"{page}/logo"

    refused = _upload(client, page, action, BAD_UPLOADS[0][1], field="logo-logo")
    accepted = _upload(client, page, action, png(), field="logo-logo")

    assert refused.status_code == 422
    assert f'id="logo-logo-error"><span aria-hidden="true">⚠ </span>{BAD_UPLOADS[0][2]}</p>' in text_of(refused)
    assert accepted.status_code == 302
    assert _logo(app, shop_a).startswith("shops/")


def test_only_admins_reach_the_association_logo_upload(app, client, auth, shops):
    auth.login("alice@example.org")
    token = csrf_token(client, SETTINGS)

    response = client.post(
        "/association/boutiques/boutique-a/logo",
        content_type="multipart/form-data",
        data={"csrf_token": token, "logo-logo": (io.BytesIO(png()), "logo.png")},
    )

    assert response.status_code == 403
    assert _logo(app, shops[0]) is None


def test_the_back_office_links_to_the_animation_proposals_and_the_settings(client, auth, shops):
    auth.login("alice@example.org")

    products = text_of(client.get("/ma-boutique/boutique-a/produits"))
    proposals = text_of(client.get("/boutique/animations?shop=boutique-a"))

    assert '<a href="/boutique/animations?shop=boutique-a" >Animations</a>' in products
    assert f'<a href="{SETTINGS}" >Réglages</a>' in products
    assert '<a href="/boutique/animations?shop=boutique-a" aria-current="page">Animations</a>' in proposals
