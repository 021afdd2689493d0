"""A shop's team: inviting colleagues (and the owner of a newly approved shop), removing them, and the
signed, single-use invitation link that sets an invited person's password.

Services flush and never commit; the request, CLI or task boundary commits. E-mails are
outbox jobs written in the same transaction.
"""

from __future__ import annotations

import secrets

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select

from shopapp.accounts import services as accounts
from shopapp.accounts.models import Role, User
from shopapp.association.models import DecisionAction, Invitation
from shopapp.association.services import lock_shop, record_decision
from shopapp.catalog.models import Shop, ShopStaff
from shopapp.core import mail, outbox
from shopapp.core.clock import utcnow
from shopapp.core.i18n import force_locale_for
from shopapp.core.urls import public_url
from shopapp.errors import DomainError, ForbiddenError, NotFoundError
from shopapp.extensions import db
from shopapp.notices import services as notices

INVITATION_TASK = "association.send_invitation"
INVITATION_MAX_AGE = 7 * 24 * 3600  # seconds; INVITATION_MAX_AGE in the config overrides it


class InvalidInvitation(DomainError):
    status = 400
    code = "invalid_invitation"


class AlreadyInTeam(DomainError):
    status = 409
    code = "already_in_team"


def invite(shop: Shop, email: str, name: str, *, actor_id: int | None, is_owner: bool) -> Invitation:
    """Put this address in the shop's team (an account with the shopkeeper role is made or reused) and
    enqueue the invitation e-mail. Flushes."""
    user = accounts.get_user_by_email(email)
    needs_password = user is None
    if user is None:
        # The account starts with a password nobody knows; the invitation link sets the real one.
        user = accounts.register_user(email, secrets.token_urlsafe(32), name or email,
                                      roles=(Role.SHOPKEEPER,), send_welcome=False)
    else:
        accounts.grant_role(user, Role.SHOPKEEPER)
    db.session.add(ShopStaff(shop_id=shop.id, user_id=user.id, is_owner=is_owner))
    invitation = Invitation(shop_id=shop.id, user_id=user.id, invited_by_id=actor_id, is_owner=is_owner,
                            needs_password=needs_password)
    db.session.add(invitation)
    db.session.flush()
    outbox.enqueue(INVITATION_TASK, invitation_id=invitation.id)
    return invitation


def invite_colleague(shop_id: int, email: str, name: str, *, actor_id: int) -> Invitation:
    """Add someone to a shop's team (shopkeeper role, staff row) and e-mail them an invitation;
    logged as a decision on the shop. Flushes.

    :raise AlreadyInTeam: that address is already in the team. :raise NotFoundError: no such shop.
    """
    shop = lock_shop(shop_id)
    existing = accounts.get_user_by_email(email)
    if existing is not None and db.session.scalar(
        select(ShopStaff.id).where(ShopStaff.shop_id == shop.id, ShopStaff.user_id == existing.id)
    ) is not None:
        raise AlreadyInTeam(str(_l("Cette personne fait déjà partie de l'équipe.")),
                            fields={"email": str(_l("Déjà dans l'équipe."))})
    invitation = invite(shop, email, name, actor_id=actor_id, is_owner=False)
    record_decision(DecisionAction.STAFF_INVITED, actor_id=actor_id, shop_id=shop.id,
            reason=accounts.normalise_email(email))
    return invitation


def remove_staff(shop_id: int, staff_id: int, *, actor_id: int) -> None:
    """Remove a colleague from a shop's team: their access ends with this commit (access checks read
    ShopStaff on every request). Logged. Flushes.

    :raise NotFoundError: no such member of this shop. :raise ForbiddenError: an owner cannot be removed.
    """
    member = db.session.scalar(select(ShopStaff).where(ShopStaff.id == staff_id, ShopStaff.shop_id == shop_id))
    if member is None:
        raise NotFoundError(str(_l("Membre de l'équipe introuvable.")))
    if member.is_owner:
        raise ForbiddenError(str(_l("Le responsable de la boutique ne peut pas être retiré ici.")))
    user = db.session.get(User, member.user_id)
    db.session.execute(delete(ShopStaff).where(ShopStaff.id == member.id))
    record_decision(DecisionAction.STAFF_REMOVED, actor_id=actor_id, shop_id=shop_id, reason=user.email if user else "")


