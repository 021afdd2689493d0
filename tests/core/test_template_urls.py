"""Templates' `url_for` builds each URL once per process (shopapp/templating.py), and gives what Flask's
`url_for` gives: under another script root, with query arguments, for a relative endpoint or an external
URL, and the same error for an endpoint that does not exist."""

from __future__ import annotations

import pytest
from flask import render_template_string, url_for
from werkzeug.routing import BuildError

CALLS = [
    ("static", {"filename": "css/site.css"}),
    ("catalog.product", {"product_id": 12}),
    ("catalog.products", {"q": "pain de campagne", "page": 2}),
    ("catalog.media", {"filename": "ab/cd-400.jpg"}),
    ("accounts.login", {"next": None}),
    ("accounts.login", {"next": "/produits/12"}),
    ("catalog.product", {"product_id": 12, "_anchor": "avis"}),
    ("catalog.product", {"product_id": 12, "_external": True}),
]


def test_the_templates_urls_are_flasks_whatever_the_script_root(app):  # type: ignore[no-untyped-def]
    template = "|".join(f"{{{{ url_for(calls[{i}][0], **calls[{i}][1]) }}}}" for i in range(len(CALLS)))
    for script_root in ("", "/ville", ""):  # one app, one process: what is kept for one root is not the other's
        with app.test_request_context("/produits", base_url=f"http://localhost{script_root}"):
            expected = [url_for(endpoint, **values) for endpoint, values in CALLS]
            assert expected[0] == f"{script_root}/static/css/site.css"
            for _ in range(2):  # built, then kept
                assert render_template_string(template, calls=CALLS).split("|") == [
                    str(url).replace("&", "&amp;") for url in expected]


def test_a_relative_endpoint_and_an_unknown_one_give_what_flask_gives(app):  # type: ignore[no-untyped-def]
    with app.test_request_context("/produits"):
        app.preprocess_request()  # the request's endpoint (catalog.products), as a real request has it
        assert render_template_string("{{ url_for('.product', product_id=3) }}") == "/produits/3"
        for _ in range(2):
            with pytest.raises(BuildError):
                render_template_string("{{ url_for('catalog.nowhere') }}")
