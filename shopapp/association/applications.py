"""Shops applying to join: the application queue and the association's decisions on it (approve,
ask for information, refuse), each logged and, when the applicant must hear of it, e-mailed.

Services flush and never commit; the request, CLI or task boundary commits. E-mails are
outbox jobs written in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shopapp.accounts import services as accounts
from shopapp.association.models import ApplicationStatus, DecisionAction, ShopApplication, ShopDecision
from shopapp.association.services import record_decision, require_text
from shopapp.association.siret import is_valid_siret, normalise_siret
from shopapp.association.team import invite
from shopapp.catalog.models import Shop, ShopStatus
from shopapp.core import mail, outbox
from shopapp.core.clock import utcnow
from shopapp.core.text import slugify
from shopapp.errors import InvalidTransition, NotFoundError, ValidationFailed
from shopapp.extensions import db
from shopapp.notices import services as notices

DECISION_TASK = "association.send_decision"

# Which decisions an application in each status accepts.
APPLICATION_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ApplicationStatus.SUBMITTED: (ApplicationStatus.APPROVED, ApplicationStatus.INFO_REQUESTED,
                                  ApplicationStatus.REFUSED),
    ApplicationStatus.INFO_REQUESTED: (ApplicationStatus.APPROVED, ApplicationStatus.INFO_REQUESTED,
                                       ApplicationStatus.REFUSED),
    ApplicationStatus.APPROVED: (),
    ApplicationStatus.REFUSED: (),
}


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


def unique_shop_slug(name: str) -> str:
    """A slug from the name not used by any shop: `-2`, `-3`… on clashes."""
    base = slugify(name, max_length=70, fallback="boutique")
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
    record_decision(DecisionAction.APPROVE, actor_id=actor_id, reason=note, shop_id=shop.id,
                    application_id=application.id)
    invite(shop, application.email, application.contact_name, actor_id=actor_id, is_owner=True)
    return shop


def request_information(application_id: int, *, actor_id: int, message: str) -> ShopDecision:
    """Ask the applicant for more information (e-mailed); the application waits as info_requested. Flushes.

    :raise ValidationFailed: empty message. :raise InvalidTransition: already decided.
    """
    require_text(message, "reason", _l("Écrivez la question à poser au commerce."))
    application = _lock_application(application_id, ApplicationStatus.INFO_REQUESTED)
    application.status = ApplicationStatus.INFO_REQUESTED
    decision = record_decision(DecisionAction.REQUEST_INFO, actor_id=actor_id, reason=message,
                               application_id=application.id)
    outbox.enqueue(DECISION_TASK, decision_id=decision.id)
    return decision


def refuse_application(application_id: int, *, actor_id: int, reason: str) -> ShopDecision:
    """Refuse with a reason (e-mailed to the applicant) and log it. Flushes.

    :raise ValidationFailed: empty reason. :raise InvalidTransition: already decided.
    """
    require_text(reason, "reason", _l("Indiquez le motif du refus."))
    application = _lock_application(application_id, ApplicationStatus.REFUSED)
    application.status = ApplicationStatus.REFUSED
    application.decided_at = utcnow()
    decision = record_decision(DecisionAction.REFUSE, actor_id=actor_id, reason=reason, application_id=application.id)
    outbox.enqueue(DECISION_TASK, decision_id=decision.id)
    return decision


def decisions_for_application(application_id: int) -> list[ShopDecision]:
    return list(db.session.scalars(
        select(ShopDecision).where(ShopDecision.application_id == application_id).order_by(ShopDecision.id.desc())
    ))


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
        name = "info_request" if decision.action == DecisionAction.REQUEST_INFO else "refusal"
        context = {"application": application, "decision": decision}
        subject = render_template(f"association/emails/{name}_subject.txt", **context).strip()
        text = render_template(f"association/emails/{name}.txt", **context)
        return mail.Mail(to=application.email, subject=subject, text=text)

    return notices.send_once(f"application-decision:{decision.id}", application.email, "application_decision",
                             build)
