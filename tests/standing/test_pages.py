"""The resident's pages: make a standing order from a past order, skip a date, pause, resume and end,
each confirmed first; the shop's standing quantities; someone else's pages are 404."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from shopapp.catalog.models import Shop
from shopapp.core.clock import utcnow
from shopapp.extensions import db
from shopapp.orders.models import Basket
from shopapp.standing.models import StandingOccurrence, StandingOrder
from tests.conftest import csrf_token, text_of
from tests.orders.services import checkout, fill_basket
from tests.standing.conftest import slot_at
from tests.support.clock import PARIS


def _plain(response):  # type: ignore[no-untyped-def]
    """The page's text without tags, whitespace folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", text_of(response)).split())


def _past_order(app, world, user_id):  # type: ignore[no-untyped-def]
    shop = world.shop("Boulangerie Aurore", keeper="aurore@example.org")
    bread = world.product(shop, "Pain de campagne", 420, stock=30)
    croissant = world.product(shop, "Croissant", 110, stock=30)
    fill_basket(app, user_id, (bread, 1), (croissant, 4))
    order_id = checkout(app, user_id, world.slot())
    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    next_slot = slot_at(app, world, start)
    return shop, order_id, next_slot, start


def test_make_a_weekly_basket_from_a_past_order_then_skip_pause_resume_end(app, client, auth, world, make_user):  # type: ignore[no-untyped-def]
    user = make_user(email="camille@example.org", name="Camille")
    _shop, order_id, next_slot, start = _past_order(app, world, user)
    auth.login("camille@example.org")

    order_page = text_of(client.get(f"/mes-commandes/{order_id}"))
    form = client.get(f"/mon-panier-de-la-semaine/nouveau?commande={order_id}")
    token = csrf_token(client, f"/mon-panier-de-la-semaine/nouveau?commande={order_id}")
    made = client.post("/mon-panier-de-la-semaine/nouveau", data={
        "csrf_token": token, "order_id": str(order_id), "every_weeks": "1", "slot_id": str(next_slot),
        "payment_method": "at_pickup"}, follow_redirects=True)

    assert "Faire de cette commande mon panier de la semaine" in order_page
    assert form.status_code == 200 and "4 × Croissant" in text_of(form) and "1 × Pain de campagne" in text_of(form)
    assert made.status_code == 200 and "votre panier de la semaine est enregistré" in text_of(made)
    with app.app_context():
        standing = db.session.scalar(select(StandingOrder))
        standing_id = standing.id
        assert (standing.user_id, standing.every_weeks, standing.status) == (user, 1, "active")
        assert sorted(line.quantity for line in standing.lines) == [1, 4]
    local = start.astimezone(PARIS)
    assert made.request.path == f"/mon-panier-de-la-semaine/{standing_id}"
    assert f"à {local:%H} h {local:%M}" in text_of(made)

    first = local.date().isoformat()
    confirm = client.get(f"/mon-panier-de-la-semaine/{standing_id}/sauter?date={first}")
    assert confirm.status_code == 200 and "Aucune commande ne sera passée le" in text_of(confirm)
    unconfirmed = client.post(f"/mon-panier-de-la-semaine/{standing_id}/sauter", data={"date": first})
    assert unconfirmed.status_code == 400  # no CSRF token: refused, nothing skipped
    with app.app_context():
        assert db.session.scalar(select(StandingOccurrence)) is None
    token = csrf_token(client, f"/mon-panier-de-la-semaine/{standing_id}/sauter?date={first}")
    skipped = client.post(f"/mon-panier-de-la-semaine/{standing_id}/sauter", data={"date": first, "csrf_token": token},
                          follow_redirects=True)
    assert "pas de panier ce jour-là" in text_of(skipped) and "sautée" in text_of(skipped)

    for action, state in (("pause", "En pause"), ("reprendre", "Actif"), ("arreter", "Arrêté")):
        token = csrf_token(client, f"/mon-panier-de-la-semaine/{standing_id}/{action}")
        done = client.post(f"/mon-panier-de-la-semaine/{standing_id}/{action}", data={"csrf_token": token},
                           follow_redirects=True)
        assert done.status_code == 200 and f"État : {state}" in _plain(done)
    with app.app_context():
        assert db.session.get(StandingOrder, standing_id).status == "ended"
    assert "Arrêté" in text_of(client.get("/mon-panier-de-la-semaine"))


def test_someone_elses_standing_order_and_order_are_404(app, client, auth, world, make_user):  # type: ignore[no-untyped-def]
    owner = make_user(email="camille@example.org")
    _shop, order_id, next_slot, _start = _past_order(app, world, owner)
    with app.app_context():
        from shopapp.core.transaction import commit
        from shopapp.standing import services

        standing_id = services.create_from_order(owner, order_id, every_weeks=1, first_pickup_slot_id=next_slot,
                                                 payment_method="at_pickup").standing_order.id
        commit()
    make_user(email="autre@example.org")
    auth.login("autre@example.org")

    assert client.get(f"/mon-panier-de-la-semaine/{standing_id}").status_code == 404
    assert client.get(f"/mon-panier-de-la-semaine/{standing_id}/arreter").status_code == 404
    assert client.get(f"/mon-panier-de-la-semaine/nouveau?commande={order_id}").status_code == 404
    with app.app_context():
        assert db.session.get(StandingOrder, standing_id).status == "active"


