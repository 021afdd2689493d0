"""The yearly membership fee at the desk (venue staff and admins): the members with this year's fee
received or due, and the button that records a fee paid at the counter."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from shopapp.accounts.access import role_required
from shopapp.accounts.forms import EmptyForm
from shopapp.accounts.models import Role, User
from shopapp.association import members as member_list
from shopapp.core.clock import venue_today
from shopapp.errors import DomainError, NotFoundError
from shopapp.extensions import db
from shopapp.members import services as members
from shopapp.venue.queries import current_venue

bp = Blueprint("membership_fees", __name__)
desk_only = role_required(Role.VENUE, Role.ADMIN)


def _fee_cents() -> int:
    venue = current_venue()
    return venue.membership_fee_cents if venue is not None else 0


@bp.get("/comptoir/cotisations")
@desk_only
def desk():  # type: ignore[no-untyped-def]
    year = venue_today().year
    query = (request.args.get("q") or "").strip().lower()[:100]
    rows = [m for m in member_list.member_list() if not query or query in m.name.lower() or query in m.email.lower()]
    return render_template("association/fee_desk.html", rows=rows, paid=members.fees_paid_by(year), year=year,
                           fee_cents=_fee_cents(), query=query, form=EmptyForm())


@bp.post("/comptoir/cotisations/<int:user_id>")
@desk_only
def record(user_id: int):  # type: ignore[no-untyped-def]
    if not EmptyForm().validate_on_submit():
        flash(_("Le formulaire a expiré. Merci de réessayer."), "error")
        return redirect(url_for("membership_fees.desk"))
    member = db.session.get(User, user_id)
    try:
        if member is None:
            raise NotFoundError("Cette personne n'est pas membre.")
        fee = members.record_fee(member.id, member.name, year=venue_today().year, fee_cents=_fee_cents(),
                                 actor_id=current_user.id)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("membership_fees.desk"))
    flash(_("Cotisation %(year)s de %(name)s enregistrée.", year=fee.year, name=member.name), "success")
    return redirect(url_for("membership_fees.desk"))
