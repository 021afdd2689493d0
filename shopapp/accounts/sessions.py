"""Browser log-in sessions: the one way to start one, and their idle and absolute timeouts.

Every log-in path (log-in form, sign-up, accepting an invitation) calls `start_session`, so each new
session is rotated and stamped alike; `expire_idle_sessions` ends one that sat idle too long or lived
too long. A signed-in session without stamps is treated as expired.
"""

from __future__ import annotations

from flask import current_app, flash, request, session
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user

from shopapp.accounts.models import User
from shopapp.core.clock import utcnow

# What survives the session rotation at log-in: the language, and the anonymous basket's token, which
# the orders package merges into the account's basket on the next request (orders.session).
CARRIED_ACROSS_LOG_IN = ("lang", "basket_token")


def _now() -> int:
    return int(utcnow().timestamp())


def start_session(user: User) -> None:
    """Log `user` in on a fresh session: nothing from before survives but `CARRIED_ACROSS_LOG_IN`, and
    the session is stamped for the idle and absolute timeouts. Commits nothing."""
    keep = {key: session[key] for key in CARRIED_ACROSS_LOG_IN if key in session}
    session.clear()
    session.update(keep)
    login_user(user)
    now = _now()
    session["auth_at"] = now
    session["seen_at"] = now


def expire_idle_sessions() -> None:
    """Before each request: log out a browser session idle past SESSION_IDLE_MINUTES, older than
    SESSION_ABSOLUTE_HOURS, or never stamped by `start_session` (bearer tokens are not sessions)."""
    if "_user_id" not in session or request.path.startswith("/static/"):
        return
    now = _now()
    started, seen = session.get("auth_at"), session.get("seen_at")
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    absolute = current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    if started is None or seen is None or now - seen > idle or now - started > absolute:
        logout_user()
        session.clear()
        flash(_l("Votre session a expiré. Merci de vous reconnecter."), "info")
        return
    if now - seen > 60:  # refresh at most once a minute to keep the cookie stable
        session["seen_at"] = now
