"""Registrations: seats within capacity, a waitlist promoted in order, cancellation, joining at
checkout, and check-in at the pickup desk.

Seats change only by conditional SQL updates on the animation row
(`seats_taken = seats_taken + n WHERE seats_taken + n <= capacity`): the row count decides whether a
registration is `registered` or `waitlisted`, so concurrent registrations never exceed capacity.
Paths that free seats (cancellation, a larger capacity) first lock the animation row, then promote
waitlisted registrations in id order: lock order animation row → registration rows, everywhere.
On SQLite, BEGIN IMMEDIATE serialises writers as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from shopapp.animations.errors import AlreadyRegistered, AnimationClosed, AnimationFull
from shopapp.animations.models import Animation, AnimationStatus, Registration, RegistrationStatus, WalkIn
from shopapp.animations.queries import active_registration, get_animation, visible_animation
from shopapp.core import outbox
from shopapp.core.clock import as_utc, utcnow
from shopapp.errors import NotFoundError, ValidationFailed
from shopapp.extensions import db
from shopapp.orders.models import Order, PickupSlot

REGISTRATION_TASK = "animations.registration_confirmed"
PROMOTION_TASK = "animations.waitlist_promoted"
MAX_SEATS = 6
ACTIVE = (RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED)


def lock_animation(animation_id: int) -> Animation:
    """The animation row, locked for the transaction (FOR UPDATE; SQLite: already serialised).

    :raise NotFoundError: unknown id.
    """
    animation = db.session.scalar(
        select(Animation).where(Animation.id == animation_id).with_for_update().execution_options(
            populate_existing=True)
    )
    if animation is None:
        raise NotFoundError("Cette animation n'existe pas.")
    return animation


def take_seats(animation_id: int, seats: int) -> bool:
    """Take `seats` seats if they fit, in one conditional UPDATE. Flushes; True when taken."""
    result = db.session.execute(
        update(Animation)
        .where(Animation.id == animation_id, Animation.status == AnimationStatus.PUBLISHED,
               Animation.seats_taken + seats <= Animation.capacity)
        .values(seats_taken=Animation.seats_taken + seats)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def give_back_seats(animation_id: int, seats: int) -> None:
    db.session.execute(
        update(Animation).where(Animation.id == animation_id, Animation.seats_taken >= seats)
        .values(seats_taken=Animation.seats_taken - seats)
        .execution_options(synchronize_session=False)
    )



def _check_open(animation: Animation, now: datetime) -> None:
    if animation.status != AnimationStatus.PUBLISHED or as_utc(animation.starts_at) <= now:
        raise AnimationClosed("Les inscriptions à cette animation sont closes.")


def register(animation_id: int, user_id: int, seats: int = 1, *, order_id: int | None = None,
             now: datetime | None = None) -> Registration:
    """Register the user for `seats` seats: `registered` when they fit, else `waitlisted` (also when
    others are already waiting, so nobody jumps the queue). Queues the confirmation notice. Flushes.

    :raise NotFoundError: not visible to this user (unknown, unpublished, members-only).
    :raise AnimationClosed: cancelled or already started (409).
    :raise AlreadyRegistered: the user already holds an active registration (409).
    :raise ValidationFailed: seats outside 1..MAX_SEATS.
    """
    if not 1 <= seats <= MAX_SEATS:
        raise ValidationFailed(f"Entre 1 et {MAX_SEATS} places.", fields={"seats": f"1 à {MAX_SEATS}"})
    animation = visible_animation(animation_id, user_id)
    _check_open(animation, now or utcnow())
    registration = Registration(animation_id=animation.id, user_id=user_id, seats=seats,
                                status=RegistrationStatus.WAITLISTED, order_id=order_id)
    # The partial unique index (one active registration per user) decides a double submission.
    try:
        with db.session.begin_nested():
            db.session.add(registration)
    except IntegrityError:
        raise AlreadyRegistered("Vous êtes déjà inscrit à cette animation.")
    if not _has_waitlist_before(animation.id, registration.id) and take_seats(animation.id, seats):
        registration.status = RegistrationStatus.REGISTERED
    db.session.flush()
    # The status at registration time: by the time the worker sends, a promotion may have changed it.
    outbox.enqueue(REGISTRATION_TASK, registration_id=registration.id, status=registration.status)
    return registration


def _has_waitlist_before(animation_id: int, registration_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(
        Registration.animation_id == animation_id, Registration.status == RegistrationStatus.WAITLISTED,
        Registration.id < registration_id))))


def cancel_registration(animation_id: int, user_id: int) -> Registration:
    """Cancel the user's active registration; freed seats go to the waitlist in order. Flushes.

    :raise NotFoundError: no active registration of this user for this animation.
    """
    lock_animation(animation_id)
    registration = active_registration(animation_id, user_id)
    if registration is None:
        raise NotFoundError("Vous n'êtes pas inscrit à cette animation.")
    was_registered = registration.status == RegistrationStatus.REGISTERED
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = utcnow()
    db.session.flush()
    if was_registered:
        give_back_seats(animation_id, registration.seats)
        promote_waitlist(animation_id)
    return registration


def promote_waitlist(animation_id: int) -> list[Registration]:
    """Move waitlisted registrations to `registered`, first come first served, while their seats fit;
    stops at the first that does not fit (nobody behind overtakes it). Queues a notice for each.
    The caller holds the animation row lock. Flushes; returns the promoted registrations.
    """
    promoted: list[Registration] = []
    waiting = db.session.scalars(
        select(Registration).where(Registration.animation_id == animation_id,
                                   Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.id).with_for_update()
    ).all()
    for registration in waiting:
        if not take_seats(animation_id, registration.seats):
            break
        registration.status = RegistrationStatus.REGISTERED
        registration.promoted_at = utcnow()
        db.session.flush()
        outbox.enqueue(PROMOTION_TASK, registration_id=registration.id)
        promoted.append(registration)
    return promoted


def join_at_checkout(user_id: int, order_id: int, animation_ids: Iterable[int]) -> list[Registration]:
    """The checkout step `join_animation_ids`: one seat for the resident at each animation, which must
    overlap the order's pickup slot. A full animation puts them on its waitlist (capacity is never
    exceeded); an existing registration is kept as it is. Flushes.

    :raise NotFoundError: unknown order of this user, or an animation they cannot see.
    :raise ValidationFailed: an animation not happening during the order's pickup slot.
    :raise AnimationClosed: an animation cancelled or already started.
    """
    ids = sorted(set(animation_ids))
    if not ids:
        return []
    order = db.session.get(Order, order_id)
    if order is None or order.user_id != user_id:
        raise NotFoundError("Commande introuvable.")
    slot: PickupSlot = order.pickup_slot
    joined: list[Registration] = []
    for animation_id in ids:
        animation = visible_animation(animation_id, user_id)
        if not (as_utc(animation.starts_at) < as_utc(slot.ends_at) and as_utc(slot.starts_at) < as_utc(
                animation.ends_at)):
            raise ValidationFailed("Cette animation n'a pas lieu pendant votre créneau de retrait.",
                                   fields={"join_animation_ids": "hors du créneau choisi"})
        existing = active_registration(animation_id, user_id)
        if existing is not None:
            joined.append(existing)
            continue
        joined.append(register(animation_id, user_id, 1, order_id=order_id))
    return joined


def registrations_for_pickup(order_id: int) -> list[Registration]:
    """At the desk: the order's resident's registrations (registered) for animations overlapping the
    order's pickup slot — the ones to offer for check-in."""
    return registrations_for_pickups([order_id]).get(order_id, [])


