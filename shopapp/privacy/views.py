"""Account pages for GDPR: download my data, delete my account; and the membership page."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from shopapp.accounts.access import login_required
from shopapp.accounts.forms import EmptyForm
from shopapp.accounts.services import authenticate
from shopapp.animations.forms import DeleteAccountForm, MembershipForm
from shopapp.core.clock import venue_today
from shopapp.members import services as members
from shopapp.privacy import gdpr
from shopapp.venue.queries import current_venue, venue_name

bp = Blueprint("privacy", __name__)


@bp.route("/adhesion", methods=["GET", "POST"])
@login_required
def membership():  # type: ignore[no-untyped-def]
    form = MembershipForm()
    if form.validate_on_submit():
        members.join(current_user.id, consent=bool(form.consent.data), venue=venue_name())
        flash(_("Bienvenue parmi les membres de %(venue)s !", venue=venue_name()), "success")
        return redirect(url_for("privacy.membership"))
    venue = current_venue()
    return render_template("animations/membership.html", form=form, consent_text=members.consent_text(venue_name()),
                           leave_form=EmptyForm(), fee_cents=venue.membership_fee_cents if venue is not None else 0,
                           fee=members.fee_paid(current_user.id, venue_today().year), year=venue_today().year,
                           membership=members.membership_of(current_user.id)), 422 if form.errors else 200


@bp.app_context_processor
def inject_membership() -> dict[str, object]:
    # A function, so that only the pages that show the membership (the account page) query it.
    def current_membership():  # type: ignore[no-untyped-def]
        return members.membership_of(current_user.id) if current_user.is_authenticated else None

    def current_fee_due() -> int:
        """This year's fee a signed-in member still owes (0 when none is asked or it is paid)."""
        venue = current_venue()
        fee_cents = venue.membership_fee_cents if venue is not None else 0
        if not fee_cents or not current_user.is_authenticated or members.membership_of(current_user.id) is None:
            return 0
        return 0 if members.fee_paid(current_user.id, venue_today().year) is not None else fee_cents

    return {"current_membership": current_membership, "current_fee_due": current_fee_due}


@bp.post("/adhesion/quitter")
@login_required
def leave():  # type: ignore[no-untyped-def]
    if EmptyForm().validate_on_submit():
        members.leave(current_user.id)
        flash(_("Vous n'êtes plus membre."), "success")
    # Left from the account page: back there (a fixed endpoint, never a URL from the request).
    if request.form.get("depuis") == "compte":
        return redirect(url_for("accounts.account"))
    return redirect(url_for("privacy.membership"))


@bp.get("/compte/mes-donnees.json")
@login_required
def export():  # type: ignore[no-untyped-def]
    body = json.dumps(gdpr.export_data(current_user.id), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="mes-donnees.json"'
    return response


@bp.route("/compte/supprimer", methods=["GET", "POST"])
@login_required
def delete_account():  # type: ignore[no-untyped-def]
    form = DeleteAccountForm()
    error = None
    if form.validate_on_submit():
        if authenticate(current_user.email, form.password.data or "") is None:
            error = _("Mot de passe incorrect.")
        else:
            gdpr.delete_account(current_user.id)
            logout_user()
            session.clear()
            flash(_("Votre compte est supprimé. Vos commandes restent, anonymes, dans la comptabilité des boutiques."),
                  "info")
            return redirect(url_for("main.home"))
    return render_template("animations/delete_account.html", form=form, error=error), \
        422 if (error or form.errors) else 200
