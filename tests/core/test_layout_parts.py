"""The layout's parts that are the same on every page (links, search form, footer) are rendered once per
language, venue name and script root (shopapp/templating.py, `layout_part`), and every page shows the
right ones: the visitor's language, the venue's current name, the links under the app's script root, and
on a product search what was searched."""

from __future__ import annotations

from weakref import WeakKeyDictionary

from shopapp import templating
from shopapp.extensions import db
from shopapp.venue.models import Venue
from tests.conftest import text_of

FOOTER_FR = "Rejoindre la plateforme"
FOOTER_EN = "Join the platform"


def _venue(app, name: str) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        place = Venue(name=name, address="3 place de la Halle")
        db.session.add(place)
        db.session.commit()
        return place.id


def test_each_page_shows_the_parts_of_its_language_and_the_venues_current_name(app):  # type: ignore[no-untyped-def]
    venue_id = _venue(app, "La Halle Commune")
    french = text_of(app.test_client().get("/produits"))
    assert FOOTER_FR in french and "retirés à La Halle Commune" in french and FOOTER_EN not in french

    english_visitor = app.test_client()
    with english_visitor.session_transaction() as session:
        session["lang"] = "en"
    english = text_of(english_visitor.get("/produits"))
    assert FOOTER_EN in english and FOOTER_FR not in english and "La Halle Commune" in english

    with app.app_context():
        db.session.get(Venue, venue_id).name = "Le Grenier"
        db.session.commit()
    for client in (app.test_client(), english_visitor):
        renamed = text_of(client.get("/produits"))
        assert "Le Grenier" in renamed and "La Halle Commune" not in renamed  # header's link and footer alike


def test_the_parts_links_follow_the_script_root(app):  # type: ignore[no-untyped-def]
    client = app.test_client()
    for script_root in ("", "/ville", ""):  # one process: what is kept under one root is not the other's
        html = client.get("/produits", base_url=f"http://localhost{script_root}").get_data(as_text=True)
        assert f'href="{script_root}/static/css/site.css"' in html  # head
        assert f'action="{script_root}/produits" data-suggest-url' in html  # search form
        assert f'href="{script_root}/mentions-legales"' in html  # footer
        if script_root:
            assert 'href="/mentions-legales"' not in html


def test_a_search_shows_what_was_searched_and_the_next_page_an_empty_field(client):  # type: ignore[no-untyped-def]
    searched = client.get("/produits?q=pain+%3Cb%3E").get_data(as_text=True)
    assert 'value="pain &lt;b&gt;"' in searched
    for path in ("/produits", "/", "/produits?q=pain"):
        html = client.get(path).get_data(as_text=True)
        assert ('value="pain"' in html) == (path == "/produits?q=pain")
        assert 'id="site-search"' in html and "pain &lt;b&gt;" not in html


def test_a_part_is_rendered_once_for_every_page_of_a_language(app, monkeypatch):  # type: ignore[no-untyped-def]
    rendered: list[str] = []
    get_template = app.jinja_env.get_template

    def counting(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name.startswith("_layout/"):
            rendered.append(name)
        return get_template(name, *args, **kwargs)

    monkeypatch.setattr(app.jinja_env, "get_template", counting)
    monkeypatch.setattr(templating, "_layout_parts", WeakKeyDictionary())  # none kept by earlier tests
    client = app.test_client()
    first = client.get("/produits").get_data(as_text=True)
    parts = sorted(set(rendered))
    assert parts == ["_layout/footer_links.html", "_layout/head_links.html", "_layout/main_links.html",
                     "_layout/search.html"]
    for path in ("/produits", "/", "/produits"):
        assert client.get(path).status_code == 200
    assert sorted(rendered) == parts  # none rendered again
    assert client.get("/produits").get_data(as_text=True).count(FOOTER_FR) == first.count(FOOTER_FR) == 1
