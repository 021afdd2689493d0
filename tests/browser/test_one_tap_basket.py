"""One-tap add to basket and product pictures in a real Chromium at 360 px: two products added from a
list without leaving it, a sold-out product that cannot be added, axe-core on the changed pages, and a
20-product shop that stays short on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shopapp.core.transaction import commit
from shopapp.dev.pictures import seed_pictures
from tests.browser.conftest import log_in, run_axe, screenshot, too_wide
from tests.orders.conftest import World

pytestmark = pytest.mark.browser
# Lazy images below the fold: load them all, so axe and the screenshot see the whole page.
LOAD_IMAGES = ("() => Promise.all([...document.images].map(i => { i.loading = 'eager'; "
               "return i.decode().catch(() => null); }))")


def _shop_with_products(app, make_user, count: int = 3):  # type: ignore[no-untyped-def]
    world = World(app, make_user)
    shop = world.shop("Boulangerie Aurore", keeper="baker@example.org")
    ids = {"Baguette": world.product(shop, "Baguette", 130, stock=30),
           "Paris-Brest": world.product(shop, "Paris-Brest", 420, stock=2),
           "Tarte au citron": world.product(shop, "Tarte au citron", 380, stock=0)}
    for n in range(count - 3):
        world.product(shop, f"Viennoiserie numéro {n + 1}", 150, stock=12)
    with app.app_context():
        seed_pictures()
        commit()
    return ids


def test_two_products_added_from_the_list_without_leaving_it(app, make_user, live_server, page):
    ids = _shop_with_products(app, make_user)
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(live_server + "/boutiques/shop-1")
    url = page.url
    assert page.context.cookies() == []  # a catalog page opens no session: the form gets its token when used

    page.get_by_role("button", name="Ajouter au panier : Baguette").click()
    expect(page.locator("[data-basket-count]")).to_have_text("1")
    assert [cookie["name"] for cookie in page.context.cookies()] == ["session"]
    page.get_by_role("button", name="Ajouter au panier : Paris-Brest").click()
    expect(page.locator("[data-basket-count]")).to_have_text("2")

    assert page.url == url
    expect(page.locator("[data-basket-status]")).to_have_text("Votre panier contient 2 articles.")
    expect(page.get_by_role("link", name="Panier 2 articles")).to_be_visible()
    screenshot(page, "shop-list-two-added-360")
    page.locator(f"#qty-{ids['Paris-Brest']}").fill("2")  # one is in the basket, only 2 in stock
    page.get_by_role("button", name="Ajouter au panier : Paris-Brest").click()
    expect(page.get_by_text("Il ne reste que 2 « Paris-Brest ».").first).to_be_visible()
    expect(page.locator("[data-basket-count]")).to_have_text("2")
    page.goto(live_server + "/panier")
    expect(page.get_by_role("heading", name="Boulangerie Aurore")).to_be_visible()


def test_a_sold_out_product_cannot_be_added_and_low_stock_is_capped(app, make_user, live_server, page):
    ids = _shop_with_products(app, make_user)
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(live_server + "/boutiques/shop-1")

    sold_out = page.get_by_role("button", name="Épuisé : Tarte au citron")
    expect(sold_out).to_be_disabled()
    expect(page.locator(f"#qty-{ids['Tarte au citron']}")).to_have_count(0)
    expect(page.locator(f"#qty-{ids['Paris-Brest']}")).to_have_attribute("max", "2")
    expect(page.get_by_text("Plus que 2")).to_be_visible()
    sold_out.click(force=True)  # a disabled button does nothing
    expect(page.locator("[data-basket-count]")).to_have_text("0")
    page.goto(live_server + f"/produits/{ids['Tarte au citron']}")
    expect(page.get_by_role("button", name="Épuisé : Tarte au citron")).to_be_disabled()


def test_changed_pages_pass_axe_and_a_twenty_product_shop_stays_short(app, make_user, live_server, page):
    ids = _shop_with_products(app, make_user, count=20)
    page.set_viewport_size({"width": 360, "height": 780})
    pages = [("shop", "/boutiques/shop-1"), ("products", "/produits"),
             ("product", f"/produits/{ids['Baguette']}")]
    problems = []
    for name, path in pages:
        page.goto(live_server + path)
        page.evaluate(LOAD_IMAGES)
        problems += [f"{path}: {v['id']} — {v['help']}" for v in run_axe(page)]
        screenshot(page, f"pictures-{name}-360")
        if name == "shop":
            height = page.evaluate("() => document.documentElement.scrollHeight")
            assert height < 6000, f"a 20-product shop is {height} px tall at 360 px"
            assert too_wide(page, "basket") == []
    log_in(page, live_server, "baker@example.org")
    page.goto(live_server + "/ma-boutique/shop-1/produits")
    expect(page.get_by_text("Tous vos produits en vente ont une photo.")).to_be_visible()
    problems += [f"back-office: {v['id']} — {v['help']}" for v in run_axe(page)]
    screenshot(page, "pictures-backoffice-360")

    assert problems == []
