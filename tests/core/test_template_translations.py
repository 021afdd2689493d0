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


def test_gettext_keeps_jinja_newstyle_rules_with_and_without_variables(app):  # type: ignore[no-untyped-def]
    # `_()` without variables is kept per language (shopapp.templating._translated); it must give what
    # Jinja's own newstyle gettext gives: a format string always (`%%` is one `%`), safe markup, and
    # variables escaped when they are given.
    with app.test_request_context("/"):
        assert render_template_string('{{ _("100%% local") }}') == "100% local"
        assert render_template_string('{{ _("Bonjour %(name)s", name=who) }}', who="<b>Zoé</b>") == (
            "Bonjour &lt;b&gt;Zoé&lt;/b&gt;")
        assert render_template_string('{{ gettext("Mon panier") }}|{{ _("Mon panier") }}') == "Mon panier|Mon panier"
        with force_locale("en"):
            assert render_template_string('{{ _("Mon panier") }}|{{ _("Mon panier") }}') == "My basket|My basket"
        assert render_template_string('{{ _("Mon panier") }}') == "Mon panier"
