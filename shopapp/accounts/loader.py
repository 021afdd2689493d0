"""Flask-Login wiring: session loader, bearer-token loader, and what 'unauthorized' means."""

from __future__ import annotations

import time
from typing import Any

from flask import flash, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import logout_user

from shopapp.accounts.access import load_user_from_request
from shopapp.accounts.services import load_session_user
from shopapp.errors import is_api_request, json_error
from shopapp.extensions import login_manager


def mark_session_start() -> None:
    """Stamp a new log-in session for the idle and absolute timeouts."""
    now = int(time.time())
    session["auth_at"] = now
    session["seen_at"] = now


def init_login(app: Any) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Connectez-vous pour accéder à cette page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_user)
    login_manager.request_loader(load_user_from_request)

    @app.before_request
    def expire_idle_sessions():  # type: ignore[no-untyped-def]
        # Idle and absolute timeouts for browser sessions (bearer tokens are not sessions).
        if "_user_id" not in session or request.path.startswith("/static/"):
            return None
        now = int(time.time())
        started = session.get("auth_at", now)
        seen = session.get("seen_at", now)
        idle = app.config["SESSION_IDLE_MINUTES"] * 60
        absolute = app.config["SESSION_ABSOLUTE_HOURS"] * 3600
        if now - seen > idle or now - started > absolute:
            logout_user()
            session.clear()
            flash(_l("Votre session a expiré. Merci de vous reconnecter."), "info")
            return None
        if now - seen > 60:  # refresh at most once a minute to keep the cookie stable
            session["seen_at"] = now
        return None

    @login_manager.unauthorized_handler
    def unauthorized():  # type: ignore[no-untyped-def]
        if is_api_request():
            return json_error(401, "unauthorized", "Authentification requise.")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
