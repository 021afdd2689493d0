"""Residents propose shops they would like to see join; others support them (once each); the
association follows each proposal up (open, contacted, joined), and every status change is logged.

Services flush and never commit; the request, CLI or task boundary commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from shopapp.association.models import DecisionAction, Nomination, NominationStatus, NominationSupport
from shopapp.association.services import record_decision, require_text
from shopapp.errors import NotFoundError, ValidationFailed
from shopapp.extensions import db


def nominate(name: str, trade: str, reason: str, *, user_id: int) -> Nomination:
    """Propose a shop; the resident who proposes it counts as its first support. Flushes."""
    require_text(name, "name", _l("Indiquez le nom de la boutique."))
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
    record_decision(DecisionAction.NOMINATION_STATUS, actor_id=actor_id, nomination_id=nomination.id,
            reason=f"{old} → {status}")
    return nomination
