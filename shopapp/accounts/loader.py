"""Flask-Login wiring: session loader, bearer-token loader, and what 'unauthorized' means."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from flask_babel import lazy_gettext as _l

from shopapp.accounts.access import load_user_from_request
from shopapp.accounts.services import load_session_user
from shopapp.accounts.sessions import expire_idle_sessions
from shopapp.errors import is_api_request, json_error
from shopapp.extensions import login_manager


def init_login(app: Any) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Connectez-vous pour accéder à cette page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_user)
    login_manager.request_loader(load_user_from_request)

    app.before_request(expire_idle_sessions)

    @login_manager.unauthorized_handler
    def unauthorized():  # type: ignore[no-untyped-def]
        if is_api_request():
            return json_error(401, "unauthorized", "Authentification requise.")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
