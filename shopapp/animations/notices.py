"""Animation notices, sent by the worker through `notices.send_once` (one per event and recipient):
registration confirmed (with its .ics), waitlist promotion, reminder, cancellation to every registrant.
Each function takes ids, loads fresh, and is safe to run again (the notice log makes repeats no-ops)."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template
from sqlalchemy import select, update

from shopapp.accounts.models import User
from shopapp.animations import calendar
from shopapp.animations.models import Animation, AnimationStatus, Registration, RegistrationStatus
from shopapp.catalog.models import FavouriteShop
from shopapp.core import mail, outbox
from shopapp.core.clock import utcnow
from shopapp.core.i18n import force_locale_for
from shopapp.core.urls import public_url
from shopapp.extensions import db
from shopapp.notices import services as notices

REMINDER_TASK = "animations.send_reminders"
REMINDER_HOURS_BEFORE = 24


def _mail(user: User, template: str, attachments: tuple[mail.Attachment, ...] = (), **context: object) -> mail.Mail:
    with force_locale_for(user.locale):
        subject = render_template(f"emails/{template}_subject.txt", user=user, **context).strip()
        text = render_template(f"emails/{template}.txt", user=user, **context)
    return mail.Mail(to=user.email, subject=subject, text=text, attachments=attachments)


def _link(animation: Animation) -> str:
    return public_url("animations.animation_page", animation_id=animation.id)


def send_registration_confirmed(registration_id: int, status: str = RegistrationStatus.REGISTERED) -> bool:
    """Registration (`status` registered) or waitlist confirmation, with the animation's .ics attached.
    Commits the claim."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or not registration.user.is_enabled:
        return False
    user, animation = registration.user, registration.animation

    def build() -> mail.Mail:
        ics = mail.Attachment("animation.ics", calendar.registration_file(registration), "text", "calendar")
        return _mail(user, "animation_registration", (ics,), registration=registration, animation=animation,
                     link=_link(animation), status=status)

    return notices.send_once(f"animation-registration:{registration.id}", user.email, "animation_registration", build)


def send_waitlist_promoted(registration_id: int) -> bool:
    """A waitlisted resident got their seats. Commits the claim."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.status != RegistrationStatus.REGISTERED or not registration.user.is_enabled:
        return False
    user, animation = registration.user, registration.animation

    def build() -> mail.Mail:
        ics = mail.Attachment("animation.ics", calendar.registration_file(registration), "text", "calendar")
        return _mail(user, "animation_promoted", (ics,), registration=registration, animation=animation,
                     link=_link(animation))

    return notices.send_once(f"animation-promoted:{registration.id}", user.email, "animation_promoted", build)


def send_cancellation(animation_id: int) -> int:
    """Tell every registrant (registered or waitlisted) that the animation is cancelled, once each.
    Returns how many messages went out on this run."""
    animation = db.session.get(Animation, animation_id)
    if animation is None or animation.status != AnimationStatus.CANCELLED:
        return 0
    sent = 0
    for registration in _active(animation.id):
        user = registration.user

        def build(user: User = user) -> mail.Mail:
            return _mail(user, "animation_cancelled", animation=animation)

        if user.is_enabled and notices.send_once(f"animation-cancelled:{animation.id}", user.email,
                                                 "animation_cancelled", build):
            sent += 1
    return sent


def send_reminders(animation_id: int) -> int:
    """Remind registered residents (who did not opt out) of the animation. Returns messages sent."""
    animation = db.session.get(Animation, animation_id)
    if animation is None or animation.status != AnimationStatus.PUBLISHED:
        return 0
    sent = 0
    for registration in _active(animation.id, (RegistrationStatus.REGISTERED,)):
        user = registration.user
        if not user.is_enabled or not notices.wants(user.id, "animation_reminder"):
            continue

        def build(user: User = user, registration: Registration = registration) -> mail.Mail:
            return _mail(user, "animation_reminder", animation=animation, registration=registration,
                         link=_link(animation))

        if notices.send_once(f"animation-reminder:{animation.id}", user.email, "animation_reminder", build):
            sent += 1
    return sent


def _active(animation_id: int, statuses: tuple[str, ...] = (RegistrationStatus.REGISTERED,
                                                            RegistrationStatus.WAITLISTED)) -> list[Registration]:
    return list(db.session.scalars(select(Registration).where(
        Registration.animation_id == animation_id, Registration.status.in_(statuses)).order_by(Registration.id)))


def queue_reminders() -> int:
    """Beat sweep: queue one reminder job per published animation starting within the next day.
    Idempotent and safe to run twice at once: the flag is set by a conditional update, and only the
    run that set it queues the job. Flushes; returns how many jobs were queued."""
    now = utcnow()
    due = db.session.scalars(select(Animation.id).where(
        Animation.status == AnimationStatus.PUBLISHED, Animation.reminders_queued_at.is_(None),
        Animation.starts_at > now, Animation.starts_at <= now + timedelta(hours=REMINDER_HOURS_BEFORE))).all()
    queued = 0
    for animation_id in due:
        result = db.session.execute(
            update(Animation).where(Animation.id == animation_id, Animation.reminders_queued_at.is_(None))
            .values(reminders_queued_at=now).execution_options(synchronize_session=False))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            outbox.enqueue(REMINDER_TASK, animation_id=animation_id)
            queued += 1
    db.session.flush()
    return queued


def send_favourite_shop_animation(animation_id: int) -> int:
    """Tell the residents who keep one of the animation's shops among their favourites, and asked for this
    optional notice, that it was announced. Once per animation and resident (the e-mail carries the
    one-click unsubscribe of optional notices). Nothing for an animation no longer published. Returns
    messages sent."""
    animation = db.session.get(Animation, animation_id)
    if animation is None or animation.status != AnimationStatus.PUBLISHED or not animation.shops:
        return 0
    shop_names = {shop.id: shop.name for shop in animation.shops}
    favourites: dict[int, list[str]] = {}
    for user_id, shop_id in db.session.execute(
            select(FavouriteShop.user_id, FavouriteShop.shop_id).where(FavouriteShop.shop_id.in_(list(shop_names)))):
        favourites.setdefault(user_id, []).append(shop_names[shop_id])
    users = db.session.scalars(select(User).where(User.id.in_(list(favourites))).order_by(User.id)).all()
    sent = 0
    for user in users:
        if not user.is_enabled or not notices.wants(user.id, "favourite_shop_animation"):
            continue

        def build(user: User = user) -> mail.Mail:
            return _mail(user, "favourite_shop_animation", animation=animation,
                         shops=sorted(favourites.get(user.id, [])), link=_link(animation))

        if notices.send_once(f"favourite-animation:{animation.id}", user.email, "favourite_shop_animation", build):
            sent += 1
    return sent
