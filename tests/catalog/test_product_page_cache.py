"""The product page's anonymous copy: cached, yet every change shows on the next request (within the
recheck window of a web process, for visitors without a session), and the per-visitor parts (CSRF token,
signed-in header, basket) are never shared."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import render_template
from sqlalchemy import delete, event

from shopapp.catalog import queries, services
from shopapp.catalog.models import Product, Shop
from shopapp.core import page_cache
from shopapp.core.cache import near_cache
from shopapp.extensions import cache, db
from tests.conftest import IS_POSTGRES, text_of


@pytest.fixture
def cheese(catalog):  # type: ignore[no-untyped-def]
    shop = catalog.shop("fromagerie-lucas", "Fromagerie Lucas")
    catalog.category("cremerie", "Crèmerie")
    product = catalog.product(
        shop,
        "COM-1",
        "Comté 18 mois",
        price_cents=2450,
        category="cremerie",
        stock=10,
        threshold=3,
        description="Affiné en cave.",
    )
    return shop, product


def _tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', html)) | set(
        re.findall(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    )


def _add_to_basket(client, product_id: int, token: str):  # type: ignore[no-untyped-def]
    return client.post("/panier/ajouter", data={"csrf_token": token, "product_id": product_id, "quantity": 1})


def test_a_second_anonymous_visit_is_served_from_the_cache_with_one_statement(app, cheese, caching, count_statements):  # type: ignore[no-untyped-def]
    _, product_id = cheese
    visitor = app.test_client()
    first = visitor.get(f"/produits/{product_id}")
    with count_statements() as seen:
        second = app.test_client().get(f"/produits/{product_id}")  # a new visitor
        again = visitor.get(f"/produits/{product_id}")  # a returning one, with a session cookie

    assert first.status_code == second.status_code == again.status_code == 200
    assert len(seen) == 2  # the page's version only, once each: no product load, no rendering
    assert "Comté 18 mois" in text_of(second)
    strip = re.compile(r'value="[^"]*"')  # the CSRF tokens differ; the rest is the same page
    assert strip.sub("", first.get_data(as_text=True)) == strip.sub("", second.get_data(as_text=True))


def test_a_kept_copy_is_answered_early_from_the_version_alone_byte_for_byte(app, cheese, caching, count_statements):  # type: ignore[no-untyped-def]
    _, product_id = cheese
    rendered = app.test_client().get(f"/produits/{product_id}")  # renders the page and keeps it
    with count_statements() as seen:
        early = app.test_client().get(f"/produits/{product_id}")

    # One statement, returning the id and the version alone (not the page's columns): the view did not run.
    assert len(seen) == 1
    assert re.match(r"SELECT product\.id, (md5|row_digest)\(.*\) AS page_version\s+FROM ", seen[0], re.S)
    assert early.status_code == 200 and "Set-Cookie" not in early.headers
    assert early.get_data() == rendered.get_data()  # the very bytes the view renders for such a visitor
    for header in ("ETag", "Content-Type", "Content-Security-Policy", "Cache-Control"):
        assert early.headers[header] == rendered.headers[header]
    again = app.test_client().get(f"/produits/{product_id}", headers={"If-None-Match": early.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_a_visitor_with_a_session_or_a_token_never_gets_the_early_answer(app, cheese, caching):  # type: ignore[no-untyped-def]
    _, product_id = cheese
    app.test_client().get(f"/produits/{product_id}")  # kept
    visitor = app.test_client()
    token = visitor.get("/jeton-csrf").json["csrf_token"]
    page = visitor.get(f"/produits/{product_id}").get_data(as_text=True)
    assert _tokens(page) and "csrf-hole" not in page  # the view's path: their own token filled in
    assert _add_to_basket(visitor, product_id, token).status_code == 302
    unknown = app.test_client().get("/produits/999999")
    assert unknown.status_code == 404  # no early answer for a product that is not shown


def test_price_stock_and_text_changes_show_on_the_next_request(app, cheese, caching):  # type: ignore[no-untyped-def]
    shop_id, product_id = cheese
    visitor = app.test_client()
    assert "24,50" in text_of(visitor.get(f"/produits/{product_id}"))

    with app.app_context():
        services.update_product(shop_id, product_id, services.ProductData(price_cents=2290, provided={"price_cents"}))
        db.session.commit()
    page = text_of(visitor.get(f"/produits/{product_id}"))
    assert "22,90" in page and "24,50" not in page
    assert "En stock" in page

    with app.app_context():
        services.adjust_stock(shop_id, product_id, -8, "casse")
        db.session.commit()
    assert "Plus que 2" in text_of(visitor.get(f"/produits/{product_id}"))

    with app.app_context():
        services.adjust_stock(shop_id, product_id, -2, "casse")
        db.session.commit()
    assert "Épuisé" in text_of(visitor.get(f"/produits/{product_id}"))

    with app.app_context():  # back to the earlier stock: the earlier copy is right again, and served
        services.adjust_stock(shop_id, product_id, 10, "livraison")
        db.session.commit()
    page = text_of(visitor.get(f"/produits/{product_id}"))
    assert "En stock" in page and "22,90" in page

    with app.app_context():
        services.update_product(
            shop_id,
            product_id,
            services.ProductData(description="Affiné 18 mois en cave naturelle.", provided={"description"}),
        )
        db.session.commit()
    assert "cave naturelle" in text_of(visitor.get(f"/produits/{product_id}"))


def test_a_deactivated_product_or_a_suspended_shop_is_404_on_the_next_request(app, cheese, caching):  # type: ignore[no-untyped-def]
    shop_id, product_id = cheese
    visitor = app.test_client()
    assert visitor.get(f"/produits/{product_id}").status_code == 200

    with app.app_context():
        services.set_product_active(shop_id, product_id, False)
        db.session.commit()
    assert visitor.get(f"/produits/{product_id}").status_code == 404

    with app.app_context():
        services.set_product_active(shop_id, product_id, True)
        db.session.commit()
    assert visitor.get(f"/produits/{product_id}").status_code == 200

    with app.app_context():
        db.session.get(Shop, shop_id).status = "suspended"
        db.session.commit()
    assert visitor.get(f"/produits/{product_id}").status_code == 404


def test_two_anonymous_visitors_get_their_own_token_and_both_validate(app, cheese, caching):  # type: ignore[no-untyped-def]
    _, product_id = cheese
    anne, bruno = app.test_client(), app.test_client()
    # A first visit opens no session: the shared copy goes out with its forms' tokens still empty.
    assert _tokens(anne.get(f"/produits/{product_id}").get_data(as_text=True)) == set()
    assert _tokens(bruno.get(f"/produits/{product_id}").get_data(as_text=True)) == set()
    # Using a form asks for a token (static/js/csrf.js): each visitor then has their own, and the next
    # page from the shared copy is filled with it.
    anne_token = anne.get("/jeton-csrf").json["csrf_token"]
    bruno_token = bruno.get("/jeton-csrf").json["csrf_token"]
    anne_tokens = _tokens(anne.get(f"/produits/{product_id}").get_data(as_text=True))
    bruno_tokens = _tokens(bruno.get(f"/produits/{product_id}").get_data(as_text=True))

    # One token in each page (signed anew each second, so compared by what it does, not its text).
    assert len(anne_tokens) == len(bruno_tokens) == 1 and anne_token != bruno_token
    assert not any("csrf-hole" in token for token in anne_tokens | bruno_tokens)
    (anne_page_token,), (bruno_page_token,) = anne_tokens, bruno_tokens
    # Each token works for its visitor only.
    assert _add_to_basket(anne, product_id, bruno_page_token).status_code == 400
    assert _add_to_basket(bruno, product_id, anne_token).status_code == 400
    assert _add_to_basket(anne, product_id, anne_page_token).status_code == 302
    assert _add_to_basket(bruno, product_id, bruno_page_token).status_code == 302


def test_a_visitor_with_a_basket_sees_their_count_not_the_shared_copy(app, cheese, caching):  # type: ignore[no-untyped-def]
    _, product_id = cheese
    app.test_client().get(f"/produits/{product_id}")  # the anonymous copy is cached (basket badge 0)
    shopper = app.test_client()
    shopper.get(f"/produits/{product_id}")
    token = shopper.get("/jeton-csrf").json["csrf_token"]
    assert _add_to_basket(shopper, product_id, token).status_code == 302
    assert _add_to_basket(shopper, product_id, token).status_code == 302

    html = shopper.get(f"/produits/{product_id}").get_data(as_text=True)
    assert re.search(r'class="badge">\s*2\s*<', html)


def test_a_signed_in_page_is_never_served_from_or_into_the_anonymous_copy(
    app, cheese, caching, make_user, auth, client
):  # type: ignore[no-untyped-def]
    _, product_id = cheese
    make_user(email="claire@example.org", name="Claire")
    anonymous = app.test_client().get(f"/produits/{product_id}")  # fills the anonymous copy
    assert "Se connecter" in text_of(anonymous)

    auth.login("claire@example.org")
    signed_in = text_of(client.get(f"/produits/{product_id}"))
    assert "Se déconnecter" in signed_in and "Mon compte" in signed_in
    assert "Se connecter" not in signed_in

    with app.app_context():
        page_cache.clear()  # now a signed-in visit comes first: it must not fill the anonymous copy
    assert "Se déconnecter" in text_of(client.get(f"/produits/{product_id}"))
    later = text_of(app.test_client().get(f"/produits/{product_id}"))
    assert "Se connecter" in later and "Se déconnecter" not in later


def test_the_copy_from_the_light_read_renders_like_the_loaded_product(app, cheese):  # type: ignore[no-untyped-def]
    # Anonymous pages are rendered from the one-statement read; everyone else's from the ORM load.
    shop_id, product_id = cheese
    with app.test_request_context(f"/produits/{product_id}"):
        loaded = render_template("catalog/product.html", product=queries.get_visible_product(product_id))
        copied = render_template("catalog/product.html", product=queries.read_product_page(product_id).product())
        assert copied == loaded
        assert "Comté 18 mois" in copied and "Crèmerie" in copied and "Fromagerie Lucas" in copied

        # Every field the page can show, filled: the copy holds them as the loaded product does.
        product = db.session.get(Product, product_id)
        product.labels, product.allergens, product.image_path = ["AOP", "Bio"], ["lait"], "ab/cdef"
        product.unit, product.net_quantity, product.net_unit = "pièce", 400, "g"
        product.category.is_alcoholic, product.vat_rate_bp = True, 2000
        db.session.commit()
        loaded = render_template("catalog/product.html", product=queries.get_visible_product(product_id))
        copied = render_template("catalog/product.html", product=queries.read_product_page(product_id).product())
        assert copied == loaded
        for shown in ("AOP", "lait", "ab/cdef-1200.jpg", "20 %", "soit", "modération"):
            assert shown in copied

        version = queries.read_product_page(product_id).version
        db.session.get(Shop, shop_id).name = "Fromagerie Lucas & fils"
        db.session.commit()
        assert queries.read_product_page(product_id).version != version


def test_a_product_without_category_or_stock_row(app, catalog):  # type: ignore[no-untyped-def]
    from shopapp.catalog.models import StockRecord

    shop = catalog.shop("epicerie-nina", "Épicerie Nina")
    product_id = catalog.product(shop, "SEL-1", "Sel de Guérande", stock=0)
    with app.app_context():
        db.session.execute(delete(StockRecord).where(StockRecord.product_id == product_id))
        db.session.commit()
        copy = queries.read_product_page(product_id).product()
        assert copy.category is None and copy.stock is None
    page = text_of(app.test_client().get(f"/produits/{product_id}"))
    assert "Sel de Guérande" in page and "Épuisé" in page


def test_each_language_has_its_own_copy(app, cheese, caching):  # type: ignore[no-untyped-def]
    _, product_id = cheese
    french = app.test_client().get(f"/produits/{product_id}").get_data(as_text=True)
    visitor = app.test_client()
    with visitor.session_transaction() as session:
        session["lang"] = "en"
    english = visitor.get(f"/produits/{product_id}").get_data(as_text=True)

    assert '<html lang="fr">' in french
    assert '<html lang="en">' in english


def test_a_flash_message_is_shown_to_its_visitor_not_cached(app, cheese, caching):  # type: ignore[no-untyped-def]
    _, product_id = cheese
    app.test_client().get(f"/produits/{product_id}")  # the anonymous copy is cached
    visitor = app.test_client()
    with visitor.session_transaction() as session:
        session["_flashes"] = [("success", "Votre message est envoyé.")]

    assert "Votre message est envoyé." in text_of(visitor.get(f"/produits/{product_id}"))
    assert "Votre message est envoyé." not in text_of(visitor.get(f"/produits/{product_id}"))
    assert "Votre message est envoyé." not in text_of(app.test_client().get(f"/produits/{product_id}"))


@pytest.mark.skipif(not IS_POSTGRES, reason="the version is read in autocommit on PostgreSQL only")
def test_the_autocommit_read_gives_back_a_transactional_connection(app, cheese):  # type: ignore[no-untyped-def]
    # A connection left in autocommit would make later writes commit on their own and errors roll back
    # nothing: the pool must get it back as it lent it.
    _, product_id = cheese
    with app.app_context():
        returned: list[bool] = []

        def checkin(dbapi_connection, record):  # type: ignore[no-untyped-def]
            returned.append(dbapi_connection.autocommit)

        event.listen(db.engine, "checkin", checkin)
        try:
            queries.read_product_page(product_id)
        finally:
            event.remove(db.engine, "checkin", checkin)
        assert returned == [False]
        services.set_product_active(cheese[0], product_id, False)
        db.session.rollback()
        assert queries.get_visible_product(product_id).is_active


def test_the_embedded_cache_drops_the_least_recently_used_page() -> None:
    from shopapp.core.lru import LRUCache

    pages = LRUCache(threshold=3, default_timeout=600)
    for key in ("a", "b", "c"):
        pages.set(key, f"page {key}")
    assert pages.get("a") == "page a"  # "a" is now the most recently used, "b" the least

    pages.set("d", "page d")

    assert pages.get("b") is None
    assert [pages.get(key) for key in ("a", "c", "d")] == ["page a", "page c", "page d"]
    assert pages.add("a", "other") is False and pages.get("a") == "page a"
    pages.set("short", "gone soon", timeout=-1)  # already expired
    assert pages.get("short") is None and not pages.has("short")


def test_a_full_embedded_cache_takes_a_page_without_sorting_its_entries(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import builtins

    from shopapp.core.lru import LRUCache

    pages = LRUCache(threshold=2000)
    for n in range(2000):
        pages.set(f"page-{n}", n)
    monkeypatch.setattr(builtins, "sorted", lambda *args, **kwargs: pytest.fail("sorted on insert"))

    pages.set("one-more", 1)

    assert pages.get("one-more") == 1 and pages.get("page-0") is None and pages.get("page-1") == 1


@pytest.mark.skipif(not IS_POSTGRES, reason="the shared cache is Redis (services backend)")
def test_a_page_rendered_by_one_web_process_is_served_by_another(app, cheese, caching):  # type: ignore[no-untyped-def]
    from shopapp.app import create_app
    from shopapp.config import TestConfig

    _, product_id = cheese
    first = app.test_client().get(f"/produits/{product_id}")  # rendered here, kept in Redis
    other = create_app(TestConfig)  # a second web process, with its own memory and engine
    other.config["CACHE_TYPE"] = "RedisCache"
    cache.init_app(other)
    with other.app_context():
        engine = db.engine
    seen: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        served = other.test_client().get(f"/produits/{product_id}")
    finally:
        event.remove(engine, "before_cursor_execute", record)
        engine.dispose()

    assert served.status_code == 200
    assert served.get_data() == first.get_data()
    assert len(seen) == 1, seen  # the page's version only: the other process rendered nothing


@pytest.mark.skipif(not IS_POSTGRES, reason="the shared cache is Redis (services backend)")
def test_each_process_keeps_the_versions_it_served_and_never_an_outdated_one(app, cheese, caching, count_statements):  # type: ignore[no-untyped-def]
    shop_id, product_id = cheese
    first = app.test_client().get(f"/produits/{product_id}")  # rendered, kept in Redis
    served = app.test_client().get(f"/produits/{product_id}")  # early answer: now kept in this process too
    cache.clear()  # Redis only: this process still holds the copy of this version
    with count_statements() as seen:
        again = app.test_client().get(f"/produits/{product_id}")
    assert len(seen) == 1  # the version alone: neither Redis (emptied) nor a rendering was needed
    assert first.get_data() == served.get_data() == again.get_data()

    with app.app_context():
        services.update_product(shop_id, product_id, services.ProductData(price_cents=2290, provided={"price_cents"}))
        db.session.commit()
    page = text_of(app.test_client().get(f"/produits/{product_id}"))
    assert "22,90" in page and "24,50" not in page  # a new version: never the copy held in memory


def test_the_near_cache_drops_the_least_recently_used_page() -> None:
    from shopapp.core.lru import NearCache

    near = NearCache(entries=2)
    near.set("a", b"page a")
    near.set("b", b"page b")
    assert near.get("a") == b"page a"  # "b" is now the least recently used
    near.set("c", b"page c")
    assert near.get("b") is None and near.get("a") == b"page a" and near.get("c") == b"page c"
    near.clear()
    assert near.get("a") is None


@pytest.fixture
def held_for_30_seconds(app, cheese, caching, monkeypatch):  # type: ignore[no-untyped-def]
    """A 30-second recheck window, the product page rendered (kept in Redis) then held by this process;
    gives the page and a list whose item is how many seconds later the page cache's clock reads."""
    _, product_id = cheese
    monkeypatch.setitem(app.config, "PRODUCT_PAGE_RECHECK_SECONDS", 30)
    later = [0.0]
    real_time = page_cache.time
    monkeypatch.setattr(page_cache, "time", lambda: real_time() + later[0])
    first = app.test_client().get(f"/produits/{product_id}")  # rendered, kept in Redis
    app.test_client().get(f"/produits/{product_id}")  # early answer: the version read, the copy held here
    return first, later


