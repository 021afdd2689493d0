"""The association's settings page (`/association/reglages`, admins only): the venue's slots and holding,
its opening hours and closed days (each change re-cuts the pickup slots), and the platform commission."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from shopapp.accounts.access import role_required
from shopapp.accounts.forms import EmptyForm
from shopapp.accounts.models import Role
from shopapp.association import services
from shopapp.association import settings as venue_settings
from shopapp.association.forms import (
    ClosedDayForm,
    CommissionForm,
    HoursForm,
    MembershipFeeForm,
    NoShowPolicyForm,
    OrderingRulesForm,
    VenueIdentityForm,
    VenueSettingsForm,
)
from shopapp.core.forms import report_errors
from shopapp.errors import DomainError
from shopapp.extensions import db
from shopapp.orders import queries as order_queries
from shopapp.orders.slots import CalendarChange
from shopapp.payments import commission
from shopapp.payments.models import CommissionRateChange
from shopapp.templating import format_day
from shopapp.venue.queries import current_venue

bp = Blueprint("venue_settings", __name__)
admin_only = role_required(Role.ADMIN)


def _venue_or_404() -> Any:
    """The venue the settings change; 404 before `flask setup` created it."""
    venue = current_venue()
    if venue is None:
        abort(404)
    return venue


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
    counts = [
        ngettext("%(num)d ajouté", "%(num)d ajoutés", change.created) if change.created else "",
        ngettext("%(num)d supprimé", "%(num)d supprimés", change.removed) if change.removed else "",
        ngettext("%(num)d retiré", "%(num)d retirés", change.withdrawn) if change.withdrawn else "",
        ngettext("%(num)d proposé de nouveau", "%(num)d proposés de nouveau", change.reopened)
        if change.reopened else "",
    ]
    done = ", ".join(count for count in counts if count)
    flash(_("Créneaux de retrait mis à jour : %(changes)s.", changes=done) if done
          else _("Les créneaux de retrait restent les mêmes."), "info")
    if change.orders_to_tell:
        flash(_("Ces commandes gardent un retrait sur un créneau retiré : %(orders)s. Leurs clients reçoivent "
                "un message qui les invite à choisir un autre créneau.", orders=", ".join(change.orders_to_tell)),
              "warning")


def format_cents_plain(cents: int) -> str:
    """`250` → `2,50`, as the fee field shows it back."""
    return f"{cents // 100},{cents % 100:02d}"


def _settings_page(status: int = 200, hours_problems: list[str] | None = None,
                   **forms: FlaskForm):  # type: ignore[no-untyped-def]
    venue = current_venue()
    platform_rate = commission.platform_rate_bps()
    venue_form = forms.get("venue_form")
    if venue is not None and venue_form is None:
        venue_form = VenueSettingsForm.for_venue(venue)
    identity_form = forms.get("identity_form")
    if venue is not None and identity_form is None:
        identity_form = VenueIdentityForm(obj=venue, formdata=None)
    fee_form = forms.get("fee_form")
    if venue is not None and fee_form is None:
        fee_form = MembershipFeeForm(formdata=None, data={"fee": venue.membership_fee_cents})
    rules_form = forms.get("rules_form")
    if venue is not None and rules_form is None:
        rules_form = OrderingRulesForm(obj=venue, formdata=None)
    no_show_form = forms.get("no_show_form")
    if venue is not None and no_show_form is None:
        no_show_form = NoShowPolicyForm(formdata=None, data={
            "policy": venue.no_show_policy,
            "fee": format_cents_plain(venue.no_show_fee_cents) if venue.no_show_fee_cents else ""})
    commission_form = (forms.get("commission_form")
                       or CommissionForm(formdata=None, data={"rate_percent": platform_rate}))
    shops = services.list_shops()
    overrides = [s for s in shops if s.commission_rate_bps is not None]
    commission_changes = list(db.session.scalars(
        select(CommissionRateChange).order_by(CommissionRateChange.id.desc()).limit(50)
    ))
    return render_template(
        "association/settings.html", venue=venue, venue_form=venue_form, identity_form=identity_form,
        rules_form=rules_form, fee_form=fee_form, no_show_form=no_show_form,
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
    venue = _venue_or_404()
    form = VenueSettingsForm()
    if form.validate_on_submit():
        try:
            _changes, calendar = venue_settings.update_venue_settings(venue.id, venue_settings.VenueSettings(
                slot_capacity=form.slot_capacity.data or 0, slot_minutes=form.slot_minutes.data or 0,
                holding_minutes=form.holding_minutes,
                booking_cutoff_minutes=form.booking_cutoff_minutes.data or 0,
            ), actor_id=current_user.id)
        except DomainError as error:
            report_errors(form, error, aliases={"holding_minutes": "holding_amount"})
        else:
            flash(_("Les réglages du lieu sont enregistrés."), "success")
            _flash_calendar(calendar)
            return redirect(url_for("venue_settings.settings"))
    return _settings_page(422, venue_form=form)


@bp.post("/association/reglages/identite")
@admin_only
def settings_identity():  # type: ignore[no-untyped-def]
    venue = _venue_or_404()
    form = VenueIdentityForm()
    if form.validate_on_submit():
        try:
            venue_settings.update_venue_identity(venue.id, venue_settings.VenueIdentity(
                name=form.name.data or "", town=form.town.data or "", address=form.address.data or "",
                latitude=float(form.latitude.data) if form.latitude.data is not None else None,
                longitude=float(form.longitude.data) if form.longitude.data is not None else None,
                description=form.description.data or "",
            ), actor_id=current_user.id)
        except DomainError as error:
            report_errors(form, error)
        else:
            flash(_("Le lieu est enregistré : son nom et son adresse paraissent sur chaque page, e-mail et agenda."),
                  "success")
            return redirect(url_for("venue_settings.settings"))
    return _settings_page(422, identity_form=form)


@bp.post("/association/reglages/cotisation")
@admin_only
def settings_membership_fee():  # type: ignore[no-untyped-def]
    venue = _venue_or_404()
    form = MembershipFeeForm()
    if form.validate_on_submit():
        try:
            venue_settings.set_membership_fee(venue.id, form.fee.data or 0, actor_id=current_user.id)
        except DomainError as error:
            report_errors(form, error)
        else:
            flash(_("La cotisation annuelle est enregistrée."), "success")
            return redirect(url_for("venue_settings.settings"))
    return _settings_page(422, fee_form=form)


@bp.post("/association/reglages/commandes")
@admin_only
def settings_ordering():  # type: ignore[no-untyped-def]
    venue = _venue_or_404()
    form = OrderingRulesForm()
    if not form.validate_on_submit():
        return _settings_page(422, rules_form=form)
    venue_settings.set_ordering_rules(venue.id, bool(form.require_confirmed_email.data), actor_id=current_user.id)
    flash(_("Les règles de commande sont enregistrées."), "success")
    return redirect(url_for("venue_settings.settings"))


@bp.post("/association/reglages/non-retraits")
@admin_only
def settings_no_show():  # type: ignore[no-untyped-def]
    venue = _venue_or_404()
    form = NoShowPolicyForm()
    if form.validate_on_submit():
        try:
            venue_settings.set_no_show_policy(venue.id, form.policy.data or "", form.fee_cents,
                                              actor_id=current_user.id)
        except DomainError as error:
            report_errors(form, error)
        else:
            flash(_("La règle des commandes non retirées est enregistrée."), "success")
            return redirect(url_for("venue_settings.settings"))
    return _settings_page(422, no_show_form=form)


@bp.post("/association/reglages/horaires")
@admin_only
def settings_hours():  # type: ignore[no-untyped-def]
    venue = _venue_or_404()
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
                return redirect(url_for("venue_settings.settings"))
    else:
        problems.append(_("Les horaires ne sont pas valides : vérifiez les heures saisies."))
    return _settings_page(422, hours_form=form, hours_problems=problems)


@bp.post("/association/reglages/fermetures")
@admin_only
def settings_close_day():  # type: ignore[no-untyped-def]
    venue = _venue_or_404()
    form = ClosedDayForm()
    if form.validate_on_submit() and form.day.data is not None:
        try:
            change = venue_settings.close_day(venue.id, form.day.data, form.reason.data or "",
                                              actor_id=current_user.id)
        except DomainError as error:
            report_errors(form, error)
        else:
            flash(_("Le lieu sera fermé le %(day)s.", day=format_day(form.day.data)), "success")
            _flash_calendar(change)
            return redirect(url_for("venue_settings.settings"))
    return _settings_page(422, closed_day_form=form)


@bp.post("/association/reglages/fermetures/<int:closed_day_id>/rouvrir")
@admin_only
def settings_reopen_day(closed_day_id: int):  # type: ignore[no-untyped-def]
    venue = _venue_or_404()
    if not EmptyForm().validate_on_submit():
        abort(400)
    change = venue_settings.reopen_day(venue.id, closed_day_id, actor_id=current_user.id)
    flash(_("La fermeture est annulée : le lieu ouvre ce jour-là selon ses horaires."), "success")
    _flash_calendar(change)
    return redirect(url_for("venue_settings.settings"))


@bp.post("/association/reglages/commission")
@admin_only
def settings_commission():  # type: ignore[no-untyped-def]
    form = CommissionForm()
    if not form.validate_on_submit():
        return _settings_page(422, commission_form=form)
    commission.set_platform_rate(form.rate_percent.data or 0, actor_id=current_user.id)
    flash(_("La commission par défaut est enregistrée."), "success")
    return redirect(url_for("venue_settings.settings"))
