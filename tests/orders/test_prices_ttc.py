"""Every price a resident reads says it includes taxes ("TTC"): product lists, product and shop pages,
basket, checkout, my orders and my order."""

from __future__ import annotations

import re

from tests.conftest import text_of
from tests.orders.services import checkout, fill_basket

PRICE = re.compile(r"\d+,\d\d\u00a0€")


def _untaxed(html: str) -> list[str]:
    """Each price in the page's main content that is not followed by "TTC" (with 20 characters around)."""
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    return [main[max(0, m.start() - 20):m.end() + 20] for m in PRICE.finditer(main)
            if not main[m.end():].startswith(" TTC")]


def test_every_price_on_the_residents_pages_says_ttc(app, client, auth, world, make_user):
    shop = world.shop("Boulangerie Aurore")
    bread = world.product(shop, "Baguette", 120)
    slot = world.slot(hours_from_now=50)
    resident = make_user(email="res@example.org")
    fill_basket(app, resident, (bread, 2))
    order_id = checkout(app, resident, slot)
    fill_basket(app, resident, (bread, 3))
    auth.login("res@example.org")

    pages = {path: text_of(client.get(path)) for path in (
        "/produits", f"/produits/{bread}", "/boutiques/shop-1", "/panier", "/commande", "/mes-commandes",
        f"/mes-commandes/{order_id}")}

    for path, html in pages.items():
        assert PRICE.search(html), path
        assert _untaxed(html) == [], path
    assert "1,20\u00a0€ TTC" in pages[f"/produits/{bread}"] and "3,60\u00a0€ TTC" in pages["/panier"]


def test_prices_say_incl_vat_in_english(app, client, world):
    bread = world.product(world.shop(), "Baguette", 120)
    client.get("/")
    with client.session_transaction() as session:
        session["lang"] = "en"

    assert "€1.20 incl. VAT" in text_of(client.get(f"/produits/{bread}"))
