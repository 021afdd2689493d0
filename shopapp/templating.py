"""Jinja filters shared by every page and e-mail: money, local times and days in the visitor's language;
the templates' `_()` and `ngettext()`."""

from __future__ import annotations

import functools
from datetime import date, datetime, tzinfo
from typing import Any
from weakref import WeakKeyDictionary

from babel import Locale
from babel import dates as babel_dates
from babel.dates import get_day_names
from babel.lists import format_list
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_app_context, has_request_context, request, url_for
from flask_babel import format_date, format_percent, get_translations
from flask_babel import gettext as _
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from shopapp.core.clock import as_utc
from shopapp.core.i18n import current_locale, current_timezone
from shopapp.core.money import format_cents

# The French patterns the templates use, and their English forms (`17 h 30` is `5:30 PM`).
ENGLISH_PATTERNS = {
    "EEEE d MMMM, HH 'h' mm": "EEEE d MMMM, h:mm a",
    "HH 'h' mm": "h:mm a",
    "d MMMM yyyy, HH 'h' mm": "d MMMM yyyy, h:mm a",
}


def format_local(value: datetime, pattern: str = "EEEE d MMMM, HH 'h' mm") -> str:
    """`jeudi 4 décembre, 17 h 30` in French, `Thursday 4 December, 5:30 PM` in English; the venue's time
    zone always."""
    locale = current_locale() or Locale.parse("fr")
    if str(locale).startswith("en"):
        pattern = ENGLISH_PATTERNS.get(pattern, pattern)
    return _formatted(as_utc(value), pattern, locale, current_timezone())


@functools.lru_cache(maxsize=1024)
def _formatted(moment: datetime, pattern: str, locale: Locale, zone: tzinfo) -> str:
    """flask-babel's `format_datetime` of one moment (held in UTC: two local times of the hour repeated in
    October compare equal), shown in `zone`, held: a town's notices and pages show the same few slot
    times over and over, and formatting one costs some 20 µs."""
    return str(babel_dates.format_datetime(moment, pattern, tzinfo=zone, locale=locale))


def format_day(value: date, pattern: str = "EEEE d MMMM y") -> str:
    """`jeudi 4 décembre 2026` in French, `Thursday 4 December 2026` in English."""
    return format_date(value, pattern)


def weekday_name(iso_weekday: int) -> str:
    """`lundi` for 1 … `dimanche` for 7, in the visitor's language."""
    return str(get_day_names("wide", locale=current_locale() or "fr")[(iso_weekday - 1) % 7])


def format_weekdays(iso_weekdays: list[int]) -> str:
    """`mardi, mercredi et jeudi` (ISO weekdays, Monday first), in the visitor's language."""
    return str(format_list([weekday_name(day) for day in sorted(set(iso_weekdays))], locale=current_locale() or "fr"))


def format_rate(bps: int) -> str:
    """A rate in basis points as people read it: `8,5 %` in French, `8.5%` in English."""
    pattern = current_locale().percent_formats[None].pattern.replace("#,##0", "#,##0.##")  # the locale's spacing
    return str(format_percent(bps / 10_000, format=pattern))


def format_price(cents: int, currency: str = "EUR") -> str:
    """A price as residents read it, taxes included (French law): `4,50 € TTC`, `€4.50 incl. VAT`."""
    return _("%(price)s TTC", price=format_cents(cents, currency))


def _translations() -> NullTranslations:
    """The translations of the language in force, held for the request or task. flask-babel looks them
    up again on each `_()` of a template through its context, domain and locale (some 9 µs; a page has
    about 40); held here by the locale object in force, so that `force_locale` (e-mails in the
    recipient's language) gets its own and what follows it gets the earlier language's back (the locale in
    force: `current_locale`)."""
    if not has_app_context():
        return get_translations()  # flask-babel's own answer there (no translations)
    held_by = g._get_current_object().__dict__  # type: ignore[attr-defined]
    locale = current_locale()
    held = held_by.get("_held_translations")
    if held is not None and held[0] is locale:
        return held[1]  # type: ignore[no-any-return]
    translations = get_translations()
    held_by["_held_translations"] = (locale, translations)
    return translations


# A template's `_("…")` without variables gives the same text for the same translations: kept, per
# translations object (weakly: an app dropped in tests takes its own with it). The strings are the
# templates' own, a few hundred; a catalogue past KEPT_PER_LANGUAGE of them starts again.
_kept: WeakKeyDictionary[NullTranslations, dict[tuple[str, bool], str]] = WeakKeyDictionary()
KEPT_PER_LANGUAGE = 4096


