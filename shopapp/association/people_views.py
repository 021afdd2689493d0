"""People and roles (`/association/personnes`, admins only): who holds which role, inviting venue staff
and admins, removing a role (their sessions and API tokens stop at once; never the last admin)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from shopapp.accounts.access import role_required
from shopapp.accounts.models import Role
from shopapp.association import people as people_service
from shopapp.association.forms import PersonInviteForm, RoleRemovalForm
from shopapp.core.forms import report_errors
from shopapp.errors import DomainError, NotFoundError

bp = Blueprint("people", __name__)
admin_only = role_required(Role.ADMIN)


def _page(invite_form: PersonInviteForm | None = None, status: int = 200, error: str | None = None):  # type: ignore[no-untyped-def]
    return render_template("association/people.html", people=people_service.people(),
                           changes=people_service.recent_changes(), invite_form=invite_form or PersonInviteForm(),
                           removal_form=RoleRemovalForm(), error=error), status


@bp.get("/association/personnes")
@admin_only
def people():  # type: ignore[no-untyped-def]
    return _page()


@bp.post("/association/personnes/inviter")
@admin_only
def invite():  # type: ignore[no-untyped-def]
    form = PersonInviteForm()
    if form.validate_on_submit():
        try:
            people_service.invite_person(form.email.data or "", form.name.data or "", form.role.data or "",
                                         actor_id=current_user.id)
        except DomainError as error:
            report_errors(form, error, fallback="email")
        else:
            flash(_("Invitation envoyée à %(email)s.", email=form.email.data), "success")
            return redirect(url_for("people.people"))
    return _page(form, 422)


@bp.post("/association/personnes/<int:user_id>/retirer")
@admin_only
def remove(user_id: int):  # type: ignore[no-untyped-def]
    form = RoleRemovalForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        user = people_service.remove_role(user_id, form.role.data or "", actor_id=current_user.id)
    except NotFoundError:
        abort(404)
    except DomainError as error:
        return _page(status=error.status, error=error.message)
    flash(_("%(name)s n’a plus ce rôle : ses sessions et ses jetons d’accès sont fermés.", name=user.name), "success")
    if user.id == current_user.id:
        return redirect(url_for("accounts.login"))
    return redirect(url_for("people.people"))