@pytest.mark.skipif(not IS_POSTGRES, reason="each process's copies stand in front of the shared cache (Redis)")
def test_within_the_recheck_window_a_process_serves_its_copy_without_a_statement(  # type: ignore[no-untyped-def]
        app, cheese, held_for_30_seconds, count_statements):
    shop_id, product_id = cheese
    first, later = held_for_30_seconds
    with count_statements() as seen:
        held = app.test_client().get(f"/produits/{product_id}")
    assert seen == [] and held.get_data() == first.get_data()  # no statement within the window

    with app.app_context():
        services.update_product(shop_id, product_id, services.ProductData(price_cents=2290, provided={"price_cents"}))
        db.session.commit()
    assert "24,50" in text_of(app.test_client().get(f"/produits/{product_id}"))  # a visitor: within the window
    with_session = app.test_client()
    with_session.get("/jeton-csrf")
    assert "22,90" in text_of(with_session.get(f"/produits/{product_id}"))  # a session: rendered anew, at once

    later[0] = 31  # past the window: the version is read again, and the new price shows
    page = text_of(app.test_client().get(f"/produits/{product_id}"))
    assert "22,90" in page and "24,50" not in page
    with count_statements() as seen:
        app.test_client().get(f"/produits/{product_id}")
    assert seen == []  # held again, for the next 30 seconds


