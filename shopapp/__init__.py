"""Adopte mon commerçant: the application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, request

from shopapp.config import Config, config_for_environment


def create_app(config: type[Config] | None = None) -> Flask:
    """Build the app. No migrations, no network: only configuration and wiring."""
    settings = (config or config_for_environment())()
    app = Flask(__name__, instance_path=settings.INSTANCE_PATH, instance_relative_config=False)
    from shopapp.core.urls import DatabaseIdConverter

    app.url_map.converters["int"] = DatabaseIdConverter  # before any route is declared
    app.config.from_object(settings)
    app.config.from_prefixed_env()  # FLASK_* variables override any setting
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from shopapp.core.logs import configure_logging

    configure_logging(app)

    # Extensions, in this order: the database first (everything reads it), then migrations,
    # sessions and log-in (need the models), CSRF, rate limits, translations, cache, Celery last.
    from shopapp.accounts.loader import init_login
    from shopapp.celery import celery_init_app
    from shopapp.core.i18n import select_locale
    from shopapp.extensions import babel, cache, csrf, db, limiter, migrate

    db.init_app(app)
    with app.app_context():  # builds the engine object only; nothing connects here
        from shopapp.core.db import serialise_sqlite_writers

        serialise_sqlite_writers(db.engine)
    migrations = Path(__file__).resolve().parent.parent / "migrations"
    migrate.init_app(app, db, render_as_batch=True, compare_type=True, directory=str(migrations))
    init_login(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    cache.init_app(app)
    celery_init_app(app)

    _import_models()
    _register_blueprints(app)
    _register_request_boundary(app)

    from shopapp.errors import register_error_handlers
    from shopapp.templating import register_template_helpers

    register_error_handlers(app)
    register_template_helpers(app)

    from shopapp.cli import register_cli

    register_cli(app)
    return app


def _import_models() -> None:
    """Every model module, so that metadata (migrations, create_all in tests) sees all tables."""
    import shopapp.accounts.models
    import shopapp.animations.models
    import shopapp.association.models
    import shopapp.catalog.models
    import shopapp.core.outbox
    import shopapp.members.models
    import shopapp.notices.models
    import shopapp.orders.models
    import shopapp.payments.models
    import shopapp.venue.models  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from shopapp.accounts import api as accounts_api
    from shopapp.accounts import views as accounts_views
    from shopapp.catalog import api as catalog_api
    from shopapp.catalog import views as catalog_views
    from shopapp.main import views as main_views
    from shopapp.payments import views as payments_views

    app.register_blueprint(main_views.bp)
    app.register_blueprint(accounts_views.bp)
    app.register_blueprint(accounts_api.bp)
    from shopapp.association import dashboard_views
    from shopapp.association import views as association_views

    app.register_blueprint(association_views.bp)
    app.register_blueprint(dashboard_views.bp)
    app.register_blueprint(payments_views.bp)
    app.register_blueprint(catalog_views.bp)
    app.register_blueprint(catalog_api.bp)
    from shopapp.orders import api as orders_api
    from shopapp.orders import views as orders_views

    app.register_blueprint(orders_views.bp)
    app.register_blueprint(orders_api.bp)
    from shopapp.checkout import api as checkout_api
    from shopapp.checkout import views as checkout_views
    from shopapp.payments import pages as payments_pages

    app.register_blueprint(checkout_views.bp)
    app.register_blueprint(checkout_api.bp)
    app.register_blueprint(payments_pages.bp)
    _register_animation_blueprints(app)


def _register_animation_blueprints(app: Flask) -> None:
    from shopapp.animations import api as animations_api
    from shopapp.animations import venue_views as animations_venue_views
    from shopapp.animations import views as animations_views
    from shopapp.privacy import views as privacy_views

    app.register_blueprint(animations_api.bp)
    app.register_blueprint(animations_views.bp)
    app.register_blueprint(animations_venue_views.bp)
    app.register_blueprint(privacy_views.bp)


def content_security_policy(config: Any) -> str:
    """The CSP: our own origin only, plus Stripe.js and the Stripe API it talks to (frames for 3-D
    Secure) when card payments are configured — real Stripe, or localstripe's stand-in in tests/demo."""
    from shopapp.payments.stripe_js import stripe_origins

    script, connect, frame = stripe_origins(config)
    return (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        f"script-src 'self'{script}; connect-src 'self'{connect}; frame-src 'self'{frame}; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
    )


def _register_request_boundary(app: Flask) -> None:
    """CSRF policy, one commit per request, security headers."""
    from shopapp.accounts.access import is_bearer_request
    from shopapp.core import outbox
    from shopapp.core.transaction import commit
    from shopapp.extensions import csrf, db

    @app.before_request
    def check_csrf() -> None:
        # Every state-changing browser request carries a CSRF token. Exempt: bearer-token API calls
        # (no ambient cookie authority), API calls without a session cookie (token issue, sign-up from
        # an app), and the signed Stripe webhook.
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return
        if request.path.startswith("/webhooks/") or is_bearer_request():
            return
        if request.path.startswith("/api/") and app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            return
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
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", content_security_policy(app.config))
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
