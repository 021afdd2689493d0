"""Joining and leaving the tiers-lieu. Services flush, never commit."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shopapp.core.clock import utcnow
from shopapp.errors import DomainError, NotFoundError, ValidationFailed
from shopapp.extensions import db
from shopapp.members.models import FeeMethod, Membership, MembershipFee


class FeeAlreadyPaid(DomainError):
    status = 409
    code = "fee_already_paid"


class NoFeeSet(DomainError):
    status = 409
    code = "no_fee"


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


def fee_paid(user_id: int, year: int) -> MembershipFee | None:
    """This member's fee for `year`, if it was received."""
    return db.session.scalar(select(MembershipFee).where(MembershipFee.user_id == user_id,
                                                         MembershipFee.year == year))


def fees_paid_by(year: int) -> dict[int, MembershipFee]:
    """The fees received for `year`, by member."""
    rows = db.session.scalars(select(MembershipFee).where(MembershipFee.year == year,
                                                          MembershipFee.user_id.is_not(None)))
    return {row.user_id: row for row in rows if row.user_id is not None}


def fees_of_year(year: int) -> list[MembershipFee]:
    """Every fee received for `year` (the association's books), oldest first."""
    return list(db.session.scalars(select(MembershipFee).where(MembershipFee.year == year)
                                   .order_by(MembershipFee.paid_at, MembershipFee.id)))


def record_fee(user_id: int, name: str, *, year: int, fee_cents: int, actor_id: int | None,
               method: FeeMethod = FeeMethod.DESK, payment_intent_id: str | None = None) -> MembershipFee:
    """A member's fee for `year` was received: at the desk (by `actor_id`), or by card (recorded by the
    payment's webhook, `payment_intent_id` given). Flushes.

    Once per member and year (a second press of the button, two desks at once, a card payment after
    the desk's: refused, the unique (member, year) row decides). A card payment is recorded even if the
    member left in between: the money was received.
    :raise NoFeeSet: the association asks no fee. :raise NotFoundError: not a member (desk).
    :raise FeeAlreadyPaid: already received for that year.
    """
    if fee_cents <= 0:
        raise NoFeeSet("L'association ne demande pas de cotisation.")
    if method == FeeMethod.DESK and membership_of(user_id) is None:
        raise NotFoundError("Cette personne n'est pas membre.")
    if fee_paid(user_id, year) is not None:
        raise FeeAlreadyPaid("La cotisation de cette année est déjà enregistrée.")
    row = MembershipFee(user_id=user_id, member_name=name[:120], year=year, amount_cents=fee_cents,
                        method=str(method), recorded_by_id=actor_id, stripe_payment_intent_id=payment_intent_id)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise FeeAlreadyPaid("La cotisation de cette année est déjà enregistrée.") from None
    return row
