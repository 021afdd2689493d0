"""Joining and leaving the tiers-lieu. Services flush, never commit."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shopapp.core.clock import utcnow
from shopapp.errors import ValidationFailed
from shopapp.extensions import db
from shopapp.members.models import Membership


def consent_text(venue: str) -> str:
    """What a resident agrees to when joining the association of the venue named `venue`."""
    return str(_l(
        "J'adhère à l'association de %(venue)s. J'accepte que mon nom et mon adresse e-mail soient "
        "conservés dans la liste des membres tant que je suis membre, et je peux quitter l'association à tout "
        "moment.", venue=venue))


def is_member(user_id: int | None) -> bool:
    """Whether this user (None = anonymous) is a member of the tiers-lieu."""
    if user_id is None:
        return False
    return db.session.scalar(select(Membership.id).where(Membership.user_id == user_id)) is not None


def membership_of(user_id: int) -> Membership | None:
    return db.session.scalar(select(Membership).where(Membership.user_id == user_id))


def join(user_id: int, *, consent: bool, venue: str) -> Membership:
    """Make the user a member of the association of the venue named `venue`, recording the date and the
    consent wording. Idempotent: an existing membership is returned as it is. Flushes.

    :raise ValidationFailed: consent not given.
    """
    if not consent:
        raise ValidationFailed("Votre accord est nécessaire pour adhérer.", fields={"consent": "requis"})
    existing = membership_of(user_id)
    if existing is not None:
        return existing
    now = utcnow()
    row = Membership(user_id=user_id, joined_at=now, consent_text=consent_text(venue)[:500], consent_at=now)
    db.session.add(row)
    db.session.flush()
    return row


def leave(user_id: int) -> bool:
    """End the membership (the row is deleted). Flushes; returns whether there was one."""
    existing = membership_of(user_id)
    if existing is None:
        return False
    db.session.delete(existing)
    db.session.flush()
    return True
