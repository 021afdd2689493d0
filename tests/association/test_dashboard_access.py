"""Who reaches the impact pages, and what the public /impact page shows (no per-shop money)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shopapp.association import dashboard
from tests.association.test_dashboard import Seed, plain
from tests.conftest import text_of

ADMIN_PAGES = ["/association/tableau-de-bord", "/association/tableau-de-bord?month=2025-03",
               "/association/tableau-de-bord.csv", "/association/rapport/2025-03"]


@pytest.mark.parametrize("role", ["resident", "shopkeeper", "venue"])
def test_other_roles_get_403_on_every_dashboard_page(client, auth, make_user, role):
    make_user(email=f"{role}@example.org", roles=(role,))
    auth.login(f"{role}@example.org")

    assert {path: client.get(path).status_code for path in ADMIN_PAGES} == {path: 403 for path in ADMIN_PAGES}


def test_admins_reach_every_dashboard_page(client, admin):
    assert {path: client.get(path).status_code for path in ADMIN_PAGES} == {path: 200 for path in ADMIN_PAGES}


def test_anonymous_visitors_are_sent_to_log_in(client):
    for path in ADMIN_PAGES:
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/connexion"), path


def test_the_dashboard_is_in_the_association_nav_and_impact_in_the_footer(client, admin):
    page = text_of(client.get("/association/reglages"))

    assert 'href="/association/tableau-de-bord"' in page
    assert 'href="/impact"' in page


@pytest.fixture
def last_month(app, make_user):  # type: ignore[no-untyped-def]
    """Orders placed last month (the latest complete month) in three shops, with distinctive amounts."""
    seed = Seed(app, make_user)
    with app.app_context():
        month = dashboard.months_ending(dashboard.current_month(), 2)[0]
    day = month.start + timedelta(days=3)
    slot = seed.slot(day.replace(minute=0, second=0, microsecond=0) + timedelta(hours=8))
    shops = [seed.shop("Boulangerie Aurore"), seed.shop("Fromagerie Lucas"), seed.shop("Primeur Léa")]

    def order(shop_ids: list[int], amounts: list[int]) -> None:
        seed.order(day, slot, "collected", "paid",
                   [(shop, cents, "at_venue") for shop, cents in zip(shop_ids, amounts, strict=True)])

    return seed, shops, order


def test_the_public_page_shows_totals_but_no_shop_amounts(client, last_month):
    _seed, shops, order = last_month
    order(shops, [123456, 23457, 3458])  # 1 234,56 €, 234,57 €, 34,58 €
    order(shops[:1], [1111])

    response = client.get("/impact")

    page, words = text_of(response), plain(response)
    assert response.status_code == 200
    assert "Commandes 2 Boutiques qui ont vendu 3" in words
    assert "Dépensé chez les commerçants du centre-ville 1\u202f514,82\u00a0€" in words
    for shop_amount in ("1\u202f234,56", "234,57", "34,58", "11,11", "1\u202f245,67"):
        assert shop_amount not in page
    for name in ("Aurore", "Lucas", "Léa"):
        assert name not in page
    assert "style=" not in page


def test_the_public_page_withholds_money_shared_by_fewer_than_three_shops(client, last_month):
    _seed, shops, order = last_month
    order(shops[:2], [4242, 1717])

    response = client.get("/impact")

    page, words = text_of(response), plain(response)
    assert response.status_code == 200
    assert "Commandes 1 Boutiques qui ont vendu 2" in words
    assert "Dépensé chez les commerçants du centre-ville non publié" in words
    assert "59,59" not in page and "42,42" not in page and "17,17" not in page
    assert page.count("non publié") == 2  # the total and last month's row


def test_the_public_page_is_open_to_everyone(app, client):
    response = client.get("/impact")

    assert response.status_code == 200
    assert app.view_functions["dashboard.impact"]._access == ("public",)


def test_the_public_page_says_there_are_no_figures_yet_instead_of_zeros(client):
    words = plain(client.get("/impact"))

    assert "Pas encore de chiffres" in words
    assert "Commandes 0" not in words and "Participants aux animations" not in words


def test_the_public_page_shows_real_figures_once_there_are_some(client, last_month):
    _seed, shops, order = last_month
    order(shops, [1000, 2000, 3000])

    words = plain(client.get("/impact"))

    assert "Pas encore de chiffres" not in words
    assert "Commandes 1 Boutiques qui ont vendu 3" in words
    assert "Participants aux animations pas encore d’animation" in words
