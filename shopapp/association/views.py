"""Association pages: shops applying to join and the application queue, the shops (decisions, logo,
commission, acting for one), and the request hooks of acting for a shop. Everything under /association
is for admins only. A shop's team is in `team_views.py`, nominations in `nomination_views.py`, the venue
settings in `settings_views.py`, the impact dashboard in `dashboard_views.py`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from shopapp.accounts.access import public, role_required
from shopapp.accounts.forms import EmptyForm
from shopapp.accounts.models import Role
from shopapp.association import applications as shop_applications
from shopapp.association import services
from shopapp.association import team as shop_teams
from shopapp.association.forms import ApplicationForm, MessageForm, NoteForm, ReasonForm, ShopCommissionForm
from shopapp.association.models import ApplicationStatus
from shopapp.catalog import images, shop_details
from shopapp.catalog.access import ACTING_SESSION_KEY, acting_shop_id
from shopapp.catalog.forms import LogoForm
from shopapp.catalog.models import Shop
from shopapp.core.forms import report_errors, save_upload
from shopapp.errors import DomainError
from shopapp.extensions import db
from shopapp.payments import commission

bp = Blueprint("association", __name__)
admin_only = role_required(Role.ADMIN)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


# -- request hooks: acting for a shop ----------------------------------------------------------------


@bp.before_app_request
def log_request_made_while_acting() -> None:
    # Logged in the request's own transaction: kept when the request succeeds, rolled back with it.
    if request.method in SAFE_METHODS:
        return
    shop_id = acting_shop_id()
    if shop_id is None:
        return
    services.log_acting_request(admin_id=current_user.id, shop_id=shop_id, method=request.method,
                                path=request.path, endpoint=request.endpoint or "")


@bp.app_context_processor
def inject_acting_shop() -> dict[str, Any]:
    shop_id = acting_shop_id()
    return {"acting_shop": db.session.get(Shop, shop_id) if shop_id is not None else None}


# -- joining ------------------------------------------------------------------------------------------


@bp.route("/rejoindre", methods=["GET", "POST"])
@public
def join():  # type: ignore[no-untyped-def]
    form = ApplicationForm()
    if form.validate_on_submit():
        try:
            shop_applications.submit_application(shop_applications.ApplicationData(
                shop_name=form.shop_name.data or "", trade=form.trade.data or "", address=form.address.data or "",
                contact_name=form.contact_name.data or "", email=form.email.data or "",
                phone=form.phone.data or "", siret=form.siret.data or "", sells=form.sells.data or "",
            ))
        except DomainError as error:
            report_errors(form, error)
        else:
            return redirect(url_for("association.join_done"))
    return render_template("association/join.html", form=form), 422 if form.errors else 200


@bp.get("/rejoindre/merci")
@public
def join_done():  # type: ignore[no-untyped-def]
    return render_template("association/join_done.html")


# -- the application queue ----------------------------------------------------------------------------


@bp.get("/association/candidatures")
@admin_only
def applications():  # type: ignore[no-untyped-def]
    show_all = request.args.get("toutes") == "1"
    return render_template("association/applications.html", show_all=show_all,
                           applications=shop_applications.list_applications(pending_only=not show_all))


def _application_page(application_id: int, status: int = 200, **forms: FlaskForm):  # type: ignore[no-untyped-def]
    application = shop_applications.get_application(application_id)
    return render_template(
        "association/application.html", application=application,
        decisions=shop_applications.decisions_for_application(application.id),
        shop=db.session.get(Shop, application.shop_id) if application.shop_id else None,
        approve_form=forms.get("approve_form") or NoteForm(prefix="approve"),
        info_form=forms.get("info_form") or MessageForm(prefix="info"),
        refuse_form=forms.get("refuse_form") or ReasonForm(prefix="refuse"),
        is_open=application.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.INFO_REQUESTED),
    ), status


@bp.get("/association/candidatures/<int:application_id>")
@admin_only
def application(application_id: int):  # type: ignore[no-untyped-def]
    return _application_page(application_id)


@bp.post("/association/candidatures/<int:application_id>/approuver")
@admin_only
def approve(application_id: int):  # type: ignore[no-untyped-def]
    form = NoteForm(prefix="approve")
    if not form.validate_on_submit():
        return _application_page(application_id, 422, approve_form=form)
    shop = shop_applications.approve_application(application_id, actor_id=current_user.id, note=form.reason.data or "")
    flash(_("Candidature acceptée : la boutique %(name)s est créée et son responsable invité.", name=shop.name),
          "success")
    return redirect(url_for("association.shop", slug=shop.slug))


@bp.post("/association/candidatures/<int:application_id>/informations")
@admin_only
def request_information(application_id: int):  # type: ignore[no-untyped-def]
    form = MessageForm(prefix="info")
    if form.validate_on_submit():
        try:
            shop_applications.request_information(application_id, actor_id=current_user.id,
                                                  message=form.reason.data or "")
        except DomainError as error:
            if error.status != 422:
                raise
            report_errors(form, error)
        else:
            flash(_("Votre demande d'informations est envoyée au commerce."), "success")
            return redirect(url_for("association.application", application_id=application_id))
    return _application_page(application_id, 422, info_form=form)


@bp.post("/association/candidatures/<int:application_id>/refuser")
@admin_only
def refuse(application_id: int):  # type: ignore[no-untyped-def]
    form = ReasonForm(prefix="refuse")
    if form.validate_on_submit():
        try:
            shop_applications.refuse_application(application_id, actor_id=current_user.id,
                                                 reason=form.reason.data or "")
        except DomainError as error:
            if error.status != 422:
                raise
            report_errors(form, error)
        else:
            flash(_("La candidature est refusée ; le motif est envoyé au commerce."), "success")
            return redirect(url_for("association.applications"))
    return _application_page(application_id, 422, refuse_form=form)


# -- shops --------------------------------------------------------------------------------------------


@bp.get("/association/boutiques")
@admin_only
def shops():  # type: ignore[no-untyped-def]
    return render_template("association/shops.html", shops=services.list_shops(), empty_form=EmptyForm())


def _shop_page(slug: str, status: int = 200, **forms: FlaskForm):  # type: ignore[no-untyped-def]
    shop = services.get_shop(slug)
    commission_form = forms.get("commission_form") or ShopCommissionForm(prefix="commission")
    if not commission_form.is_submitted():
        commission_form.rate_percent.data = shop.commission_rate_bps
    return render_template(
        "association/shop.html", shop=shop, decisions=services.decisions_for_shop(shop.id),
        team=shop_teams.team_of(shop.id), acting_log=services.acting_log_for_shop(shop.id),
        shop_changes=shop_details.recent_changes(shop.id),
        suspend_form=forms.get("suspend_form") or ReasonForm(prefix="suspend"),
        reinstate_form=forms.get("reinstate_form") or NoteForm(prefix="reinstate"),
        commission_form=commission_form, platform_rate=commission.platform_rate_bps(), empty_form=EmptyForm(),
        logo_form=forms.get("logo_form") or LogoForm(prefix="logo"),
    ), status


@bp.get("/association/boutiques/<slug>")
@admin_only
def shop(slug: str):  # type: ignore[no-untyped-def]
    return _shop_page(slug)


@bp.post("/association/boutiques/<slug>/suspendre")
@admin_only
def suspend(slug: str):  # type: ignore[no-untyped-def]
    form = ReasonForm(prefix="suspend")
    if not form.validate_on_submit():
        return _shop_page(slug, 422, suspend_form=form)
    services.suspend_shop(services.get_shop(slug).id, actor_id=current_user.id, reason=form.reason.data or "")
    flash(_("La boutique est suspendue : elle n'apparaît plus dans le catalogue."), "success")
    return redirect(url_for("association.shop", slug=slug))


@bp.post("/association/boutiques/<slug>/retablir")
@admin_only
def reinstate(slug: str):  # type: ignore[no-untyped-def]
    form = NoteForm(prefix="reinstate")
    if not form.validate_on_submit():
        return _shop_page(slug, 422, reinstate_form=form)
    services.reinstate_shop(services.get_shop(slug).id, actor_id=current_user.id, reason=form.reason.data or "")
    flash(_("La boutique est rétablie."), "success")
    return redirect(url_for("association.shop", slug=slug))


@bp.post("/association/boutiques/<slug>/commission")
@admin_only
def shop_commission(slug: str):  # type: ignore[no-untyped-def]
    form = ShopCommissionForm(prefix="commission")
    if not form.validate_on_submit():
        return _shop_page(slug, 422, commission_form=form)
    commission.set_shop_rate(services.get_shop(slug).id, form.rate_percent.data, actor_id=current_user.id)
    flash(_("La commission de la boutique est enregistrée."), "success")
    return redirect(url_for("association.shop", slug=slug))


@bp.post("/association/boutiques/<slug>/logo")
@admin_only
def shop_logo(slug: str):  # type: ignore[no-untyped-def]
    shop_ = services.get_shop(slug)
    form = LogoForm(prefix="logo")
    if form.validate_on_submit() and save_upload(form.logo, lambda data: images.set_shop_logo(shop_, data)):
        flash(_("Le logo est enregistré."), "success")
        return redirect(url_for("association.shop", slug=slug))
    return _shop_page(slug, 422, logo_form=form)


@bp.post("/association/boutiques/<slug>/agir")
@admin_only
def act_start(slug: str):  # type: ignore[no-untyped-def]
    if not EmptyForm().validate_on_submit():
        abort(400)
    shop_ = services.start_acting(slug, admin_id=current_user.id, path=request.path)
    session[ACTING_SESSION_KEY] = shop_.id
    flash(_("Vous agissez maintenant pour %(name)s.", name=shop_.name), "info")
    return redirect(url_for("catalog.backoffice"))


@bp.post("/association/agir/arreter")
@admin_only
def act_stop():  # type: ignore[no-untyped-def]
    if not EmptyForm().validate_on_submit():
        abort(400)
    shop_id = session.pop(ACTING_SESSION_KEY, None)
    shop_ = db.session.get(Shop, shop_id) if isinstance(shop_id, int) else None
    flash(_("Vous n'agissez plus pour une boutique."), "info")
    return redirect(url_for("association.shop", slug=shop_.slug) if shop_ else url_for("association.shops"))