@pytest.mark.skipif(not IS_POSTGRES, reason="each process's copies stand in front of the shared cache (Redis)")
def test_past_the_window_an_unchanged_version_serves_the_held_copy_without_redis(  # type: ignore[no-untyped-def]
        app, cheese, held_for_30_seconds, count_statements):
    _, product_id = cheese
    first, later = held_for_30_seconds
    cache.clear()  # Redis only
    later[0] = 31
    with count_statements() as seen:
        again = app.test_client().get(f"/produits/{product_id}")
    assert len(seen) == 1 and again.get_data() == first.get_data()  # the version alone, same as held


def test_the_recheck_window_is_read_from_the_environment(monkeypatch):  # type: ignore[no-untyped-def]
    from shopapp.config import Config, ConfigError

    monkeypatch.delenv("PRODUCT_PAGE_RECHECK_SECONDS", raising=False)
    monkeypatch.setenv("CACHE_DEFAULT_TIMEOUT", "7")
    assert Config().PRODUCT_PAGE_RECHECK_SECONDS == 7  # the lists' rule by default
    monkeypatch.setenv("PRODUCT_PAGE_RECHECK_SECONDS", "2.5")
    assert Config().PRODUCT_PAGE_RECHECK_SECONDS == 2.5
    for wrong in ("soon", "-1", "nan", "inf"):
        monkeypatch.setenv("PRODUCT_PAGE_RECHECK_SECONDS", wrong)
        with pytest.raises(ConfigError, match="PRODUCT_PAGE_RECHECK_SECONDS"):
            Config()


