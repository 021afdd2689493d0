"""Pictures: every demo product and shop gets an illustration through the image pipeline, lists show
4:3 thumbnails with srcset, and the back-office counts the products that still lack a photo."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from shopapp.catalog import images
from shopapp.catalog.models import Product, Shop
from shopapp.core.transaction import commit
from shopapp.dev.pictures import draw_product, seed_pictures
from shopapp.dev.seed import seed_demo
from shopapp.extensions import db
from tests.conftest import text_of


def test_every_demo_product_and_shop_has_a_picture_after_the_seed(app, client):
    with app.app_context():
        seed_demo()
        made = seed_pictures()
        commit()
        again = seed_pictures()
        products = db.session.scalars(select(Product)).all()
        shops = db.session.scalars(select(Shop)).all()
        files = [images.media_root() / f"{p.image_path}-{size}.jpg" for p in products for size in images.SIZES]
        files += [images.media_root() / f"{s.logo_path}-400.jpg" for s in shops]
        slug, product_id = shops[0].slug, products[0].id

    assert made == len(products) + len(shops) and again == 0
    assert all(p.image_path for p in products) and all(s.logo_path for s in shops)
    assert all(path.is_file() for path in files)
    with Image.open(files[1]) as thumb:
        assert thumb.size == (400, 300)
    shop_page = client.get(f"/boutiques/{slug}").get_data(as_text=True)
    assert 'class="shop-banner"' in shop_page and "placeholder.svg" not in shop_page
    assert 'srcset="/media/products/' in shop_page and 'width="400" height="300"' in shop_page
    assert client.get(f"/produits/{product_id}").status_code == 200


def test_an_illustration_is_a_4_3_image_the_pipeline_accepts():
    with Image.open(io.BytesIO(draw_product("Crème fraîche épaisse", "fromages-cremerie"))) as picture:
        assert picture.size == (1200, 900)
    with Image.open(io.BytesIO(draw_product("Objet sans catégorie", ""))) as picture:
        assert picture.format == "PNG"


def test_the_back_office_counts_the_products_without_a_photo(app, client, auth, catalog, make_user):
    alice = make_user(email="alice@example.org", roles=("shopkeeper",))
    shop = catalog.shop("boutique-a", "Boutique A", staff=(alice,))
    with_photo = catalog.product(shop, "A-1", "Pain A")
    catalog.product(shop, "A-2", "Pain B")
    catalog.product(shop, "A-3", "Pain C")
    catalog.product(shop, "A-4", "Pain retiré", active=False)
    other = catalog.shop("boutique-b", "Boutique B")
    catalog.product(other, "B-1", "Pain d'ailleurs")
    with app.app_context():
        db.session.get(Product, with_photo).image_path = "products/abc"
        commit()
    auth.login("alice@example.org")

    html = text_of(client.get("/ma-boutique/boutique-a/produits"))

    assert "2 produits en vente n'ont pas de photo" in html.replace("’", "'")
    assert html.count("sans photo") == 3  # the two on sale and the withdrawn one, marked in the table


def test_a_shop_with_every_photo_is_told_so(app, client, auth, catalog, make_user):
    alice = make_user(email="alice@example.org", roles=("shopkeeper",))
    shop = catalog.shop("boutique-a", "Boutique A", staff=(alice,))
    product_id = catalog.product(shop, "A-1", "Pain A")
    with app.app_context():
        db.session.get(Product, product_id).image_path = "products/abc"
        commit()
    auth.login("alice@example.org")

    html = text_of(client.get("/ma-boutique/boutique-a/produits"))

    assert "Tous vos produits en vente ont une photo." in html and "sans photo" not in html
