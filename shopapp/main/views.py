"""Home page, health checks, staff pages (mail outbox, notices with resend) and the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select, text

from shopapp.accounts.access import public, role_required
from shopapp.accounts.forms import EmptyForm
from shopapp.accounts.models import Role
from shopapp.animations.queries import list_animations
from shopapp.catalog.models import Shop, ShopStatus
from shopapp.core import mail, page_cache
from shopapp.core.api import openapi_document
from shopapp.core.clock import utcnow
from shopapp.core.conditional import conditional_get
from shopapp.core.outbox import FAILED, OutboxJob
from shopapp.core.urls import public_url
from shopapp.extensions import db
from shopapp.main import venue_page
from shopapp.notices import services as notices
from shopapp.venue.queries import current_venue

bp = Blueprint("main", __name__)
HOME_ANIMATIONS = 4  # this week's animations shown on the home page


@bp.get("/")
@public
@conditional_get
@page_cache.for_visitors_without_session
def home():  # type: ignore[no-untyped-def]
    page_cache.defer_csrf_token()
    shops = db.session.scalars(
        select(Shop).where(Shop.status == ShopStatus.APPROVED).order_by(Shop.name)
    ).all()
    now = utcnow()
    viewer = current_user.id if current_user.is_authenticated else None
    week = list_animations(now, now + timedelta(days=7), viewer)[:HOME_ANIMATIONS]
    return render_template("main/home.html", shops=shops, venue=current_venue(), animations=week)


@bp.get("/jeton-csrf")
@public
def csrf_token():  # type: ignore[no-untyped-def]
    """A form's CSRF token, asked for by static/js/csrf.js when a catalog page came without one (the
    visitor had no session yet): it opens the session that will hold the token's secret."""
    response = jsonify({"csrf_token": page_cache.csrf_token()})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/le-lieu")
@public
def venue():  # type: ignore[no-untyped-def]
    """The venue: address and map link, opening hours and closures, next animations, how pickup works."""
    page = venue_page.venue_page(current_user.id if current_user.is_authenticated else None)
    return render_template("main/venue.html", page=page, map_url=venue_page.map_search_url(page.venue),
                           structured_data=venue_page.structured_data(page, public_url("main.venue")))


@bp.get("/favicon.ico")
@public
def favicon():  # type: ignore[no-untyped-def]
    # Asked for by browsers and crawlers at this fixed address whatever the page says.
    return send_from_directory(Path(current_app.static_folder or "") / "img", "favicon.ico", max_age=86400,
                               mimetype="image/vnd.microsoft.icon")


@bp.get("/accessibilite")
@public
def accessibility():  # type: ignore[no-untyped-def]
    """The accessibility statement (déclaration d'accessibilité, RGAA 4.1)."""
    return render_template("main/accessibility.html", contact=current_app.config["MAIL_FROM"])


@bp.get("/healthz")
@public
def healthz():  # type: ignore[no-untyped-def]
    """Liveness: the process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
@public
def readyz():  # type: ignore[no-untyped-def]
    """Readiness: the database answers and the broker accepts a connection."""
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        celery = current_app.extensions["celery"]
        with celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"error: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    response = jsonify(status="ok" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    if not ready:
        response.headers["Retry-After"] = "5"
    return response


def _mail_outbox_available() -> bool:
    # The folder holds every e-mail written (password-reset links, pickup codes): it exists only outside
    # production, and only admins read it.
    return current_app.config["PROFILE"] != "production" and current_user.has_role(Role.ADMIN)


@bp.get("/equipe/courriels")
@role_required(Role.ADMIN)
def mail_outbox():  # type: ignore[no-untyped-def]
    """Admin page outside production: messages written to the local mail outbox and recent jobs."""
    if current_app.config["PROFILE"] == "production":
        abort(404)
    jobs = db.session.scalars(select(OutboxJob).order_by(OutboxJob.id.desc()).limit(50)).all()
    return render_template(
        "staff/mail_outbox.html",
        messages=mail.list_outbox(),
        backend=current_app.config["MAIL_BACKEND"],
        jobs=jobs,
    )


@bp.get("/equipe/notifications")
@role_required(Role.VENUE, Role.ADMIN)
def staff_notices():  # type: ignore[no-untyped-def]
    """Staff page: recent notices (with a resend button for those not sent) and failed background jobs."""
    failed_jobs = db.session.scalars(
        select(OutboxJob).where(OutboxJob.status == FAILED).order_by(OutboxJob.id.desc()).limit(50)
    ).all()
    return render_template(
        "staff/notices.html",
        notices=notices.recent(),
        failed_jobs=failed_jobs,
        mail_outbox_available=_mail_outbox_available(),
        form=EmptyForm(),
    )


@bp.post("/equipe/notifications/<int:notice_id>/renvoyer")
@role_required(Role.VENUE, Role.ADMIN)
def resend_notice(notice_id: int):  # type: ignore[no-untyped-def]
    EmptyForm().validate_on_submit()
    notices.resend(notice_id)
    flash(_("La notification est remise en file d'envoi."), "success")
    return redirect(url_for("main.staff_notices"))


@bp.get("/api/v1/openapi.json")
@public
def openapi():  # type: ignore[no-untyped-def]
    return jsonify(openapi_document(current_app))