def registrations_for_pickups(order_ids: Sequence[int]) -> dict[int, list[Registration]]:
    """`registrations_for_pickup` of several orders in ONE query (the order, its slot and the animations
    joined in): the worker asks this for every order confirmation it sends, a batch at a time."""
    found: dict[int, list[Registration]] = {}
    for found_for, registration in db.session.execute(
        select(Order.id, Registration)
        .join(Registration.animation)
        .join(Order, Order.user_id == Registration.user_id)
        .join(PickupSlot, PickupSlot.id == Order.pickup_slot_id)
        .where(Order.id.in_(order_ids), Registration.status == RegistrationStatus.REGISTERED,
               Animation.status == AnimationStatus.PUBLISHED,
               Animation.starts_at < PickupSlot.ends_at, PickupSlot.starts_at < Animation.ends_at)
        .options(contains_eager(Registration.animation))
        .order_by(Order.id, Animation.starts_at, Registration.id)
    ):
        found.setdefault(int(found_for), []).append(registration)
    return found


def check_in(order_id: int, registration_ids: Iterable[int], *, actor_id: int) -> list[Registration]:
    """Record attendance for some of the registrations offered at the desk for this order. Checking in
    twice keeps the first time. Flushes.

    :raise NotFoundError: a registration that is not among the ones offered for this order.
    """
    offered = {r.id: r for r in registrations_for_pickup(order_id)}
    chosen = sorted(set(registration_ids))
    if any(rid not in offered for rid in chosen):
        raise NotFoundError("Inscription introuvable pour cette commande.")
    now = utcnow()
    for rid in chosen:
        if offered[rid].checked_in_at is None:
            offered[rid].checked_in_at = now
            offered[rid].checked_in_by_id = actor_id
    db.session.flush()
    return [offered[rid] for rid in chosen]


MAX_WALK_IN_SEATS = 50


def add_walk_in(animation_id: int, seats: int, *, name: str = "", actor_id: int) -> WalkIn:
    """The desk lets in `seats` people who came without an order or booking: they take seats by the
    same conditional update as registrations (never beyond capacity, even when two desks record at
    once) and are present at once. Flushes.

    :raise NotFoundError: unknown animation.
    :raise AnimationClosed: not published (draft, proposed or cancelled).
    :raise AnimationFull: fewer than `seats` seats left (409).
    :raise ValidationFailed: seats outside 1..MAX_WALK_IN_SEATS, or a name longer than 120 characters.
    """
    if not 1 <= seats <= MAX_WALK_IN_SEATS:
        raise ValidationFailed(f"Entre 1 et {MAX_WALK_IN_SEATS} personnes.",
                               fields={"seats": f"1 à {MAX_WALK_IN_SEATS}"})
    name = (name or "").strip()
    if len(name) > 120:
        raise ValidationFailed("Nom trop long (120 caractères au plus).", fields={"name": "120 caractères au plus"})
    if not name.isprintable():
        raise ValidationFailed("Le nom contient des caractères invalides.", fields={"name": "caractères invalides"})
    animation = get_animation(animation_id)
    if animation.status != AnimationStatus.PUBLISHED:
        raise AnimationClosed("Cette animation n'est pas publiée.")
    if not take_seats(animation.id, seats):
        db.session.refresh(animation)
        raise AnimationFull(
            f"Plus assez de places : il en reste {animation.seats_left} sur {animation.capacity}.",
            fields={"seats": f"{animation.seats_left} au plus"})
    walk_in = WalkIn(animation_id=animation.id, seats=seats, name=name, created_by_id=actor_id)
    db.session.add(walk_in)
    db.session.flush()
    db.session.refresh(animation)
    return walk_in
