"""The association's rules: applications and decisions, shop staff and invitations, acting for a shop,
nominations. Venue settings live in `association/settings.py`.

Services flush and never commit; the request, CLI or task boundary commits, so one unit of work is one
transaction. E-mails are outbox jobs written in the same transaction.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from shopapp.accounts import services as accounts
from shopapp.accounts.models import Role, User
from shopapp.association.models import (
    ActingLog,
    ApplicationStatus,
    DecisionAction,
    Invitation,
    Nomination,
    NominationStatus,
    NominationSupport,
    ShopApplication,
    ShopDecision,
)
from shopapp.association.siret import is_valid_siret, normalise_siret
from shopapp.catalog.models import Shop, ShopStaff, ShopStatus
from shopapp.core import mail, outbox
from shopapp.core.clock import utcnow
from shopapp.core.urls import public_url
from shopapp.errors import DomainError, ForbiddenError, InvalidTransition, NotFoundError, ValidationFailed
from shopapp.extensions import db
from shopapp.notices import services as notices

INVITATION_TASK = "association.send_invitation"
DECISION_TASK = "association.send_decision"
INVITATION_MAX_AGE = 7 * 24 * 3600  # seconds; INVITATION_MAX_AGE in the config overrides it

# Which decisions an application in each status accepts.
APPLICATION_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ApplicationStatus.SUBMITTED: (ApplicationStatus.APPROVED, ApplicationStatus.INFO_REQUESTED,
                                  ApplicationStatus.REFUSED),
    ApplicationStatus.INFO_REQUESTED: (ApplicationStatus.APPROVED, ApplicationStatus.INFO_REQUESTED,
                                       ApplicationStatus.REFUSED),
    ApplicationStatus.APPROVED: (),
    ApplicationStatus.REFUSED: (),
}


class InvalidInvitation(DomainError):
    status = 400
    code = "invalid_invitation"


class AlreadyInTeam(DomainError):
    status = 409
    code = "already_in_team"


# -- applications ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationData:
    shop_name: str
    trade: str
    address: str
    contact_name: str
    email: str
    phone: str
    siret: str
    sells: str


def submit_application(data: ApplicationData) -> ShopApplication:
    """Put a shop's application in the association's queue. Flushes.

    :raise ValidationFailed: the SIRET number is not 14 digits with a valid key.
    """
    if not is_valid_siret(data.siret):
        raise ValidationFailed(str(_l("Numéro SIRET invalide.")),
                               fields={"siret": str(_l("14 chiffres dont la clé de contrôle est juste."))})
    application = ShopApplication(
        shop_name=data.shop_name.strip(), trade=data.trade.strip(), address=data.address.strip(),
        contact_name=data.contact_name.strip(), email=accounts.normalise_email(data.email),
        phone=data.phone.strip(), siret=normalise_siret(data.siret), sells=data.sells.strip(),
    )
    db.session.add(application)
    db.session.flush()
    return application


def list_applications(*, pending_only: bool = True) -> list[ShopApplication]:
    """Applications oldest first; by default only those still waiting for a decision."""
    stmt = select(ShopApplication).order_by(ShopApplication.created_at, ShopApplication.id)
    if pending_only:
        stmt = stmt.where(ShopApplication.status.in_((ApplicationStatus.SUBMITTED, ApplicationStatus.INFO_REQUESTED)))
    return list(db.session.scalars(stmt))


def get_application(application_id: int) -> ShopApplication:
    """:raise NotFoundError: no such application."""
    application = db.session.get(ShopApplication, application_id)
    if application is None:
        raise NotFoundError(str(_l("Candidature introuvable.")))
    return application


def _lock_application(application_id: int, new_status: str) -> ShopApplication:
    # Row lock: two admins deciding at once → the second sees the first decision and is refused.
    application = db.session.scalar(
        select(ShopApplication).where(ShopApplication.id == application_id).with_for_update()
    )
    if application is None:
        raise NotFoundError(str(_l("Candidature introuvable.")))
    if new_status not in APPLICATION_TRANSITIONS[application.status]:
        raise InvalidTransition(str(_l("Cette candidature a déjà reçu une décision.")))
    return application


def _record(action: str, *, actor_id: int | None, reason: str = "", shop_id: int | None = None,
            application_id: int | None = None, nomination_id: int | None = None) -> ShopDecision:
    decision = ShopDecision(action=action, actor_id=actor_id, reason=reason.strip(), shop_id=shop_id,
                            application_id=application_id, nomination_id=nomination_id)
    db.session.add(decision)
    db.session.flush()
    return decision


def slugify(value: str) -> str:
    """`Fromagerie Lucas & Fils` → `fromagerie-lucas-fils`."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:70] or "boutique"


