"""Staff page of recent notices and failures (with resend), and residents' notice preferences."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from shopapp.accounts.access import login_required, role_required
from shopapp.accounts.forms import EmptyForm
from shopapp.accounts.models import Role
from shopapp.core import mail
from shopapp.core.outbox import FAILED, OutboxJob
from shopapp.extensions import db
from shopapp.notices import services
from shopapp.notices.forms import NoticeSettingsForm

bp = Blueprint("notices", __name__)


@bp.get("/equipe/notifications")
@role_required(Role.VENUE, Role.ADMIN)
def staff_notices():  # type: ignore[no-untyped-def]
    failed_jobs = db.session.scalars(
        select(OutboxJob).where(OutboxJob.status == FAILED).order_by(OutboxJob.id.desc()).limit(50)
    ).all()
    return render_template(
        "notices/staff.html",
        notices=services.recent(),
        failed_jobs=failed_jobs,
        messages=mail.list_outbox(20) if current_app.config["MAIL_BACKEND"] == "outbox" else [],
        form=EmptyForm(),
    )


@bp.post("/equipe/notifications/<int:notice_id>/renvoyer")
@role_required(Role.VENUE, Role.ADMIN)
def resend(notice_id: int):  # type: ignore[no-untyped-def]
    EmptyForm().validate_on_submit()
    services.resend(notice_id)
    flash(_("La notification est remise en file d'envoi."), "success")
    return redirect(url_for("notices.staff_notices"))


@bp.post("/compte/notifications")
@login_required
def preferences():  # type: ignore[no-untyped-def]
    """The optional notice kinds (checkboxes), the mobile number and the SMS opt-in."""
    from shopapp.accounts.views import account

    form = NoticeSettingsForm()
    if not form.validate_on_submit():
        return account(notice_form=form)
    chosen = {kind for kind in services.OPTIONAL_KINDS if request.form.get(kind) == "on"}
    services.set_preferences(current_user.id, chosen)
    services.set_sms_settings(current_user.id, form.phone.data, bool(form.sms_opt_in.data))
    flash(_("Vos préférences de notification sont enregistrées."), "success")
    return redirect(url_for("accounts.account"))
