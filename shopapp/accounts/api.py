"""JSON API: /api/v1/auth/… and /api/v1/me."""

from __future__ import annotations

from flask import Blueprint, current_app, g
from flask_login import current_user

from shopapp.accounts import services
from shopapp.accounts.access import login_required, public
from shopapp.accounts.schemas import SignupOut, SignupRequest, TokenOut, TokenRequest, user_out
from shopapp.core.api import documented, parse_body, respond
from shopapp.errors import DomainError
from shopapp.extensions import limiter

bp = Blueprint("accounts_api", __name__, url_prefix="/api/v1")


class BadCredentials(DomainError):
    status = 401
    code = "invalid_credentials"


@bp.post("/auth/token")
@public
@limiter.limit(lambda: str(current_app.config["LOGIN_RATE_LIMIT"]))
@documented("Issue a bearer token", body=TokenRequest, response=TokenOut)
def issue_token():  # type: ignore[no-untyped-def]
    data = parse_body(TokenRequest)
    user = services.authenticate(data.email, data.password)
    if user is None:
        raise BadCredentials("Adresse e-mail ou mot de passe incorrect.")
    _token, plain = services.issue_api_token(user, "api")
    return respond(TokenOut(token=plain, user=user_out(user)))


@bp.delete("/auth/token")
@login_required
@documented("Revoke the bearer token used for this request", auth="bearer", status=204)
def revoke_token():  # type: ignore[no-untyped-def]
    token = g.get("api_token")
    if token is None:
        raise DomainError("Seul un jeton porteur peut être révoqué ainsi.", code="not_a_token")
    services.revoke_api_token(current_user, token.id)
    return "", 204


@bp.post("/auth/signup")
@public
@limiter.limit(lambda: str(current_app.config["LOGIN_RATE_LIMIT"]))
@documented("Create a resident account", body=SignupRequest, response=SignupOut, status=201)
def signup():  # type: ignore[no-untyped-def]
    data = parse_body(SignupRequest)
    user = services.register_user(data.email, data.password, data.name, locale=data.locale)
    return respond(SignupOut(user=user_out(user)), 201)


@bp.get("/me")
@login_required
@documented("The current user", response=SignupOut, auth="bearer")
def me():  # type: ignore[no-untyped-def]
    return respond(SignupOut(user=user_out(current_user)))
