"""Role checks for views and API routes, and bearer-token authentication."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, request
from flask_login import current_user

from shopapp.accounts.services import user_for_api_token
from shopapp.extensions import login_manager

F = TypeVar("F", bound=Callable[..., Any])


def login_required(view: F) -> F:
    """Anonymous → log-in page (HTML) or 401 (API)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    wrapped._access = ("login",)  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]


def role_required(*roles: str) -> Callable[[F], F]:
    """Allow only users holding one of `roles`: anonymous → log-in / 401, wrong role → 403."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped._access = ("roles", *roles)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate


def public(view: F) -> F:
    """Mark a route as open to everyone (the access matrix test reads this mark)."""
    view._access = ("public",)  # type: ignore[attr-defined]
    return view


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def load_user_from_request(req: Any) -> Any:
    """Flask-Login request loader: `Authorization: Bearer <token>` on API routes only."""
    if not req.path.startswith("/api/"):
        return None
    plain = bearer_token()
    if plain is None:
        return None

    found = user_for_api_token(plain)
    if found is None:
        return None
    user, token = found
    g.api_token = token
    return user


def is_bearer_request() -> bool:
    return request.path.startswith("/api/") and bearer_token() is not None