def team_of(shop_id: int) -> list[tuple[ShopStaff, User]]:
    """The shop's staff with their accounts, owners first."""
    return [(staff, user) for staff, user in db.session.execute(
        select(ShopStaff, User).join(User, User.id == ShopStaff.user_id)
        .where(ShopStaff.shop_id == shop_id).order_by(ShopStaff.is_owner.desc(), User.name)
    ).tuples()]


def managed_shops(user_id: int, acting_shop_id: int | None) -> list[Shop]:
    """The shops whose team this user manages: those they own, and the one an admin acts for."""
    owned = select(ShopStaff.shop_id).where(ShopStaff.user_id == user_id, ShopStaff.is_owner.is_(True))
    condition = Shop.id.in_(owned) if acting_shop_id is None else (Shop.id.in_(owned) | (Shop.id == acting_shop_id))
    return list(db.session.scalars(select(Shop).where(condition).order_by(Shop.name)))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="shop-invitation")


def make_invitation_token(invitation: Invitation) -> str:
    """A signed token naming the invitation; expires after INVITATION_MAX_AGE, works once."""
    return _serializer().dumps({"inv": invitation.id})


def invitation_from_token(token: str) -> Invitation:
    """The open invitation a token names.

    :raise InvalidInvitation: expired, tampered, already used, or the person left the team (or lost the
        venue role they were invited to) since.
    """
    max_age = int(current_app.config.get("INVITATION_MAX_AGE", INVITATION_MAX_AGE))
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise InvalidInvitation(str(_l("Cette invitation a expiré. Demandez-en une nouvelle à l'association.")))
    except BadSignature:
        raise InvalidInvitation(str(_l("Ce lien d'invitation n'est pas valide.")))
    invitation = db.session.get(Invitation, data.get("inv")) if isinstance(data, dict) else None
    if invitation is None or invitation.accepted_at is not None or not invitation.needs_password:
        raise InvalidInvitation(str(_l("Cette invitation a déjà servi ou n'est plus valide.")))
    if invitation.role is not None:  # a venue role: still held?
        invited = db.session.get(User, invitation.user_id)
        still_valid = invited is not None and invited.has_role(invitation.role)
    else:
        still_valid = db.session.scalar(
            select(ShopStaff.id).where(ShopStaff.shop_id == invitation.shop_id,
                                       ShopStaff.user_id == invitation.user_id)
        ) is not None
    if not still_valid:
        raise InvalidInvitation(str(_l("Cette invitation n'est plus valide.")))
    return invitation


def accept_invitation(token: str, password: str) -> User:
    """Set the invited person's password and close the invitation (single use). Flushes.

    :raise InvalidInvitation: see `invitation_from_token`. :raise ValidationFailed: password too short.
    """
    # Lock the invitation so that two tabs submitting the same link cannot both use it.
    invitation = invitation_from_token(token)
    locked = db.session.scalar(
        select(Invitation).where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None)).with_for_update()
    )
    if locked is None:
        raise InvalidInvitation(str(_l("Cette invitation a déjà servi ou n'est plus valide.")))
    user = db.session.get(User, locked.user_id)
    assert user is not None  # the staff row checked above references it
    accounts.set_password(user, password)
    accounts.mark_email_confirmed(user)  # the invitation reached this mailbox
    locked.accepted_at = utcnow()
    db.session.flush()
    return user


def send_invitation_email(invitation_id: int) -> bool:
    """Send an invitation once (notice key `invitation:<id>`). Commits the claim.

    Returns False when there is nothing to do. :raise mail.TemporaryMailError: retry later.
    """
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        return False
    user = db.session.get(User, invitation.user_id)
    shop = db.session.get(Shop, invitation.shop_id) if invitation.shop_id is not None else None
    if user is None or (shop is None and invitation.role is None):
        return False
    template = "invitation" if invitation.role is None else "role_invitation"

    def build() -> mail.Mail:
        if invitation.needs_password:
            link = public_url("shop_team.accept_invitation", token=make_invitation_token(invitation))
        else:
            link = public_url("accounts.login")
        context = {"user": user, "shop": shop, "invitation": invitation, "link": link}
        with force_locale_for(user.locale):
            subject = render_template(f"association/emails/{template}_subject.txt", **context).strip()
            text = render_template(f"association/emails/{template}.txt", **context)
        return mail.Mail(to=user.email, subject=subject, text=text)

    return notices.send_once(f"invitation:{invitation.id}", user.email, "shop_invitation", build)