def test_the_shop_sees_its_standing_quantities_week_by_week(app, client, auth, world, make_user):  # type: ignore[no-untyped-def]
    owner = make_user(email="camille@example.org")
    shop, order_id, next_slot, _start = _past_order(app, world, owner)
    with app.app_context():
        from shopapp.core.transaction import commit
        from shopapp.standing import services

        services.create_from_order(owner, order_id, every_weeks=1, first_pickup_slot_id=next_slot,
                                   payment_method="at_pickup")
        commit()
        slug = db.session.get(Shop, shop).slug
    auth.login("aurore@example.org")

    page = client.get(f"/ma-boutique/{slug}/paniers-de-la-semaine")

    assert page.status_code == 200
    rows = re.findall(r"<tr><th scope=\"row\">([^<]+)</th>((?:<td>\d+</td>)+)</tr>", page.get_data(as_text=True))
    quantities = {name: [int(x) for x in re.findall(r"\d+", cells)] for name, cells in rows}
    assert sum(quantities["Croissant"]) in (12, 16) and sum(quantities["Pain de campagne"]) in (3, 4)
    assert all(q in (0, 4) for q in quantities["Croissant"])
    assert "Paniers de la semaine" in text_of(client.get(f"/ma-boutique/{slug}/produits"))
    world.shop("Fromagerie", keeper="fromage@example.org")
    auth.logout()
    auth.login("fromage@example.org")
    assert client.get(f"/ma-boutique/{slug}/paniers-de-la-semaine").status_code in (403, 404)


def test_the_data_export_holds_them_and_deleting_the_account_ends_them(app, world, make_user, no_dispatch):  # type: ignore[no-untyped-def]
    from shopapp.core.transaction import commit
    from shopapp.privacy import gdpr
    from shopapp.standing import services
    from tests.standing.conftest import beat

    owner = make_user(email="camille@example.org")
    _shop, order_id, next_slot, start = _past_order(app, world, owner)
    with app.app_context():
        standing_id = services.create_from_order(owner, order_id, every_weeks=2, first_pickup_slot_id=next_slot,
                                                 payment_method="at_pickup").standing_order.id
        commit()
        exported = gdpr.export_data(owner)["standing_orders"]
        assert [(x["every_weeks"], x["payment_method"], sorted(li["quantity"] for li in x["lines"]))
                for x in exported] == [(2, "at_pickup", [1, 4])]
        gdpr.delete_account(owner)
        commit()
        assert db.session.get(StandingOrder, standing_id).status == "ended"
    assert beat(app, start - timedelta(hours=2)) == 0


def test_make_a_fortnightly_basket_from_the_basket_which_stays_as_it_is(app, client, auth, world, make_user):  # type: ignore[no-untyped-def]
    user = make_user(email="camille@example.org")
    shop = world.shop("Primeur du marché")
    leeks = world.product(shop, "Poireaux", 250, stock=30)
    apples = world.product(shop, "Pommes", 320, stock=30)
    fill_basket(app, user, (leeks, 2), (apples, 1))
    slot_id = slot_at(app, world, utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=2))
    auth.login("camille@example.org")

    basket_page = text_of(client.get("/panier"))
    token = csrf_token(client, "/mon-panier-de-la-semaine/nouveau")
    made = client.post("/mon-panier-de-la-semaine/nouveau", data={
        "csrf_token": token, "order_id": "", "every_weeks": "2", "slot_id": str(slot_id),
        "payment_method": "at_pickup"})

    assert "Faire de ce panier mon panier de la semaine" in basket_page
    assert made.status_code == 302
    with app.app_context():
        standing = db.session.scalar(select(StandingOrder))
        assert standing.every_weeks == 2
        assert sorted((line.product_id, line.quantity) for line in standing.lines) == sorted([(leeks, 2), (apples, 1)])
        basket = db.session.scalar(select(Basket).where(Basket.user_id == user))
        assert sorted((line.product_id, line.quantity) for line in basket.lines) == sorted([(leeks, 2), (apples, 1)])


def test_a_date_handled_without_an_order_says_why_and_cannot_be_skipped(app, client, auth, world,
                                                                        make_user, no_dispatch):  # type: ignore[no-untyped-def]
    from shopapp.catalog.models import Product
    from tests.standing.conftest import beat, make_standing

    user = make_user(email="camille@example.org", name="Camille")
    shop = world.shop("Boulangerie Aurore")
    bread = world.product(shop, "Pain de campagne", 420, stock=30)
    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    standing_id = make_standing(app, user, [(bread, 1)], slot_at(app, world, start))
    with app.app_context():
        db.session.get(Product, bread).stock.on_hand = 0
        db.session.commit()
    beat(app, start - timedelta(hours=2))
    auth.login("camille@example.org")
    first = start.astimezone(PARIS).date().isoformat()

    page = _plain(client.get(f"/mon-panier-de-la-semaine/{standing_id}"))
    token = csrf_token(client, f"/mon-panier-de-la-semaine/{standing_id}/sauter?date={first}")
    refused = client.post(f"/mon-panier-de-la-semaine/{standing_id}/sauter", data={"date": first, "csrf_token": token})

    assert "pas de commande (aucun produit n'était disponible)" in page
    assert f"sauter?date={first}" not in page
    assert refused.status_code == 422
    assert ("Il n'y a déjà pas de commande pour cette date (aucun produit n'était disponible) : rien à sauter."
            in _plain(refused))
    assert "déjà passée" not in _plain(refused)