def unique_shop_slug(name: str) -> str:
    """A slug from the name not used by any shop: `-2`, `-3`… on clashes."""
    base = slugify(name)
    taken = set(db.session.scalars(select(Shop.slug).where(Shop.slug.like(f"{base}%"))))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def approve_application(application_id: int, *, actor_id: int, note: str = "") -> Shop:
    """Approve: create the approved shop, make (or reuse) the contact's account as its owner with the
    shopkeeper role, enqueue the owner's invitation, and log the decision. Flushes.

    :raise NotFoundError: no such application. :raise InvalidTransition: already decided.
    """
    application = _lock_application(application_id, ApplicationStatus.APPROVED)
    shop = Shop(slug=unique_shop_slug(application.shop_name), name=application.shop_name, trade=application.trade,
                address=application.address, phone=application.phone, email=application.email,
                description=application.sells, status=ShopStatus.APPROVED)
    db.session.add(shop)
    db.session.flush()
    application.status = ApplicationStatus.APPROVED
    application.shop_id = shop.id
    application.decided_at = utcnow()
    _record(DecisionAction.APPROVE, actor_id=actor_id, reason=note, shop_id=shop.id, application_id=application.id)
    _invite(shop, application.email, application.contact_name, actor_id=actor_id, is_owner=True)
    return shop


def request_information(application_id: int, *, actor_id: int, message: str) -> ShopDecision:
    """Ask the applicant for more information (e-mailed); the application waits as info_requested. Flushes.

    :raise ValidationFailed: empty message. :raise InvalidTransition: already decided.
    """
    _require_text(message, "reason", _l("Écrivez la question à poser au commerce."))
    application = _lock_application(application_id, ApplicationStatus.INFO_REQUESTED)
    application.status = ApplicationStatus.INFO_REQUESTED
    decision = _record(DecisionAction.REQUEST_INFO, actor_id=actor_id, reason=message, application_id=application.id)
    outbox.enqueue(DECISION_TASK, decision_id=decision.id)
    return decision


def refuse_application(application_id: int, *, actor_id: int, reason: str) -> ShopDecision:
    """Refuse with a reason (e-mailed to the applicant) and log it. Flushes.

    :raise ValidationFailed: empty reason. :raise InvalidTransition: already decided.
    """
    _require_text(reason, "reason", _l("Indiquez le motif du refus."))
    application = _lock_application(application_id, ApplicationStatus.REFUSED)
    application.status = ApplicationStatus.REFUSED
    application.decided_at = utcnow()
    decision = _record(DecisionAction.REFUSE, actor_id=actor_id, reason=reason, application_id=application.id)
    outbox.enqueue(DECISION_TASK, decision_id=decision.id)
    return decision


def _require_text(value: str, field: str, message: object) -> None:
    if not value.strip():
        raise ValidationFailed(str(message), fields={field: str(message)})


# -- shops -------------------------------------------------------------------------------------------


def list_shops() -> list[Shop]:
    """Every shop, whatever its status, by name."""
    return list(db.session.scalars(select(Shop).order_by(Shop.name, Shop.id)))


def get_shop(slug: str) -> Shop:
    """A shop in any status. :raise NotFoundError: unknown slug."""
    shop = db.session.scalar(select(Shop).where(Shop.slug == slug))
    if shop is None:
        raise NotFoundError(str(_l("Boutique introuvable.")))
    return shop


def _lock_shop(shop_id: int) -> Shop:
    shop = db.session.scalar(select(Shop).where(Shop.id == shop_id).with_for_update())
    if shop is None:
        raise NotFoundError(str(_l("Boutique introuvable.")))
    return shop


def suspend_shop(shop_id: int, *, actor_id: int, reason: str) -> ShopDecision:
    """Suspend an approved shop: the catalog stops showing it and its products; its open orders stay
    served. Logs the decision. Flushes.

    :raise ValidationFailed: empty reason. :raise InvalidTransition: the shop is not approved.
    """
    _require_text(reason, "reason", _l("Indiquez le motif de la suspension."))
    shop = _lock_shop(shop_id)
    if shop.status != ShopStatus.APPROVED:
        raise InvalidTransition(str(_l("Seule une boutique active peut être suspendue.")))
    shop.status = ShopStatus.SUSPENDED
    return _record(DecisionAction.SUSPEND, actor_id=actor_id, reason=reason, shop_id=shop.id)