def test_the_near_cache_is_bounded_by_the_bytes_of_its_pages() -> None:
    from shopapp.core.lru import NearCache

    near = NearCache(entries=100, max_bytes=10)
    near.set("a", b"aaaa", size=4)
    near.set("b", b"bbbb", size=4)
    assert near.get("a") == b"aaaa"  # "b" is now the least recently used
    near.set("c", b"cccc", size=4)  # 12 bytes: "b" goes
    assert near.get("b") is None and near.get("a") == b"aaaa" and near.get("c") == b"cccc"
    assert near.size_bytes == 8
    near.set("a", b"aa", size=2)  # replaced: its old size no longer counts
    assert near.size_bytes == 6
    near.set("huge", b"x" * 11, size=11)  # larger than the whole bound: not kept, nothing dropped
    assert near.get("huge") is None and near.size_bytes == 6
    near.set("c", b"c" * 11, size=11)  # too large: the older value under its key goes too
    assert near.get("c") is None and near.get("a") == b"aa" and near.size_bytes == 2
    near.clear()
    assert near.size_bytes == 0 and near.get("a") is None


@pytest.mark.skipif(not IS_POSTGRES, reason="each process's copies stand in front of the shared cache (Redis)")
def test_past_the_window_one_statement_rechecks_the_other_copies_due_too(  # type: ignore[no-untyped-def]
        app, catalog, cheese, held_for_30_seconds, count_statements):
    shop_id, comte = cheese
    _first, later = held_for_30_seconds
    tomme, brie = (catalog.product(shop_id, sku, name, price_cents=price, stock=5)
                   for sku, name, price in (("TOM-1", "Tomme de Savoie", 1890), ("BRI-1", "Brie de Meaux", 1530)))
    for product_id in (tomme, brie):  # rendered, then held by this process, as the comté is
        app.test_client().get(f"/produits/{product_id}")
        app.test_client().get(f"/produits/{product_id}")
    with app.app_context():  # while held: the brie's price changes, the tomme is unchanged
        services.update_product(shop_id, brie, services.ProductData(price_cents=1490, provided={"price_cents"}))
        db.session.commit()

    with app.app_context():
        engine = db.engine
    asked: list[Any] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        asked.append(parameters)

    def held(product_id: int) -> Any:
        with app.test_request_context(f"/produits/{product_id}"):
            return near_cache().peek(page_cache._key("catalog.product", "", app.config["BABEL_DEFAULT_LOCALE"]))

    later[0] = 31  # every copy's window is over
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert "24,50" in text_of(app.test_client().get(f"/produits/{comte}"))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(asked) == 1  # one statement: the comté's version, with the tomme's and the brie's
    assert sorted(v for k, v in asked[0].items() if k.startswith("product_ids")) == sorted([comte, tomme, brie])
    assert held(brie) is None and "18,90" in held(tomme)[1].decode()  # changed: dropped; unchanged: kept

    with count_statements() as seen:
        assert "18,90" in text_of(app.test_client().get(f"/produits/{tomme}"))
    assert seen == []  # unchanged: held for the next 30 seconds by that same statement
    brie_page = text_of(app.test_client().get(f"/produits/{brie}"))
    assert "14,90" in brie_page and "15,30" not in brie_page  # changed: its copy was dropped, never served

    with app.app_context():  # hidden while held: the next recheck drops it, and its page is 404
        services.set_product_active(shop_id, tomme, False)
        db.session.commit()
    later[0] = 62
    app.test_client().get(f"/produits/{comte}")
    assert held(tomme) is None  # hidden: dropped by the comté's recheck
    assert app.test_client().get(f"/produits/{tomme}").status_code == 404


