"""Animation lifecycle: venue staff create, edit, publish and cancel; a shop proposes, the venue approves.

Statuses: proposed (by a shop) → draft | published | cancelled; draft → published | cancelled;
published → cancelled. Only venue staff (or the association's admins) publish: a shop's proposal
stays `proposed` until the venue approves it. Services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select, update

from shopapp.accounts.models import Role, User
from shopapp.animations import registrations
from shopapp.animations.models import Animation, AnimationKind, AnimationShop, AnimationStatus, Audience
from shopapp.animations.queries import get_animation
from shopapp.catalog.models import Product, Shop
from shopapp.core import outbox
from shopapp.core.clock import as_utc, utcnow
from shopapp.errors import ForbiddenError, InvalidTransition, ValidationFailed
from shopapp.extensions import db

ANIMATION_CANCELLED_TASK = "animations.animation_cancelled"
# animation_id: tell the residents who keep one of its shops among their favourites (and asked for it)
FAVOURITE_SHOP_ANIMATION_TASK = "animations.favourite_shop_animation"
MAX_CAPACITY = 500

TRANSITIONS: dict[str, tuple[str, ...]] = {
    AnimationStatus.PROPOSED: (AnimationStatus.DRAFT, AnimationStatus.PUBLISHED, AnimationStatus.CANCELLED),
    AnimationStatus.DRAFT: (AnimationStatus.PUBLISHED, AnimationStatus.CANCELLED),
    AnimationStatus.PUBLISHED: (AnimationStatus.CANCELLED,),
    AnimationStatus.CANCELLED: (),
}


@dataclass
class AnimationData:
    """What venue staff (or a shop) fill in. Times are UTC (see times.to_utc)."""

    title: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    description: str = ""
    audience: str = Audience.EVERYONE
    shop_ids: list[int] = field(default_factory=list)
    product_ids: list[int] = field(default_factory=list)
    # A path stored by catalog.images.store_image; replaces the current image (None: no image), so an
    # edit that keeps the image passes the current path on.
    image_path: str | None = None


def _validate(data: AnimationData) -> None:
    fields: dict[str, str] = {}
    if not data.title.strip():
        fields["title"] = "requis"
    if data.kind not in tuple(AnimationKind):
        fields["kind"] = "inconnu"
    if data.audience not in tuple(Audience):
        fields["audience"] = "everyone ou members"
    if as_utc(data.ends_at) <= as_utc(data.starts_at):
        fields["ends_at"] = "après le début"
    if not 0 <= data.capacity <= MAX_CAPACITY:
        fields["capacity"] = f"entre 0 et {MAX_CAPACITY}"
    if fields:
        raise ValidationFailed("Certaines valeurs sont invalides.", fields=fields)


def _is_venue_staff(actor_id: int) -> bool:
    user = db.session.get(User, actor_id)
    return user is not None and user.has_role(Role.VENUE, Role.ADMIN)


def _require_venue_staff(actor_id: int) -> None:
    if not _is_venue_staff(actor_id):
        raise ForbiddenError("Seule l'équipe du lieu peut faire cela.")


def _apply(animation: Animation, data: AnimationData, *, only_shop_id: int | None = None) -> None:
    shops = list(db.session.scalars(select(Shop).where(Shop.id.in_(sorted(set(data.shop_ids))))))
    products = list(db.session.scalars(select(Product).where(Product.id.in_(sorted(set(data.product_ids))))))
    if len(shops) != len(set(data.shop_ids)):
        raise ValidationFailed("Boutique inconnue.", fields={"shop_ids": "inconnue"})
    if len(products) != len(set(data.product_ids)):
        raise ValidationFailed("Produit inconnu.", fields={"product_ids": "inconnu"})
    if only_shop_id is not None and any(p.shop_id != only_shop_id for p in products):
        raise ValidationFailed("Une boutique ne peut mettre en avant que ses propres produits.",
                               fields={"product_ids": "produit d'une autre boutique"})
    # A featured product's shop is featured too.
    for product in products:
        if product.shop_id not in {s.id for s in shops}:
            shops.append(product.shop)
    animation.title = data.title.strip()[:160]
    animation.kind = data.kind
    animation.description = data.description
    # Stored in UTC (SQLite keeps no offset: an aware local value would be read back wrong).
    animation.starts_at = as_utc(data.starts_at).astimezone(UTC)
    animation.ends_at = as_utc(data.ends_at).astimezone(UTC)
    animation.capacity = data.capacity
    animation.audience = data.audience
    animation.image_path = data.image_path
    animation.shops = shops
    animation.products = products


def create_animation(data: AnimationData, *, actor_id: int) -> Animation:
    """Venue staff create an animation as a draft. Flushes.

    :raise ForbiddenError: the actor is not venue staff.
    :raise ValidationFailed: invalid values.
    """
    _require_venue_staff(actor_id)
    _validate(data)
    animation = Animation(status=AnimationStatus.DRAFT, created_by_id=actor_id, seats_taken=0)
    _apply(animation, data)
    db.session.add(animation)
    db.session.flush()
    return animation


def propose_animation(data: AnimationData, *, shop_id: int, actor_id: int) -> Animation:
    """A shop proposes an animation featuring its own products; it waits for the venue's approval
    (status `proposed`, invisible to residents). Flushes.

    :raise ValidationFailed: invalid values or another shop's products.
    """
    _validate(data)
    data.shop_ids = [shop_id]
    animation = Animation(status=AnimationStatus.PROPOSED, created_by_id=actor_id, proposed_by_shop_id=shop_id,
                          seats_taken=0)
    _apply(animation, data, only_shop_id=shop_id)
    db.session.add(animation)
    db.session.flush()
    return animation


def update_animation(animation_id: int, data: AnimationData, *, actor_id: int) -> Animation:
    """Venue staff edit an animation. A capacity below the seats already taken is refused; a larger
    one promotes the waitlist. Flushes.

    :raise ForbiddenError: not venue staff. :raise NotFoundError: unknown animation.
    :raise InvalidTransition: the animation is cancelled. :raise ValidationFailed: invalid values.
    """
    _require_venue_staff(actor_id)
    _validate(data)
    animation = registrations.lock_animation(animation_id)
    if animation.status == AnimationStatus.CANCELLED:
        raise InvalidTransition("Une animation annulée ne se modifie plus.")
    if data.capacity < animation.seats_taken:
        raise ValidationFailed(
            f"{animation.seats_taken} places sont déjà réservées : la capacité ne peut pas être inférieure.",
            fields={"capacity": f"au moins {animation.seats_taken}"})
    grew = data.capacity > animation.capacity
    _apply(animation, data)
    db.session.flush()
    if grew:
        registrations.promote_waitlist(animation.id)
    return animation


def publish_animation(animation_id: int, *, actor_id: int) -> Animation:
    """Publish a draft, or approve a shop's proposal. Only venue staff can. Flushes.

    :raise ForbiddenError: not venue staff (a shop cannot publish its own proposal).
    :raise NotFoundError: unknown animation. :raise InvalidTransition: already published or cancelled.
    """
    _require_venue_staff(actor_id)
    animation = get_animation(animation_id)
    _transition(animation, AnimationStatus.PUBLISHED)
    animation.published_at = utcnow()
    animation.approved_by_id = actor_id
    db.session.flush()
    if animation.shops:
        outbox.enqueue(FAVOURITE_SHOP_ANIMATION_TASK, animation_id=animation.id)
    return animation


def cancel_animation(animation_id: int, *, actor_id: int) -> Animation:
    """Cancel an animation and queue one notice to every registrant (registered or waitlisted).
    Registrations keep their status so that the notice reaches them; no seat is taken any more.
    Cancelling twice is refused. Flushes.

    :raise ForbiddenError: not venue staff. :raise NotFoundError: unknown animation.
    :raise InvalidTransition: already cancelled.
    """
    _require_venue_staff(actor_id)
    animation = registrations.lock_animation(animation_id)
    # Conditional update: two concurrent cancellations queue the notices once.
    result = db.session.execute(
        update(Animation).where(Animation.id == animation.id, Animation.status != AnimationStatus.CANCELLED)
        .values(status=AnimationStatus.CANCELLED, cancelled_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidTransition("Cette animation est déjà annulée.")
    db.session.refresh(animation)
    outbox.enqueue(ANIMATION_CANCELLED_TASK, animation_id=animation.id)
    return animation


def _transition(animation: Animation, new: str) -> None:
    if new not in TRANSITIONS[animation.status]:
        raise InvalidTransition(f"Transition impossible : {animation.status} → {new}.")
    animation.status = new


def proposals_for_shop(shop_id: int) -> list[Animation]:
    """The animations a shop proposed or is featured in, newest first."""

    featured = select(AnimationShop.animation_id).where(AnimationShop.shop_id == shop_id)
    return list(db.session.scalars(
        select(Animation).where((Animation.proposed_by_shop_id == shop_id) | Animation.id.in_(featured))
        .order_by(Animation.starts_at.desc())
    ))


def all_animations() -> list[Animation]:
    """Every animation for venue staff, soonest first."""
    return list(db.session.scalars(select(Animation).order_by(Animation.starts_at.desc())))

