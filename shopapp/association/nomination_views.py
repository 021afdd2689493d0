"""Residents propose shops and support proposals (`/proposer-une-boutique`); the association follows
them up (`/association/propositions`, admins only)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from shopapp.accounts.access import login_required, public, role_required
from shopapp.accounts.forms import EmptyForm
from shopapp.accounts.models import Role
from shopapp.association import nominations as shop_nominations
from shopapp.association.forms import NOMINATION_LABELS, NominationForm, NominationStatusForm

bp = Blueprint("nominations", __name__)
admin_only = role_required(Role.ADMIN)


def _nominations_page(form: NominationForm | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    viewer = current_user.id if current_user.is_authenticated else None
    ranked = shop_nominations.ranked_nominations(viewer_id=viewer, include_joined=False)
    return render_template("association/nominate.html", form=form or NominationForm(), empty_form=EmptyForm(),
                           nominations=ranked), status


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
    shop_nominations.nominate(form.name.data or "", form.trade.data or "", form.reason.data or "",
                              user_id=current_user.id)
    flash(_("Merci ! Votre proposition est enregistrée."), "success")
    return redirect(url_for("nominations.nominations_public"))


@bp.post("/proposer-une-boutique/<int:nomination_id>/soutenir")
@login_required
def support(nomination_id: int):  # type: ignore[no-untyped-def]
    if not EmptyForm().validate_on_submit():
        abort(400)
    if shop_nominations.support_nomination(nomination_id, user_id=current_user.id):
        flash(_("Merci pour votre soutien !"), "success")
    else:
        flash(_("Vous soutenez déjà cette proposition."), "info")
    return redirect(url_for("nominations.nominations_public"))


@bp.get("/association/propositions")
@admin_only
def nominations():  # type: ignore[no-untyped-def]
    return render_template("association/nominations.html", nominations=shop_nominations.ranked_nominations(),
                           status_form=NominationStatusForm(), labels=NOMINATION_LABELS)


@bp.post("/association/propositions/<int:nomination_id>/statut")
@admin_only
def nomination_status(nomination_id: int):  # type: ignore[no-untyped-def]
    form = NominationStatusForm()
    if not form.validate_on_submit():
        abort(422)
    shop_nominations.set_nomination_status(nomination_id, form.status.data or "", actor_id=current_user.id)
    flash(_("Le statut de la proposition est enregistré."), "success")
    return redirect(url_for("nominations.nominations"))