def _translated(translations: NullTranslations, string: str, autoescape: bool) -> str:
    kept = _kept.get(translations)
    if kept is None:
        kept = _kept[translations] = {}
    text = kept.get((string, autoescape))
    if text is None:
        if len(kept) >= KEPT_PER_LANGUAGE:
            kept.clear()
        # As Jinja's newstyle gettext: always a format string (`%%` is one `%`), safe markup when escaping.
        found = translations.ugettext(string)
        text = kept[(string, autoescape)] = (Markup(found) if autoescape else found) % {}  # noqa: S704 - our catalogs' text, as Jinja does
    return text


@pass_context
def _template_gettext(context: Context, string: str, **variables: Any) -> str:
    """The templates' `_()` and `gettext()`: Jinja's newstyle gettext (escaping, `%(name)s` variables),
    without its two indirections per call, and kept when there are no variables (some 19 µs a call
    before, 40 and more on a page, about as many in a notice)."""
    autoescape = context.eval_ctx.autoescape
    if not variables:
        return _translated(_translations(), string, autoescape)
    text = _translations().ugettext(string)
    return (Markup(text) if autoescape else text) % variables  # type: ignore[no-any-return]  # noqa: S704 - as above


# The URLs the templates build, by app (weakly, as `_kept`), script root, endpoint and arguments: a
# product list page asks for some 180 of them, and the same ones on every visit.
_built_urls: WeakKeyDictionary[Flask, dict[tuple[Any, ...], str]] = WeakKeyDictionary()
BUILT_URLS_KEPT = 8192


def _template_url_for(endpoint: str, **values: Any) -> str:
    """The templates' `url_for`: Flask's, with each relative URL built once per process (werkzeug builds one
    in some 4.5 µs). Kept only what depends on nothing but the URL map (fixed once the app is made), the
    request's script root and the arguments: not a relative endpoint (`.name`, read from the request's
    blueprint), nor `_external`, `_anchor`, `_method` or `_scheme`, nor outside a request (e-mails), nor
    when the app has `url_defaults` functions (none today)."""
    if endpoint[:1] == "." or not has_request_context() or any(key[:1] == "_" for key in values):
        return url_for(endpoint, **values)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.url_default_functions:
        return url_for(endpoint, **values)
    built = _built_urls.get(app)
    if built is None:
        built = _built_urls[app] = {}
    try:
        key = (request.script_root, endpoint, *sorted(values.items()))
        url = built.get(key)
    except TypeError:  # an unhashable argument (a list of values for one name): built each time
        return url_for(endpoint, **values)
    if url is None:
        url = url_for(endpoint, **values)  # an unknown endpoint raises here, as always; nothing is kept
        if len(built) >= BUILT_URLS_KEPT:
            built.clear()
        built[key] = url
    return url


# The layout's parts that are the same on every page for a language and a venue name (its links, the
# search form, the footer), by app (weakly, as `_kept`): rendered once, where each page rendered their
# two dozen `_()` and `url_for` (a quarter of a product page's rendering: 813 -> 610 µs in-process).
_layout_parts: WeakKeyDictionary[Flask, dict[tuple[Any, ...], Markup]] = WeakKeyDictionary()
LAYOUT_PARTS_KEPT = 256


@pass_context
def _layout_part(context: Context, name: str, **variables: str) -> Markup:
    """The layout's template `name` rendered with the page's language, the venue's name and `variables`
    (plain values, part of what it is kept by) and nothing else: no request, no visitor, no context
    processor. Kept by request script root, name, language, venue name and variables; rendered each time
    outside a request."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    values = {"current_locale": str(context["current_locale"]), "venue_name": str(context["venue_name"]),
              **variables}
    if not has_request_context():
        return Markup(app.jinja_env.get_template(name).render(values))  # noqa: S704 - our own template's output
    kept = _layout_parts.get(app)
    if kept is None:
        kept = _layout_parts[app] = {}
    key = (request.script_root, name, *sorted(values.items()))
    html = kept.get(key)
    if html is None:
        html = Markup(app.jinja_env.get_template(name).render(values))  # noqa: S704 - as above
        if len(kept) >= LAYOUT_PARTS_KEPT:
            kept.clear()
        kept[key] = html
    return html


def register_template_filters(app: Flask) -> None:
    # In place of the callables flask-babel installs (same behaviour, the lookup held: `_translations`).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(gettext=_template_gettext, _=_template_gettext, url_for=_template_url_for,
                                  layout_part=_layout_part)
    app.jinja_env.filters["weekday"] = weekday_name
    app.jinja_env.filters["weekdays"] = format_weekdays
    app.jinja_env.filters["cents"] = format_cents
    app.jinja_env.filters["ttc"] = format_price
    app.jinja_env.filters["local"] = format_local
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["rate"] = format_rate
