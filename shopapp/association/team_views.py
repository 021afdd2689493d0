"""A shop's team (`/boutique/equipe`): its owner, or an admin acting for the shop, invites colleagues
and removes them; and the invitation link (`/invitation/<token>`) where an invited person sets a password."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from shopapp.accounts.access import public
from shopapp.accounts.forms import EmptyForm
from shopapp.accounts.models import Role
from shopapp.accounts.sessions import start_session
from shopapp.association import team as shop_teams
from shopapp.association.forms import InvitationPasswordForm, InviteForm
from shopapp.catalog.access import acting_shop_id, shop_staff_required
from shopapp.catalog.models import Shop
from shopapp.core.forms import report_errors
from shopapp.errors import DomainError
from shopapp.extensions import db

bp = Blueprint("shop_team", __name__)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):  # type: ignore[no-untyped-def]
    form = InvitationPasswordForm()
    try:
        invitation = shop_teams.invitation_from_token(token)
    except DomainError as error:
        return render_template("association/invitation.html", form=None, error=error.message), 400
    if form.validate_on_submit():
        try:
            user = shop_teams.accept_invitation(token, form.password.data or "")
        except DomainError as error:
            report_errors(form, error)
        else:
            start_session(user)
            flash(_("Bienvenue %(name)s ! Votre mot de passe est enregistré.", name=user.name), "success")
            if invitation.role == Role.ADMIN:
                return redirect(url_for("association.applications"))
            if invitation.role == Role.VENUE:
                return redirect(url_for("orders.desk"))
            return redirect(url_for("catalog.backoffice"))
    shop = db.session.get(Shop, invitation.shop_id) if invitation.shop_id is not None else None
    return render_template("association/invitation.html", form=form, shop=shop, role=invitation.role,
                           error=None), \
        422 if form.errors else 200


def _team_shop() -> Shop | None:
    """The shop whose team is shown: ?shop=slug, or the only one the user manages (None: pick one)."""
    shops_ = shop_teams.managed_shops(current_user.id, acting_shop_id())
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
                               shops=shop_teams.managed_shops(current_user.id, acting_shop_id())), status
    return render_template("association/team.html", shop=shop_, team=shop_teams.team_of(shop_.id),
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
            shop_teams.invite_colleague(shop_.id, form.email.data or "", form.name.data or "", actor_id=current_user.id)
        except DomainError as error:
            report_errors(form, error)
        else:
            flash(_("Invitation envoyée à %(email)s.", email=form.email.data), "success")
            return redirect(url_for("shop_team.team", shop=shop_.slug))
    return _team_page(shop_, 422, invite_form=form)


@bp.post("/boutique/equipe/<int:member_id>/retirer")
@shop_staff_required
def team_remove(member_id: int):  # type: ignore[no-untyped-def]
    shop_ = _team_shop()
    if shop_ is None or not EmptyForm().validate_on_submit():
        abort(404 if shop_ is None else 400)
    shop_teams.remove_staff(shop_.id, member_id, actor_id=current_user.id)
    flash(_("Cette personne n'a plus accès à la boutique."), "success")
    return redirect(url_for("shop_team.team", shop=shop_.slug))
