"""Reading animations: what a viewer may see, overlap with pickup slots, registrations of a resident."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, select

from shopapp.animations.models import Animation, AnimationStatus, Audience, Registration, RegistrationStatus, WalkIn
from shopapp.core.clock import as_utc
from shopapp.errors import NotFoundError
from shopapp.extensions import db
from shopapp.members.services import is_member
from shopapp.orders.models import PickupSlot
from shopapp.venue.queries import current_venue


def visible_to(viewer_id: int | None) -> ColumnElement[bool]:
    """Published animations, members-only ones only for members."""
    condition = Animation.status == AnimationStatus.PUBLISHED
    if is_member(viewer_id):
        return condition
    return and_(condition, Animation.audience == Audience.EVERYONE)


def overlaps(start_a: object, end_a: object, start_b: object, end_b: object) -> ColumnElement[bool]:
    """Half-open intervals [a) and [b) share some time: both compared in UTC (stored values)."""
    return and_(start_a < end_b, start_b < end_a)  # type: ignore[operator]


def list_animations(start: datetime, end: datetime, viewer_id: int | None) -> list[Animation]:
    """Visible animations happening (at least partly) in [start, end), by start time."""
    start, end = as_utc(start).astimezone(UTC), as_utc(end).astimezone(UTC)
    return list(db.session.scalars(
        select(Animation)
        .where(visible_to(viewer_id), overlaps(Animation.starts_at, Animation.ends_at, start, end))
        .order_by(Animation.starts_at, Animation.id)
    ))


def visible_animation(animation_id: int, viewer_id: int | None) -> Animation:
    """The animation if this viewer may see it.

    :raise NotFoundError: unknown, not published, or members-only for a non-member.
    """
    found = db.session.scalar(select(Animation).where(Animation.id == animation_id, visible_to(viewer_id)))
    if found is None:
        raise NotFoundError("Cette animation n'existe pas.")
    return found


def get_animation(animation_id: int) -> Animation:
    """Any animation, whatever its status (venue staff).

    :raise NotFoundError: unknown id.
    """
    found = db.session.get(Animation, animation_id)
    if found is None:
        raise NotFoundError("Cette animation n'existe pas.")
    return found


def slots_of(animation: Animation) -> list[PickupSlot]:
    """The venue's pickup slots that overlap the animation: its linked slots."""
    venue = current_venue()
    if venue is None:
        return []
    return list(db.session.scalars(
        select(PickupSlot)
        .where(PickupSlot.venue_id == venue.id,
               overlaps(PickupSlot.starts_at, PickupSlot.ends_at, animation.starts_at, animation.ends_at))
        .order_by(PickupSlot.starts_at)
    ))


def slot_ids_by_animation(animations: Sequence[Animation]) -> dict[int, list[int]]:
    """For each animation id, the ids of its linked slots (one query for the whole list)."""
    result: dict[int, list[int]] = {a.id: [] for a in animations}
    venue = current_venue()
    if not animations or venue is None:
        return result
    rows = db.session.execute(
        select(Animation.id, PickupSlot.id)
        .join(PickupSlot, and_(PickupSlot.venue_id == venue.id,
                               overlaps(PickupSlot.starts_at, PickupSlot.ends_at, Animation.starts_at,
                                        Animation.ends_at)))
        .where(Animation.id.in_([a.id for a in animations]))
        .order_by(PickupSlot.starts_at)
    )
    for animation_id, slot_id in rows:
        result[animation_id].append(slot_id)
    return result


def animations_by_slot(slots: Sequence[PickupSlot], viewer_id: int | None) -> dict[int, list[Animation]]:
    """For each slot id, the visible animations overlapping it (one query for the whole list)."""
    result: dict[int, list[Animation]] = defaultdict(list)
    if not slots:
        return result
    first = min(s.starts_at for s in slots)
    last = max(s.ends_at for s in slots)
    found = list_animations(first, last, viewer_id)
    for slot in slots:
        for animation in found:
            if as_utc(animation.starts_at) < as_utc(slot.ends_at) and as_utc(slot.starts_at) < as_utc(
                    animation.ends_at):
                result[slot.id].append(animation)
    return result


def active_registration(animation_id: int, user_id: int) -> Registration | None:
    return db.session.scalar(select(Registration).where(
        Registration.animation_id == animation_id, Registration.user_id == user_id,
        Registration.status.in_((RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED))))


def registrations_of(user_id: int) -> list[Registration]:
    """A resident's registrations, soonest animation first (cancelled ones included)."""
    return list(db.session.scalars(
        select(Registration).join(Animation).where(Registration.user_id == user_id)
        .order_by(Animation.starts_at, Registration.id)
    ))


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first in line; None when not waitlisted."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = db.session.scalars(select(Registration.id).where(
        Registration.animation_id == registration.animation_id,
        Registration.status == RegistrationStatus.WAITLISTED, Registration.id < registration.id)).all()
    return len(ahead) + 1


def registrants_of(animation_id: int, statuses: tuple[str, ...]) -> list[Registration]:
    return list(db.session.scalars(
        select(Registration).where(Registration.animation_id == animation_id, Registration.status.in_(statuses))
        .order_by(Registration.id)
    ))



def walk_ins_of(animation_id: int) -> list[WalkIn]:
    return list(db.session.scalars(select(WalkIn).where(WalkIn.animation_id == animation_id).order_by(WalkIn.id)))