def test_the_near_cache_peeks_and_changes_a_value_in_place() -> None:
    from shopapp.core.lru import NearCache

    near = NearCache(entries=2)
    near.set("a", b"page a", size=6)
    near.set("b", b"page b", size=6)
    assert near.peek("a") == b"page a"  # not a use: "a" stays the least recently used
    assert near.change("a", lambda page: page.upper()) == b"PAGE A"  # in place: still the least recently used
    assert near.change("z", lambda page: b"never") is None and near.peek("z") is None
    near.set("c", b"page c", size=6)
    assert near.get("a") is None and near.get("b") == b"page b" and near.size_bytes == 12
    assert near.change("b", lambda page: None) is None  # dropped, with its bytes
    assert near.get("b") is None and near.size_bytes == 6


@pytest.mark.skipif(not IS_POSTGRES, reason="reads run in autocommit on PostgreSQL only")
def test_a_first_visit_reads_the_page_with_the_venue_name_without_a_transaction(app, cheese, caching):  # type: ignore[no-untyped-def]
    from shopapp.venue.models import Venue

    _, product_id = cheese
    with app.app_context():
        db.session.add(Venue(name="La Halle Commune", address="3 place de la Halle"))
        db.session.commit()
        engine = db.engine
    autocommit: list[bool] = []  # for each statement: was its connection in autocommit (no BEGIN, no COMMIT)?

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        autocommit.append(cursor.connection.autocommit)

    event.listen(engine, "before_cursor_execute", record)
    try:
        page = text_of(app.test_client().get(f"/produits/{product_id}"))  # rendered: version, then page + venue
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert "La Halle Commune" in page and "Comté 18 mois" in page
    assert autocommit == [True, True]


