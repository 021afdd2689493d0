"""Domain errors and the one error policy: JSON envelope under /api and /webhooks, French pages elsewhere."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request, session
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule refused the operation. `code` is the stable API code, `message` is shown to people."""

    status = 409
    code = "conflict"

    def __init__(self, message: str | None = None, *, code: str | None = None, fields: dict[str, str] | None = None):
        super().__init__(message or self.code)
        self.message = str(message) if message is not None else self.code
        if code is not None:
            self.code = code
        self.fields = fields or {}


class NotFoundError(DomainError):
    status = 404
    code = "not_found"


class ForbiddenError(DomainError):
    status = 403
    code = "forbidden"


class ValidationFailed(DomainError):
    status = 422
    code = "invalid"


class InvalidTransition(DomainError):
    status = 409
    code = "invalid_transition"


class InsufficientStock(DomainError):
    status = 409
    code = "insufficient_stock"


class SlotFull(DomainError):
    status = 409
    code = "slot_full"


HTTP_TITLES = {
    400: _l("Requête invalide"),
    401: _l("Connexion requise"),
    403: _l("Accès refusé"),
    404: _l("Page introuvable"),
    405: _l("Méthode non autorisée"),
    409: _l("Conflit"),
    413: _l("Fichier trop volumineux"),
    422: _l("Données invalides"),
    429: _l("Trop de tentatives"),
    500: _l("Erreur du serveur"),
    503: _l("Service momentanément indisponible"),
}

HTTP_MESSAGES = {
    400: _l("La requête n'a pas pu être comprise."),
    401: _l("Veuillez vous connecter pour continuer."),
    403: _l("Vous n'avez pas accès à cette page."),
    404: _l("La page demandée n'existe pas ou n'est plus disponible."),
    405: _l("Cette action n'est pas permise ici."),
    413: _l("Le fichier envoyé dépasse la taille autorisée."),
    429: _l("Trop de tentatives en peu de temps. Merci de patienter une minute avant de réessayer."),
    500: _l("Une erreur inattendue s'est produite. L'équipe a été prévenue."),
    503: _l("Le service est momentanément indisponible. Merci de réessayer dans un instant."),
}

HTTP_CODES = {
    400: "malformed",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


def is_api_request() -> bool:
    return request.path.startswith(("/api/", "/webhooks/"))


def json_error(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    return response


def _render(status: int, message: str | None = None, code: str | None = None) -> tuple[str, int] | Response:
    text = message or str(HTTP_MESSAGES.get(status, HTTP_MESSAGES[500]))
    if is_api_request():
        return json_error(status, code or HTTP_CODES.get(status, "error"), text)
    title = HTTP_TITLES.get(status, HTTP_TITLES[500])
    return render_template("errors/error.html", status=status, title=title, message=text), status


DATABASE_RETRY_AFTER_SECONDS = 5


def is_database_unavailable(error: BaseException | None) -> bool:
    """The database could not be reached or dropped the connection (a restart, a failover, a network cut):
    a moment's outage, not a bug. Other database errors (integrity, data) stay server errors."""
    return isinstance(error, OperationalError) or (isinstance(error, DBAPIError) and error.connection_invalidated)


def database_unavailable_response() -> Response:
    """503 with Retry-After; nothing was committed (the request's transaction is rolled back by the
    commit boundary). The page is rendered without the site layout, whose context reads the database."""

    status = 503
    # The signed-in user's language is stored in the database: take the session's choice, else French.
    chosen = session.get("lang")
    locale = chosen if chosen in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        message = str(HTTP_MESSAGES[status])
        if is_api_request():
            response = json_error(status, HTTP_CODES[status], message)
        else:
            html = current_app.jinja_env.get_template("errors/unavailable.html").render(
                title=str(HTTP_TITLES[status]), message=message, request=request, lang=locale
            )
            response = Response(html, status=status, mimetype="text/html")
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):  # type: ignore[no-untyped-def]
        if is_api_request():
            return json_error(error.status, error.code, error.message, error.fields)
        return _render(error.status, error.message, error.code)

    @app.errorhandler(CSRFError)
    def handle_csrf(error: CSRFError):  # type: ignore[no-untyped-def]
        message = str(_l("Le formulaire a expiré ou n'est pas valide. Rechargez la page et réessayez."))
        return _render(400, message, "csrf_failed")

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):  # type: ignore[no-untyped-def]
        status = error.code or 500
        response = _render(status, None)
        if status == 429 and error.get_response().headers.get("Retry-After"):
            resp = app.make_response(response)
            resp.headers["Retry-After"] = error.get_response().headers["Retry-After"]
            return resp
        return response

    @app.errorhandler(DBAPIError)
    def handle_database_error(error: DBAPIError):  # type: ignore[no-untyped-def]
        if is_database_unavailable(error):
            log.warning("database unavailable", extra={"error": type(error.orig).__name__})
            return database_unavailable_response()
        return handle_unexpected(error)

    @app.errorhandler(InternalServerError)
    def handle_internal(error: InternalServerError):  # type: ignore[no-untyped-def]
        # An error raised outside the view (the commit in after_request) reaches Flask as a 500 wrapping it.
        if is_database_unavailable(error.original_exception):
            log.warning("database unavailable at commit")
            return database_unavailable_response()
        return handle_http(error)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error")
        # A failed flush leaves the session unusable, and the error page reads the database (the signed-in
        # user's language): roll back first. The commit boundary still forgets the request's outbox jobs.
        # Imported here: the lowest modules (clock, core.db) import this one.
        from shopapp.extensions import db  # noqa: PLC0415

        db.session.rollback()
        return _render(500)
