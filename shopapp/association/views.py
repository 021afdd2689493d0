"""Association pages: joining, the application queue, shops (decisions, act for), team invitations,
nominations, settings. Everything under /association is for admins only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from shopapp.accounts.access import login_required, public, role_required
from shopapp.accounts.forms import EmptyForm
from shopapp.accounts.models import Role
from shopapp.accounts.sessions import start_session
from shopapp.association import services
from shopapp.association import settings as venue_settings
from shopapp.association.forms import (
    NOMINATION_LABELS,
    ApplicationForm,
    ClosedDayForm,
    CommissionForm,
    HoursForm,
    InvitationPasswordForm,
    InviteForm,
    MessageForm,
    NominationForm,
    NominationStatusForm,
    NoteForm,
    ReasonForm,
    ShopCommissionForm,
    VenueSettingsForm,
)
from shopapp.association.models import ApplicationStatus
from shopapp.catalog import images
from shopapp.catalog.access import ACTING_SESSION_KEY, acting_shop_id, shop_staff_required
from shopapp.catalog.forms import LogoForm
from shopapp.catalog.models import Shop
from shopapp.core.forms import save_upload
from shopapp.errors import DomainError
from shopapp.extensions import db
from shopapp.orders import queries as order_queries
from shopapp.orders.slots import CalendarChange
from shopapp.payments import commission
from shopapp.payments.models import CommissionRateChange
from shopapp.templating import format_day

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


def _report(form: FlaskForm, error: DomainError) -> None:
    """Show a service's field errors next to the form's fields (or in the summary)."""
    placed = False
    for name, message in error.fields.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
            placed = True
    if not placed:
        raise error


# -- joining ------------------------------------------------------------------------------------------


@bp.route("/rejoindre", methods=["GET", "POST"])
@public
def join():  # type: ignore[no-untyped-def]
    form = ApplicationForm()
    if form.validate_on_submit():
        try:
            services.submit_application(services.ApplicationData(
                shop_name=form.shop_name.data or "", trade=form.trade.data or "", address=form.address.data or "",
                contact_name=form.contact_name.data or "", email=form.email.data or "",
                phone=form.phone.data or "", siret=form.siret.data or "", sells=form.sells.data or "",
            ))
        except DomainError as error:
            _report(form, error)
        else:
            return redirect(url_for("association.join_done"))
    return render_template("association/join.html", form=form), 422 if form.errors else 200


@bp.get("/rejoindre/merci")
@public
def join_done():  # type: ignore[no-untyped-def]
    return render_template("association/join_done.html")


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):  # type: ignore[no-untyped-def]
    form = InvitationPasswordForm()
    try:
        invitation = services.invitation_from_token(token)
    except DomainError as error:
        return render_template("association/invitation.html", form=None, error=error.message), 400
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(token, form.password.data or "")
        except DomainError as error:
            _report(form, error)
        else:
            start_session(user)
            flash(_("Bienvenue %(name)s ! Votre mot de passe est enregistré.", name=user.name), "success")
            return redirect(url_for("catalog.backoffice"))
    shop = db.session.get(Shop, invitation.shop_id)
    return render_template("association/invitation.html", form=form, shop=shop, error=None), \
        422 if form.errors else 200


# -- the application queue ----------------------------------------------------------------------------


@bp.get("/association/candidatures")
@admin_only
def applications():  # type: ignore[no-untyped-def]
    show_all = request.args.get("toutes") == "1"
    return render_template("association/applications.html",
                           applications=services.list_applications(pending_only=not show_all), show_all=show_all)


def _application_page(application_id: int, status: int = 200, **forms: FlaskForm):  # type: ignore[no-untyped-def]
    application = services.get_application(application_id)
    return render_template(
        "association/application.html", application=application,
        decisions=services.decisions_for_application(application.id),
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
    shop = services.approve_application(application_id, actor_id=current_user.id, note=form.reason.data or "")
    flash(_("Candidature acceptée : la boutique %(name)s est créée et son responsable invité.", name=shop.name),
          "success")
    return redirect(url_for("association.shop", slug=shop.slug))


@bp.post("/association/candidatures/<int:application_id>/informations")
@admin_only
def request_information(application_id: int):  # type: ignore[no-untyped-def]
    form = MessageForm(prefix="info")
    if form.validate_on_submit():
        try:
            services.request_information(application_id, actor_id=current_user.id, message=form.reason.data or "")
        except DomainError as error:
            if error.status != 422:
                raise
            _report(form, error)
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
            services.refuse_application(application_id, actor_id=current_user.id, reason=form.reason.data or "")
        except DomainError as error:
            if error.status != 422:
                raise
            _report(form, error)
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
        commission_form.rate_bps.data = shop.commission_rate_bps
    return render_template(
        "association/shop.html", shop=shop, decisions=services.decisions_for_shop(shop.id),
        team=services.team_of(shop.id), acting_log=services.acting_log_for_shop(shop.id),
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
    commission.set_shop_rate(services.get_shop(slug).id, form.rate_bps.data, actor_id=current_user.id)
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


# -- a shop's team ------------------------------------------------------------------------------------


def _team_shop() -> Shop | None:
    """The shop whose team is shown: ?shop=slug, or the only one the user manages (None: pick one)."""
    shops_ = services.managed_shops(current_user.id, acting_shop_id())
    slug = request.args.get("shop")
    if slug:
        for candidate in shops_:
            if candidate.slug == slug:
                return candidate
        abort(404)
    if not shops_:
        abort(403)
    return shops_[0] if len(shops_) == 1 else None


def _team_page(shop_: Shop | None, status: int = 200, invite_form: InviteForm | None = None):  # type: ignore[no-untyped-def]
    if shop_ is None:
        return render_template("association/team_pick.html",
                               shops=services.managed_shops(current_user.id, acting_shop_id())), status
    return render_template("association/team.html", shop=shop_, team=services.team_of(shop_.id),
                           invite_form=invite_form or InviteForm(), empty_form=EmptyForm()), status


@bp.get("/boutique/equipe")
@shop_staff_required
def team():  # type: ignore[no-untyped-def]
    return _team_page(_team_shop())


@bp.post("/boutique/equipe/inviter")
@shop_staff_required
def team_invite():  # type: ignore[no-untyped-def]
    shop_ = _team_shop()
    if shop_ is None:
        abort(404)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            services.invite_colleague(shop_.id, form.email.data or "", form.name.data or "", actor_id=current_user.id)
        except DomainError as error:
            _report(form, error)
        else:
            flash(_("Invitation envoyée à %(email)s.", email=form.email.data), "success")
            return redirect(url_for("association.team", shop=shop_.slug))
    return _team_page(shop_, 422, invite_form=form)


@bp.post("/boutique/equipe/<int:member_id>/retirer")
@shop_staff_required
def team_remove(member_id: int):  # type: ignore[no-untyped-def]
    shop_ = _team_shop()
    if shop_ is None or not EmptyForm().validate_on_submit():
        abort(404 if shop_ is None else 400)
    services.remove_staff(shop_.id, member_id, actor_id=current_user.id)
    flash(_("Cette personne n'a plus accès à la boutique."), "success")
    return redirect(url_for("association.team", shop=shop_.slug))


# -- nominations --------------------------------------------------------------------------------------


def _nominations_page(form: NominationForm | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    viewer = current_user.id if current_user.is_authenticated else None
    return render_template("association/nominate.html", form=form or NominationForm(), empty_form=EmptyForm(),
                           nominations=services.ranked_nominations(viewer_id=viewer, include_joined=False)), status


@bp.get("/proposer-une-boutique")
@public
def nominations_public():  # type: ignore[no-untyped-def]
    return _nominations_page()


@bp.post("/proposer-une-boutique")
@login_required
def nominate():  # type: ignore[no-untyped-def]
    form = NominationForm()
    if not form.validate_on_submit():
        return _nominations_page(form, 422)
    services.nominate(form.name.data or "", form.trade.data or "", form.reason.data or "", user_id=current_user.id)
    flash(_("Merci ! Votre proposition est enregistrée."), "success")
    return redirect(url_for("association.nominations_public"))


@bp.post("/proposer-une-boutique/<int:nomination_id>/soutenir")
@login_required
def support(nomination_id: int):  # type: ignore[no-untyped-def]
    if not EmptyForm().validate_on_submit():
        abort(400)
    if services.support_nomination(nomination_id, user_id=current_user.id):
        flash(_("Merci pour votre soutien !"), "success")
    else:
        flash(_("Vous soutenez déjà cette proposition."), "info")
    return redirect(url_for("association.nominations_public"))


@bp.get("/association/propositions")
@admin_only
def nominations():  # type: ignore[no-untyped-def]
    return render_template("association/nominations.html", nominations=services.ranked_nominations(),
                           status_form=NominationStatusForm(), labels=NOMINATION_LABELS)


@bp.post("/association/propositions/<int:nomination_id>/statut")
@admin_only
def nomination_status(nomination_id: int):  # type: ignore[no-untyped-def]
    form = NominationStatusForm()
    if not form.validate_on_submit():
        abort(422)
    services.set_nomination_status(nomination_id, form.status.data or "", actor_id=current_user.id)
    flash(_("Le statut de la proposition est enregistré."), "success")
    return redirect(url_for("association.nominations"))


# -- settings -----------------------------------------------------------------------------------------


def _hours_form(venue: Any) -> HoursForm:
    form = HoursForm()
    if not form.is_submitted():
        rows = [{"weekday": h.weekday, "opens": h.opens, "closes": h.closes} for h in venue.opening_hours]
        form = HoursForm(data={"hours": rows + [{"weekday": 0, "opens": None, "closes": None}] * 3})
    return form


def _flash_calendar(change: CalendarChange | None) -> None:
    """Tell the association what a calendar change did to the pickup slots, and which orders to warn."""
    if change is None:
        return
    flash(_("Créneaux de retrait mis à jour : %(created)s ajouté(s), %(removed)s supprimé(s), "
            "%(withdrawn)s retiré(s), %(reopened)s proposé(s) de nouveau.", created=change.created,
            removed=change.removed, withdrawn=change.withdrawn, reopened=change.reopened), "info")
    if change.orders_to_tell:
        flash(_("Ces commandes gardent un retrait sur un créneau retiré : %(orders)s. Leurs clients reçoivent "
                "un message qui les invite à choisir un autre créneau.", orders=", ".join(change.orders_to_tell)),
              "warning")


def _settings_page(status: int = 200, hours_problems: list[str] | None = None,
                   **forms: FlaskForm):  # type: ignore[no-untyped-def]
    venue = venue_settings.current_venue()
    platform_rate = commission.platform_rate_bps()
    venue_form = forms.get("venue_form")
    if venue is not None and venue_form is None:
        venue_form = VenueSettingsForm(obj=venue, formdata=None)
    commission_form = forms.get("commission_form") or CommissionForm(formdata=None, data={"rate_bps": platform_rate})
    shops = services.list_shops()
    overrides = [s for s in shops if s.commission_rate_bps is not None]
    commission_changes = list(db.session.scalars(
        select(CommissionRateChange).order_by(CommissionRateChange.id.desc()).limit(50)
    ))
    return render_template(
        "association/settings.html", venue=venue, venue_form=venue_form,
        hours_form=forms.get("hours_form") or (_hours_form(venue) if venue is not None else None),
        commission_form=commission_form, platform_rate=platform_rate, overrides=overrides,
        changes=venue_settings.recent_changes(), commission_changes=commission_changes,
        shops_by_id={s.id: s for s in shops}, hours_problems=hours_problems or [],
        closed_day_form=forms.get("closed_day_form") or ClosedDayForm(formdata=None),
        closed_days=venue_settings.upcoming_closed_days(venue) if venue is not None else [],
        stranded=order_queries.orders_on_withdrawn_slots(),
        reopen_form=EmptyForm(formdata=None),
    ), status


@bp.get("/association/reglages")
@admin_only
def settings():  # type: ignore[no-untyped-def]
    return _settings_page()


@bp.post("/association/reglages/lieu")
@admin_only
def settings_venue():  # type: ignore[no-untyped-def]
    venue = venue_settings.current_venue()
    if venue is None:
        abort(404)
    form = VenueSettingsForm()
    if form.validate_on_submit():
        try:
            _changes, calendar = venue_settings.update_venue_settings(venue.id, venue_settings.VenueSettings(
                slot_capacity=form.slot_capacity.data or 0, slot_minutes=form.slot_minutes.data or 0,
                holding_minutes=form.holding_minutes.data or 0,
                booking_cutoff_minutes=form.booking_cutoff_minutes.data or 0,
            ), actor_id=current_user.id)
        except DomainError as error:
            _report(form, error)
        else:
            flash(_("Les réglages du lieu sont enregistrés."), "success")
            _flash_calendar(calendar)
            return redirect(url_for("association.settings"))
    return _settings_page(422, venue_form=form)


@bp.post("/association/reglages/horaires")
@admin_only
def settings_hours():  # type: ignore[no-untyped-def]
    venue = venue_settings.current_venue()
    if venue is None:
        abort(404)
    form = HoursForm()
    problems: list[str] = []
    if form.validate_on_submit():
        rows = []
        for entry in form.hours:
            if not entry.weekday.data:
                continue  # an empty line
            if entry.opens.data is None or entry.closes.data is None:
                problems.append(_("Indiquez l'ouverture et la fermeture de chaque jour choisi."))
                continue
            rows.append(venue_settings.HoursRow(entry.weekday.data, entry.opens.data, entry.closes.data))
        if not problems:
            try:
                change = venue_settings.set_opening_hours(venue.id, rows, actor_id=current_user.id)
            except DomainError as error:
                if error.status != 422:
                    raise
                problems.extend(dict.fromkeys(error.fields.values()))
            else:
                flash(_("Les horaires d'ouverture sont enregistrés."), "success")
                _flash_calendar(change)
                return redirect(url_for("association.settings"))
    else:
        problems.append(_("Les horaires ne sont pas valides : vérifiez les heures saisies."))
    return _settings_page(422, hours_form=form, hours_problems=problems)


@bp.post("/association/reglages/fermetures")
@admin_only
def settings_close_day():  # type: ignore[no-untyped-def]
    venue = venue_settings.current_venue()
    if venue is None:
        abort(404)
    form = ClosedDayForm()
    if form.validate_on_submit() and form.day.data is not None:
        try:
            change = venue_settings.close_day(venue.id, form.day.data, form.reason.data or "",
                                              actor_id=current_user.id)
        except DomainError as error:
            _report(form, error)
        else:
            flash(_("Le lieu sera fermé le %(day)s.", day=format_day(form.day.data)), "success")
            _flash_calendar(change)
            return redirect(url_for("association.settings"))
    return _settings_page(422, closed_day_form=form)


@bp.post("/association/reglages/fermetures/<int:closed_day_id>/rouvrir")
@admin_only
def settings_reopen_day(closed_day_id: int):  # type: ignore[no-untyped-def]
    venue = venue_settings.current_venue()
    if venue is None or not EmptyForm().validate_on_submit():
        abort(404 if venue is None else 400)
    change = venue_settings.reopen_day(venue.id, closed_day_id, actor_id=current_user.id)
    flash(_("La fermeture est annulée : le lieu ouvre ce jour-là selon ses horaires."), "success")
    _flash_calendar(change)
    return redirect(url_for("association.settings"))


@bp.post("/association/reglages/commission")
@admin_only
def settings_commission():  # type: ignore[no-untyped-def]
    form = CommissionForm()
    if not form.validate_on_submit():
        return _settings_page(422, commission_form=form)
    commission.set_platform_rate(form.rate_bps.data or 0, actor_id=current_user.id)
    flash(_("La commission par défaut est enregistrée."), "success")
    return redirect(url_for("association.settings"))