def reinstate_shop(shop_id: int, *, actor_id: int, reason: str = "") -> ShopDecision:
    """Make a suspended shop visible again and log it. Flushes.

    :raise InvalidTransition: the shop is not suspended.
    """
    shop = _lock_shop(shop_id)
    if shop.status != ShopStatus.SUSPENDED:
        raise InvalidTransition(str(_l("Seule une boutique suspendue peut être rétablie.")))
    shop.status = ShopStatus.APPROVED
    return _record(DecisionAction.REINSTATE, actor_id=actor_id, reason=reason, shop_id=shop.id)


def decisions_for_shop(shop_id: int) -> list[ShopDecision]:
    """The shop's decisions and those on the application that created it, newest first."""
    application_ids = select(ShopApplication.id).where(ShopApplication.shop_id == shop_id)
    return list(db.session.scalars(
        select(ShopDecision)
        .where((ShopDecision.shop_id == shop_id) | ShopDecision.application_id.in_(application_ids))
        .order_by(ShopDecision.id.desc())
    ))


def decisions_for_application(application_id: int) -> list[ShopDecision]:
    return list(db.session.scalars(
        select(ShopDecision).where(ShopDecision.application_id == application_id).order_by(ShopDecision.id.desc())
    ))


# -- staff and invitations ---------------------------------------------------------------------------


