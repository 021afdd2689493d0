"""Lists (products, search, category, shop, home) kept whole for a few seconds for visitors without a
session: the same bytes for all of them, never for anyone with a session or signed in."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from shopapp.catalog.models import Product
from shopapp.extensions import db
from tests.conftest import text_of


@pytest.fixture
def cheese(catalog):  # type: ignore[no-untyped-def]
    shop = catalog.shop("fromagerie-lucas", "Fromagerie Lucas")
    catalog.category("cremerie", "Crèmerie")
    return catalog.product(shop, "COM-1", "Comté 18 mois", price_cents=2450, category="cremerie", stock=10)


def _rename(app, product_id: int, name: str) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.execute(update(Product).where(Product.id == product_id).values(name=name))
        db.session.commit()


@pytest.mark.parametrize(
    "path", ["/produits", "/produits?q=comte", "/categories/cremerie", "/boutiques/fromagerie-lucas"]
)
def test_a_visitor_without_session_gets_the_kept_copy_and_no_cookie(app, cheese, caching, count_statements, path):  # type: ignore[no-untyped-def]
    first = app.test_client().get(path)
    assert first.status_code == 200 and "Comté 18 mois" in text_of(first)
    _rename(app, cheese, "Comté 24 mois")

    with count_statements() as seen:
        second = app.test_client().get(path)  # another visitor, within the few seconds
    assert second.status_code == 200
    assert seen == []  # answered from the cache: no statement
    assert second.get_data() == first.get_data()
    assert "Set-Cookie" not in second.headers
    assert second.headers["ETag"] == first.headers["ETag"]


def test_someone_with_a_session_always_gets_the_page_rendered_anew(app, cheese, caching, make_user):  # type: ignore[no-untyped-def]
    from tests.conftest import Auth

    assert "Comté 18 mois" in text_of(app.test_client().get("/produits"))
    _rename(app, cheese, "Comté 24 mois")

    signed_in = app.test_client()
    make_user(email="lea@example.org")
    assert Auth(signed_in).login("lea@example.org").status_code in (200, 302)
    assert "Comté 24 mois" in text_of(signed_in.get("/produits"))
    assert "Comté 18 mois" in text_of(app.test_client().get("/produits"))  # the kept copy, for a few seconds


def test_a_search_is_kept_under_its_own_query(app, cheese, caching):  # type: ignore[no-untyped-def]
    assert "Comté 18 mois" in text_of(app.test_client().get("/produits?q=comte"))
    assert "Comté 18 mois" not in text_of(app.test_client().get("/produits?q=baguette"))


def test_the_home_page_sets_no_cookie_for_a_new_visitor(app, cheese, caching):  # type: ignore[no-untyped-def]
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    again = app.test_client().get("/", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("credentials", [{"headers": {"Authorization": "Bearer not-a-token"}},
                                         {"cookie": ("remember_token", "someone")}])
def test_a_request_with_credentials_is_not_served_the_visitors_copy(app, cheese, caching, credentials):  # type: ignore[no-untyped-def]
    assert "Comté 18 mois" in text_of(app.test_client().get("/produits"))  # kept for visitors
    _rename(app, cheese, "Comté 24 mois")
    client = app.test_client()
    if "cookie" in credentials:
        client.set_cookie(*credentials["cookie"])
    assert "Comté 24 mois" in text_of(client.get("/produits", headers=credentials.get("headers", {})))
    assert "Comté 18 mois" in text_of(app.test_client().get("/produits"))


def test_a_kept_answer_is_served_before_the_rate_limiter_and_answers_304(app, cheese, caching, count_statements,  # type: ignore[no-untyped-def]
                                                                        monkeypatch):
    from flask_limiter import Limit

    from shopapp.extensions import limiter

    # A limit shared by every route, so that the limiter looks at each request that reaches it (without one,
    # it looks at none but the decorated views': shopapp/app.py, `_check_shared_limits_once_set`).
    monkeypatch.setattr(limiter.limit_manager, "_default_limits",
                        [Limit(limit_provider="1000 per hour", key_function=lambda: "test-client").bind(limiter)])
    first = app.test_client().get("/api/v1/products?page=1")
    assert first.status_code == 200
    checked: list[str] = []
    limiter.request_filter(lambda: bool(checked.append("limiter")))  # noted whenever the limiter looks
    try:
        with count_statements() as seen:
            again = app.test_client().get("/api/v1/products?page=1")
            same = app.test_client().get("/api/v1/products?page=1", headers={"If-None-Match": first.headers["ETag"]})
        fresh = app.test_client().get("/api/v1/categories")  # not kept yet: the whole request's work
    finally:
        limiter._request_filters.pop()
    assert again.get_data() == first.get_data() and again.headers["ETag"] == first.headers["ETag"]
    assert same.status_code == 304 and same.get_data() == b""
    assert seen == [] and checked == ["limiter"]  # only the request that was not kept met the limiter
    assert fresh.status_code == 200
