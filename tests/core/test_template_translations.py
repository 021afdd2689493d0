"""Templates' `_()` and `ngettext()` hold the request's translations (shopapp/templating.py), yet follow
the language in force: an e-mail rendered in its recipient's language, then the page's own again."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale

TEMPLATE = '{{ _("Mon panier") }}|{{ ngettext("%(num)d article", "%(num)d articles", 2) }}'


def test_templates_follow_the_language_in_force_within_one_request(app):  # type: ignore[no-untyped-def]
    with app.test_request_context("/"):
        assert render_template_string(TEMPLATE) == "Mon panier|2 articles"
        with force_locale("en"):
            assert render_template_string(TEMPLATE) == "My basket|2 items"
        assert render_template_string(TEMPLATE) == "Mon panier|2 articles"
        with force_locale("en"):
            assert render_template_string('{{ _("Mon panier") }}') == "My basket"


def test_a_session_in_english_gets_english_templates(app):  # type: ignore[no-untyped-def]
    with app.test_request_context("/"):
        from flask import session

        session["lang"] = "en"
        assert render_template_string('{{ _("Mon panier") }}') == "My basket"