def test_with_the_cache_off_the_page_is_read_once_and_no_version_before_it(app, cheese, count_statements):  # type: ignore[no-untyped-def]
    _, product_id = cheese  # no `caching`: CACHE_TYPE=NullCache, as `make bench` runs its cache-off rows
    with count_statements() as seen:
        page = text_of(app.test_client().get(f"/produits/{product_id}"))
    assert "Comté 18 mois" in page
    # No read of the version alone (`SELECT product.id, <digest> AS page_version`) before the page's one read.
    assert [s for s in seen if re.match(r"SELECT product\.id, (md5|row_digest)\(", s)] == []
    assert len([s for s in seen if "page_version" in s]) == 1
    assert len(seen) == 1  # the venue's name the layout shows comes with the page's read


def test_a_first_visit_asks_the_shared_cache_once_then_keeps_the_page(app, cheese, caching, monkeypatch):  # type: ignore[no-untyped-def]
    _, product_id = cheese
    asked: list[str] = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda key: asked.append(key) or real_get(key))

    first = app.test_client().get(f"/produits/{product_id}")  # the early answer misses, the view renders
    assert len([key for key in asked if key.startswith("page:catalog.product:")]) == 1
    again = app.test_client().get(f"/produits/{product_id}")
    assert again.get_data() == first.get_data()  # kept by the first visit, whole


