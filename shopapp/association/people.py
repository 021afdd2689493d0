"""People and roles: the association invites venue staff and other admins by e-mail (the invitation
path of shop teams, without a shop), sees who holds which role, and removes a role. Removing a role ends
that person's sessions and API tokens at once; the last admin cannot be removed. Every change is logged
(`RoleChange`).

Services flush and never commit; the request, CLI or task boundary commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shopapp.accounts import services as accounts
from shopapp.accounts.models import Role, User, UserRole
from shopapp.association.models import Invitation, RoleChange, RoleChangeAction
from shopapp.association.team import INVITATION_TASK
from shopapp.catalog.models import Shop, ShopStaff
from shopapp.core import outbox
from shopapp.errors import DomainError, NotFoundError, ValidationFailed
from shopapp.extensions import db

# The roles the association gives and takes here; shopkeepers come and go with their shop's team.
VENUE_ROLES = (Role.VENUE, Role.ADMIN)


class LastAdmin(DomainError):
    status = 409
    code = "last_admin"


class AlreadyHasRole(DomainError):
    status = 409
    code = "already_has_role"


@dataclass(frozen=True)
class Person:
    user: User
    roles: list[str]
    shops: list[str]


def _log(user: User, role: str, action: RoleChangeAction, actor_id: int | None) -> None:
    db.session.add(RoleChange(user_id=user.id, email=user.email, role=role, action=action, actor_id=actor_id))
    db.session.flush()


def _require_venue_role(role: str) -> Role:
    if role not in {str(r) for r in VENUE_ROLES}:
        message = str(_l("Choisissez le rôle : équipe du lieu ou administration."))
        raise ValidationFailed(message, fields={"role": message})
    return Role(role)


def people() -> list[Person]:
    """Everyone holding a role besides resident, by name, with their roles and the shops they work for."""
    users = db.session.scalars(
        select(User).where(User.id.in_(select(UserRole.user_id).where(UserRole.role != Role.RESIDENT)))
        .order_by(User.name, User.id)
    ).all()
    shops: dict[int, list[str]] = {}
    for user_id, name in db.session.execute(
        select(ShopStaff.user_id, Shop.name).join(Shop, Shop.id == ShopStaff.shop_id).order_by(Shop.name)
    ).tuples():
        shops.setdefault(user_id, []).append(name)
    return [Person(user, [role for role in user.roles if role != Role.RESIDENT], shops.get(user.id, []))
            for user in users]


def recent_changes(limit: int = 20) -> list[RoleChange]:
    return list(db.session.scalars(select(RoleChange).order_by(RoleChange.id.desc()).limit(limit)))


def invite_person(email: str, name: str, role: str, *, actor_id: int | None) -> Invitation:
    """Give this address a venue role (venue staff or admin) and e-mail them an invitation: a new account
    chooses its password through the link, an existing one signs in as usual. Logged. Flushes.

    :raise ValidationFailed: unknown role. :raise AlreadyHasRole: they already hold it.
    """
    wanted = _require_venue_role(role)
    user = accounts.get_user_by_email(email)
    needs_password = user is None
    if user is None:
        # The account starts with a password nobody knows; the invitation link sets the real one.
        user = accounts.register_user(email, secrets.token_urlsafe(32), name or email,
                                      roles=(wanted,), send_welcome=False)
    elif user.has_role(wanted):
        message = str(_l("Cette personne a déjà ce rôle."))
        raise AlreadyHasRole(message, fields={"email": message})
    else:
        accounts.grant_role(user, wanted)
    invitation = Invitation(shop_id=None, role=str(wanted), user_id=user.id, invited_by_id=actor_id,
                            needs_password=needs_password)
    db.session.add(invitation)
    db.session.flush()
    outbox.enqueue(INVITATION_TASK, invitation_id=invitation.id)
    _log(user, wanted, RoleChangeAction.INVITED, actor_id)
    return invitation


def remove_role(user_id: int, role: str, *, actor_id: int | None) -> User:
    """Take a venue role away: that person's sessions and API tokens stop at once. Logged. Flushes.

    :raise NotFoundError: no such person holding that role. :raise ValidationFailed: unknown role.
    :raise LastAdmin: the last admin keeps the role (someone must run the association's pages).
    """
    wanted = _require_venue_role(role)
    user = db.session.get(User, user_id)
    if user is None or not user.has_role(wanted):
        raise NotFoundError(str(_l("Personne introuvable avec ce rôle.")))
    if wanted == Role.ADMIN:
        # Lock every admin row so that two admins removing each other at once cannot leave none.
        admins = db.session.scalars(select(UserRole.id).where(UserRole.role == Role.ADMIN).with_for_update()).all()
        if len(admins) <= 1:
            raise LastAdmin(str(_l("Impossible de retirer le dernier administrateur : "
                                   "invitez d'abord une autre personne à l'administration.")))
    accounts.withdraw_role(user, wanted)
    _log(user, wanted, RoleChangeAction.REMOVED, actor_id)
    return user
