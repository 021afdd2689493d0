"""Adopte mon commerçant: the application factory."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from flask import Flask, Response, has_request_context, make_response, render_template, request
from flask_babel.speaklater import LazyString
from werkzeug.middleware.proxy_fix import ProxyFix

# Every model module, so that the metadata (migrations, create_all in tests) sees all tables.
import shopapp.accounts.models
import shopapp.animations.models
import shopapp.association.models
import shopapp.catalog.models
import shopapp.members.models
import shopapp.notices.models
import shopapp.orders.models
import shopapp.payments.models
import shopapp.standing.models
import shopapp.venue.models  # noqa: F401
from shopapp.accounts import api as accounts_api
from shopapp.accounts import views as accounts_views
from shopapp.accounts.access import is_bearer_request
from shopapp.accounts.loader import init_login
from shopapp.animations import api as animations_api
from shopapp.animations import venue_views as animations_venue_views
from shopapp.animations import views as animations_views
from shopapp.association import (
    dashboard_views,
    fee_views,
    legal_views,
    member_views,
    nomination_views,
    people_views,
    settings_views,
    team_views,
)
from shopapp.association import views as association_views
from shopapp.catalog import api as catalog_api
from shopapp.catalog import views as catalog_views
from shopapp.celery import celery_init_app
from shopapp.checkout import api as checkout_api
from shopapp.checkout import views as checkout_views
from shopapp.cli import register_cli
from shopapp.config import Config, config_for_environment
from shopapp.core import outbox, page_cache
from shopapp.core.cache import serve_kept
from shopapp.core.db import serialise_sqlite_writers
from shopapp.core.i18n import current_locale, select_locale
from shopapp.core.logs import configure_logging
from shopapp.core.sessions import CookieSessions
from shopapp.core.transaction import commit
from shopapp.core.urls import DatabaseIdConverter
from shopapp.errors import register_error_handlers
from shopapp.extensions import babel, cache, csrf, db, limiter, migrate
from shopapp.main import views as main_views
from shopapp.orders import api as orders_api
from shopapp.orders import views as orders_views
from shopapp.payments import membership_pages
from shopapp.payments import pages as payments_pages
from shopapp.payments import views as payments_views
from shopapp.payments.stripe_js import stripe_form_origins, stripe_origins
from shopapp.privacy import views as privacy_views
from shopapp.standing import api as standing_api
from shopapp.standing import views as standing_views
from shopapp.templating import register_template_filters
from shopapp.venue.queries import venue_name


def create_app(config: type[Config] | None = None) -> Flask:
    """Build the app. No migrations, no network: only configuration and wiring."""
    settings = (config or config_for_environment())()
    app = Flask("shopapp", instance_path=settings.INSTANCE_PATH, instance_relative_config=False)
    app.url_map.converters["int"] = DatabaseIdConverter  # before any route is declared
    app.config.from_object(settings)
    app.config.from_prefixed_env()  # FLASK_* variables override any setting
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    configure_logging(app)
    app.session_interface = CookieSessions()
    # First after the request id: a kept public answer is served before any other work (core/cache.py).
    app.before_request(serve_kept)

    # Extensions, in this order: the database first (everything reads it), then migrations,
    # sessions and log-in (need the models), CSRF, rate limits, translations, cache, Celery last.
    db.init_app(app)
    with app.app_context():  # builds the engine object only; nothing connects here
        serialise_sqlite_writers(db.engine)
    migrations = Path(__file__).resolve().parent / "migrations"  # packaged with the app
    migrate.init_app(app, db, render_as_batch=True, compare_type=True, directory=str(migrations))
    init_login(app)
    csrf.init_app(app)
    # Templates' `csrf_token()`: deferred on catalog pages for a visitor without a session (page_cache).
    app.jinja_env.globals["csrf_token"] = page_cache.csrf_token
    limiter.init_app(app)
    _check_shared_limits_once_set(app)
    babel.init_app(app, locale_selector=select_locale)
    cache.init_app(app)
    celery_init_app(app)

    _register_blueprints(app)
    _register_request_boundary(app)
    register_error_handlers(app)
    register_template_filters(app)
    app.context_processor(_template_globals)
    register_cli(app)
    return app


def _check_shared_limits_once_set(app: Flask) -> None:
    """Flask-Limiter checks before every request the limits many routes share (default, application, meta and
    blueprint limits, and its in-memory fallback); a limit decorating a view is checked by its decorator when
    the view runs. The app sets none of the shared ones (each of its limits decorates its view, the log-in's
    first), and that check alone costs some 0.4M instructions a request, as much as a kept page's other hooks
    together: it runs only once such a limit is set (RATELIMIT_DEFAULT in the environment, say). Should a
    release of Flask-Limiter name these settings otherwise, the check runs on every request, as before."""
    check = limiter._check_request_limit
    hooks = app.before_request_funcs.setdefault(None, [])
    if check not in hooks:
        return

    def check_shared_limits() -> None:
        manager = limiter.limit_manager
        if (getattr(manager, "default_limits", True) or getattr(manager, "application_limits", True)
                or getattr(manager, "_blueprint_limits", True) or getattr(limiter, "_meta_limits", True)
                or getattr(limiter, "_in_memory_fallback_enabled", True)):
            check()

    hooks[hooks.index(check)] = check_shared_limits


def _register_blueprints(app: Flask) -> None:
    for blueprint in (
        main_views.bp, accounts_views.bp, accounts_api.bp,
        association_views.bp, team_views.bp, nomination_views.bp, settings_views.bp, dashboard_views.bp,
        people_views.bp,
        member_views.bp,
        fee_views.bp,
        legal_views.bp,
        payments_views.bp, payments_pages.bp, membership_pages.bp,
        catalog_views.bp, catalog_api.bp,
        orders_views.bp, orders_api.bp,
        checkout_views.bp, checkout_api.bp,
        animations_api.bp, animations_views.bp, animations_venue_views.bp,
        privacy_views.bp,
        standing_views.bp, standing_api.bp,
    ):
        app.register_blueprint(blueprint)


def confirm_post() -> Response:
    """The same form again, to confirm, with a CSRF token (and so a session from now on)."""
    fields = [(name, value) for name, value in request.form.items(multi=True) if name != "csrf_token"]
    response = make_response(render_template("confirm_post.html", action=request.full_path.rstrip("?"),
                                             fields=fields))
    response.headers["Cache-Control"] = "no-store"
    return response


def _template_globals() -> dict[str, object]:
    """What every page's layout and every e-mail needs: the locale, the venue's name, and on a page the
    CSRF token of its forms."""
    locale = str(current_locale() or "fr")
    # Read only when a template shows it (the 503 page of a database outage does not).
    venue = LazyString(venue_name)
    if not has_request_context():  # e-mails rendered by the worker
        return {"current_locale": locale, "venue_name": venue}
    return {
        "current_locale": locale,
        "venue_name": venue,
        # Over Flask-WTF's own (its context processor would win over the environment's global). The layout's
        # log-out and language forms write their token with it, which a catalog page defers for a visitor
        # without a session.
        "csrf_token": page_cache.csrf_token,
    }


# The settings the CSP is made of: it is built once for each set of their values (tests change them).
CSP_SETTINGS = ("STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_JS_URL", "STRIPE_LOCALSTRIPE",
                "STRIPE_CONNECT_API_BASE")


def content_security_policy(config: Any) -> str:
    """The CSP: our own origin only, plus Stripe.js and the Stripe API it talks to (frames for 3-D
    Secure) when card payments are configured — real Stripe, or localstripe's stand-in in tests/demo —
    and Stripe's Connect onboarding as a form's redirect target."""
    return _content_security_policy(tuple((name, config.get(name)) for name in CSP_SETTINGS))


@functools.lru_cache(maxsize=16)
def _content_security_policy(settings: tuple[tuple[str, Any], ...]) -> str:
    config = dict(settings)
    script, connect, frame = stripe_origins(config)
    return (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        f"script-src 'self'{script}; connect-src 'self'{connect}; frame-src 'self'{frame}; "
        f"frame-ancestors 'none'; form-action 'self'{stripe_form_origins(config)}; base-uri 'self'"
    )


def _register_request_boundary(app: Flask) -> None:
    """CSRF policy, one commit per request, security headers."""
    @app.before_request
    def check_csrf() -> None:
        # Every state-changing browser request carries a CSRF token. Exempt: bearer-token API calls
        # (no ambient cookie authority), API calls without a session cookie (token issue, sign-up from
        # an app), the signed Stripe webhook, and the one-click unsubscribe of RFC 8058 (a mail client's POST
        # without cookies; its signed link is the authority, and it can only turn notices off).
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return
        if request.path.startswith(("/webhooks/", "/desabonnement/")) or is_bearer_request():
            return
        if request.path.startswith("/api/") and app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            return
        if (app.config["SESSION_COOKIE_NAME"] not in request.cookies and "csrf_token" in request.form
                and not request.form["csrf_token"]):
            # A form from a catalog page that came without a token (no session then) and was sent without
            # JavaScript to fetch one: nothing is done; the visitor confirms on a page that has a token.
            return confirm_post()
        csrf.protect()

    @app.after_request
    def commit_or_rollback(response):  # type: ignore[no-untyped-def]
        # Success (< 400) commits what the services flushed; an error response rolls it back.
        if response.status_code < 400:
            commit()
        else:
            outbox.forget_new_jobs(db.session)
            db.session.rollback()
        return response

    @app.teardown_request
    def forget_jobs_on_error(exc: BaseException | None) -> None:
        if exc is not None:
            outbox.forget_new_jobs(db.session)

    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        # Each header unless the view set its own. (Headers.setdefault tests presence by raising and
        # catching a KeyError per header: a few dozen microseconds on every answer, kept pages included.)
        present = {name.lower() for name, _value in response.headers}
        for name, value in (
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "same-origin"),
            ("X-Frame-Options", "DENY"),
            ("Content-Security-Policy", content_security_policy(app.config)),
            *((("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),) if request.is_secure else ()),
        ):
            if name.lower() not in present:
                response.headers.add(name, value)
        return response