def test_a_kept_page_is_not_served_once_the_venue_is_renamed(app, cheese, caching):  # type: ignore[no-untyped-def]
    # Every page names the venue (header, footer): its name is part of the page's version, as the product's
    # rows are, so the association's renaming reaches the pages kept for anonymous visitors.
    from shopapp.venue.models import Venue

    _, product_id = cheese
    with app.app_context():
        place = Venue(name="La Halle Commune", address="3 place de la Halle")
        db.session.add(place)
        db.session.commit()
        venue_id = place.id
        version = queries.read_product_page(product_id).version
    assert "La Halle Commune" in text_of(app.test_client().get(f"/produits/{product_id}"))  # kept

    with app.app_context():
        db.session.get(Venue, venue_id).name = "Le Grenier"
        db.session.commit()
        assert queries.read_product_page(product_id).version != version
    renamed = text_of(app.test_client().get(f"/produits/{product_id}"))
    assert "Le Grenier" in renamed and "La Halle Commune" not in renamed


@pytest.mark.skipif(not IS_POSTGRES, reason="each process's copies stand in front of the shared cache (Redis)")
def test_a_page_rendered_for_a_visitor_without_a_session_is_held_by_its_process(  # type: ignore[no-untyped-def]
        app, cheese, caching, monkeypatch, count_statements):
    shop_id, product_id = cheese
    monkeypatch.setitem(app.config, "PRODUCT_PAGE_RECHECK_SECONDS", 30)
    first = app.test_client().get(f"/produits/{product_id}")  # rendered, kept in Redis and held here
    with count_statements() as seen:
        again = app.test_client().get(f"/produits/{product_id}")
    assert seen == [] and again.get_data() == first.get_data()  # no version read, no rendering

    with_session = app.test_client()
    with_session.get("/jeton-csrf")
    with app.app_context():
        page_cache.clear()
        services.update_product(shop_id, product_id, services.ProductData(price_cents=2290, provided={"price_cents"}))
        db.session.commit()
    assert "22,90" in text_of(with_session.get(f"/produits/{product_id}"))  # rendered with a token: not held
    with count_statements() as seen:
        visitor = app.test_client().get(f"/produits/{product_id}")
    assert len(seen) == 1 and "22,90" in text_of(visitor)  # the version read: nothing was held for visitors