def _invite(shop: Shop, email: str, name: str, *, actor_id: int | None, is_owner: bool) -> Invitation:
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
    shop = _lock_shop(shop_id)
    existing = accounts.get_user_by_email(email)
    if existing is not None and db.session.scalar(
        select(ShopStaff.id).where(ShopStaff.shop_id == shop.id, ShopStaff.user_id == existing.id)
    ) is not None:
        raise AlreadyInTeam(str(_l("Cette personne fait déjà partie de l'équipe.")),
                            fields={"email": str(_l("Déjà dans l'équipe."))})
    invitation = _invite(shop, email, name, actor_id=actor_id, is_owner=False)
    _record(DecisionAction.STAFF_INVITED, actor_id=actor_id, shop_id=shop.id,
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
    _record(DecisionAction.STAFF_REMOVED, actor_id=actor_id, shop_id=shop_id, reason=user.email if user else "")


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

    :raise InvalidInvitation: expired, tampered, already used, or the person left the team since.
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
    still_in_team = db.session.scalar(
        select(ShopStaff.id).where(ShopStaff.shop_id == invitation.shop_id, ShopStaff.user_id == invitation.user_id)
    )
    if still_in_team is None:
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
    shop = db.session.get(Shop, invitation.shop_id)
    if user is None or shop is None:
        return False

    def build() -> mail.Mail:
        from flask import render_template

        from shopapp.core.i18n import force_locale_for

        if invitation.needs_password:
            link = public_url("association.accept_invitation", token=make_invitation_token(invitation))
        else:
            link = public_url("accounts.login")
        context = {"user": user, "shop": shop, "invitation": invitation, "link": link}
        with force_locale_for(user.locale):
            subject = render_template("association/emails/invitation_subject.txt", **context).strip()
            text = render_template("association/emails/invitation.txt", **context)
        return mail.Mail(to=user.email, subject=subject, text=text)

    return notices.send_once(f"invitation:{invitation.id}", user.email, "shop_invitation", build)


def send_decision_email(decision_id: int) -> bool:
    """E-mail an application decision (information request or refusal) to the applicant once
    (notice key `application-decision:<id>`). Commits the claim. :raise mail.TemporaryMailError."""
    decision = db.session.get(ShopDecision, decision_id)
    if decision is None or decision.application_id is None:
        return False
    application = db.session.get(ShopApplication, decision.application_id)
    if application is None or decision.action not in (DecisionAction.REQUEST_INFO, DecisionAction.REFUSE):
        return False

    def build() -> mail.Mail:
        from flask import render_template

        name = "info_request" if decision.action == DecisionAction.REQUEST_INFO else "refusal"
        context = {"application": application, "decision": decision}
        subject = render_template(f"association/emails/{name}_subject.txt", **context).strip()
        text = render_template(f"association/emails/{name}.txt", **context)
        return mail.Mail(to=application.email, subject=subject, text=text)

    return notices.send_once(f"application-decision:{decision.id}", application.email, "application_decision",
                             build)


# -- acting for a shop -------------------------------------------------------------------------------


def start_acting(slug: str, *, admin_id: int, path: str) -> Shop:
    """Check the shop exists and log that the admin starts acting for it (the view keeps it in the
    session). Flushes. :raise NotFoundError: unknown slug."""
    shop = get_shop(slug)
    log_acting_request(admin_id=admin_id, shop_id=shop.id, method="POST", path=path, endpoint="association.act_start")
    return shop


def log_acting_request(*, admin_id: int, shop_id: int, method: str, path: str, endpoint: str) -> ActingLog:
    """Record a state-changing request an admin makes on behalf of a shop. Flushes; rolled back with
    the request when it fails."""
    row = ActingLog(admin_id=admin_id, shop_id=shop_id, method=method[:8], path=path[:500], endpoint=endpoint[:120])
    db.session.add(row)
    db.session.flush()
    return row


def acting_log_for_shop(shop_id: int, limit: int = 100) -> list[ActingLog]:
    return list(db.session.scalars(
        select(ActingLog).where(ActingLog.shop_id == shop_id).order_by(ActingLog.id.desc()).limit(limit)
    ))


# -- nominations -------------------------------------------------------------------------------------


def nominate(name: str, trade: str, reason: str, *, user_id: int) -> Nomination:
    """Propose a shop; the resident who proposes it counts as its first support. Flushes."""
    _require_text(name, "name", _l("Indiquez le nom de la boutique."))
    nomination = Nomination(name=name.strip(), trade=trade.strip(), reason=reason.strip(), nominated_by_id=user_id)
    db.session.add(nomination)
    db.session.flush()
    db.session.add(NominationSupport(nomination_id=nomination.id, user_id=user_id))
    db.session.flush()
    return nomination


def support_nomination(nomination_id: int, *, user_id: int) -> bool:
    """Count this resident's support once: True when counted now, False when they already supported
    it (the unique constraint decides, so two clicks at once count once). Flushes.

    :raise NotFoundError: no such nomination.
    """
    if db.session.get(Nomination, nomination_id) is None:
        raise NotFoundError(str(_l("Proposition introuvable.")))
    try:
        with db.session.begin_nested():
            db.session.add(NominationSupport(nomination_id=nomination_id, user_id=user_id))
    except IntegrityError:
        return False
    return True


@dataclass(frozen=True)
class RankedNomination:
    nomination: Nomination
    supports: int
    supported_by_me: bool


def ranked_nominations(*, viewer_id: int | None = None, include_joined: bool = True) -> list[RankedNomination]:
    """Nominations by support count (most first), then oldest first."""
    count = func.count(NominationSupport.id).label("supports")
    stmt = (
        select(Nomination, count)
        .outerjoin(NominationSupport, NominationSupport.nomination_id == Nomination.id)
        .group_by(Nomination.id)
        .order_by(count.desc(), Nomination.id)
    )
    if not include_joined:
        stmt = stmt.where(Nomination.status != NominationStatus.JOINED)
    mine: set[int] = set()
    if viewer_id is not None:
        mine = set(db.session.scalars(
            select(NominationSupport.nomination_id).where(NominationSupport.user_id == viewer_id)
        ))
    return [RankedNomination(nomination, int(supports), nomination.id in mine)
            for nomination, supports in db.session.execute(stmt).tuples()]


def set_nomination_status(nomination_id: int, status: str, *, actor_id: int) -> Nomination:
    """Mark a nomination open, contacted or joined, and log who did it. Flushes.

    :raise NotFoundError: no such nomination. :raise ValidationFailed: unknown status.
    """
    if status not in set(NominationStatus):
        raise ValidationFailed(str(_l("Statut inconnu.")), fields={"status": str(_l("Statut inconnu."))})
    nomination = db.session.get(Nomination, nomination_id)
    if nomination is None:
        raise NotFoundError(str(_l("Proposition introuvable.")))
    old = nomination.status
    nomination.status = status
    _record(DecisionAction.NOMINATION_STATUS, actor_id=actor_id, nomination_id=nomination.id,
            reason=f"{old} → {status}")
    return nomination
