"""A shop's banner, apart from its logo: uploaded from the shop's settings page through the image pipeline,
shown across the top of the shop's page (the logo beside the name), in the API, and logged for the
association; without a banner the page keeps showing the logo in its place."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from shopapp.catalog.models import Shop, ShopChange
from shopapp.extensions import db
from tests.catalog.test_shop_logo import SETTINGS, _upload, shops  # noqa: F401 - fixture reused as it is
from tests.conftest import text_of
from tests.support.images import BAD_UPLOADS, media_files, png

BANNER = "/ma-boutique/boutique-a/banniere"


def _paths(app, shop_id):  # type: ignore[no-untyped-def]
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        return shop.logo_path, shop.banner_path


def test_a_banner_apart_from_the_logo_on_the_shop_page_and_the_api(app, client, auth, shops):  # noqa: F811
    shop_a, _shop_b = shops
    auth.login("alice@example.org")
    assert _upload(client, SETTINGS, SETTINGS, png(400, 400)).status_code == 302
    logo, _none = _paths(app, shop_a)
    logo_only = text_of(client.get("/boutiques/boutique-a"))

    settings = text_of(client.get(SETTINGS))
    response = _upload(client, SETTINGS, BANNER, png(1600, 800), field="banner")

    assert '<label for="banner">' in settings and "Pas encore de bannière" in settings
    assert f'class="shop-banner" src="/media/{logo}-200.jpg" alt="Logo de Boutique A"' in logo_only
    assert response.status_code == 302
    same_logo, banner = _paths(app, shop_a)
    assert same_logo == logo and banner.startswith("shops/") and banner != logo
    assert Image.open(io.BytesIO(client.get(f"/media/{banner}-1200.jpg").data)).size == (1200, 600)
    page = text_of(client.get("/boutiques/boutique-a"))
    assert f'class="shop-banner" src="/media/{banner}-400.jpg" alt="Bannière de Boutique A"' in page
    assert f'class="shop-logo" src="/media/{logo}-200.jpg" alt="Logo de Boutique A"' in page
    api = client.get("/api/v1/merchants/boutique-a").json
    assert (api["banner_url"], api["logo_url"]) == (f"/media/{banner}-400.jpg", f"/media/{logo}-400.jpg")
    with app.app_context():
        fields = list(db.session.scalars(select(ShopChange.field).where(ShopChange.shop_id == shop_a)
                                         .order_by(ShopChange.id)))
    assert fields == ["logo", "banner"]


def test_a_bad_banner_is_refused_in_french_and_nothing_changes(app, client, auth, shops):  # noqa: F811
    shop_a, _shop_b = shops
    auth.login("alice@example.org")
    _name, data, message = BAD_UPLOADS[0]
    files = media_files(app.instance_path)

    response = _upload(client, SETTINGS, BANNER, data, field="banner")

    assert response.status_code == 422
    assert f'<p class="error" id="banner-error"><span aria-hidden="true">⚠ </span>{message}</p>' in text_of(response)
    assert _paths(app, shop_a) == (None, None)
    assert media_files(app.instance_path) == files


def test_another_shops_banner_is_out_of_reach(app, client, auth, shops):  # noqa: F811
    _shop_a, shop_b = shops
    auth.login("alice@example.org")

    response = _upload(client, SETTINGS, "/ma-boutique/boutique-b/banniere", png(), field="banner")

    assert response.status_code == 404
    assert _paths(app, shop_b) == (None, None)
