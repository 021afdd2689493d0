"""iCalendar: the venue's public agenda, a resident's personal feed (pickups and animations) at a
secret revocable URL, the one-event file attached to a registration e-mail, and the animations a resident
joined for a pickup slot as events of that order's confirmation invitation.

Events carry TZID=Europe/Paris (the venue's zone) with a VTIMEZONE, so calendar apps show the local
wall-clock time on both sides of a daylight-saving change.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import icalendar
from flask import current_app
from sqlalchemy import select

from shopapp.animations.models import Animation, AnimationStatus, Audience, CalendarFeed, Registration
from shopapp.animations.queries import registrations_of
from shopapp.animations.registrations import registrations_for_pickups
from shopapp.core.clock import as_utc, utcnow, venue_zone
from shopapp.core.urls import public_url
from shopapp.extensions import db
from shopapp.notices.attachments import CalendarEvent
from shopapp.orders.models import Order
from shopapp.orders.states import OrderStatus
from shopapp.venue.queries import venue_name

PRODID = "-//Adopte mon commercant//Agenda//FR"
FEED_PREFIX = "cal_"
PUBLIC_AGENDA_DAYS_BACK = 30


def _calendar(name: str) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", current_app.config["VENUE_TIMEZONE"])
    return cal


def _domain() -> str:
    return str(current_app.config.get("SERVER_NAME") or "adopte-mon-commercant.fr")


def _event(uid: str, summary: str, start: datetime, end: datetime, description: str = "",
           cancelled: bool = False, url: str | None = None) -> icalendar.Event:
    zone = venue_zone()
    event = icalendar.Event()
    event.add("uid", f"{uid}@{_domain()}")
    event.add("dtstamp", utcnow().astimezone(UTC))
    event.add("dtstart", as_utc(start).astimezone(zone))
    event.add("dtend", as_utc(end).astimezone(zone))
    event.add("summary", summary)
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def _animation_event(animation: Animation, url: str | None = None) -> icalendar.Event:
    return _event(f"animation-{animation.id}", animation.title, animation.starts_at, animation.ends_at,
                  animation.description, cancelled=animation.status == AnimationStatus.CANCELLED, url=url)


def _finish(cal: icalendar.Calendar) -> bytes:
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def _animation_url(animation: Animation) -> str:
    return public_url("animations.animation_page", animation_id=animation.id)


def public_agenda(now: datetime | None = None) -> bytes:
    """The venue's public agenda: published animations open to everyone, from a month ago on (and
    cancelled ones as CANCELLED so that subscribed calendars drop them)."""
    since = (now or utcnow()) - timedelta(days=PUBLIC_AGENDA_DAYS_BACK)
    animations = db.session.scalars(
        select(Animation).where(Animation.status.in_((AnimationStatus.PUBLISHED, AnimationStatus.CANCELLED)),
                                Animation.published_at.is_not(None),
                                Animation.audience == Audience.EVERYONE, Animation.ends_at >= since)
        .order_by(Animation.starts_at)
    )
    cal = _calendar(f"{venue_name()} — agenda")
    for animation in animations:
        cal.add_component(_animation_event(animation, _animation_url(animation)))
    return _finish(cal)


def registration_file(registration: Registration) -> bytes:
    """The .ics attached to a registration confirmation: the one animation."""
    cal = _calendar(registration.animation.title)
    cal.add_component(_animation_event(registration.animation, _animation_url(registration.animation)))
    return _finish(cal)


def joined_during_pickup(order_id: int) -> list[CalendarEvent]:
    """The animations the order's resident joined during its pickup slot, as events to add to the order's
    confirmation invitation. Each keeps the UID of the registration's own .ics: a calendar holds one copy."""
    return joined_during_pickups([order_id]).get(order_id, [])


def joined_during_pickups(order_ids: Sequence[int]) -> dict[int, list[CalendarEvent]]:
    """`joined_during_pickup` of several orders, read with one query (a batch of confirmations)."""
    return {
        order_id: [
            CalendarEvent(uid=f"animation-{animation.id}@{_domain()}", summary=animation.title,
                          starts_at=animation.starts_at, ends_at=animation.ends_at,
                          timezone=str(current_app.config["VENUE_TIMEZONE"]), description=animation.description,
                          url=_animation_url(animation))
            for animation in (registration.animation for registration in registrations)
        ]
        for order_id, registrations in registrations_for_pickups(order_ids).items()
    }


def _pickup_events(orders: Iterable[Order]) -> list[icalendar.Event]:
    events = []
    for order in orders:
        slot = order.pickup_slot
        events.append(_event(f"pickup-{order.id}", f"Retrait de la commande {order.number} — {venue_name()}",
                             slot.starts_at, slot.ends_at, f"Code de retrait : {order.pickup_code}",
                             cancelled=order.status == OrderStatus.CANCELLED))
    return events


def personal_feed(user_id: int, now: datetime | None = None) -> bytes:
    """A resident's pickups and animations (registered or waitlisted), from a month ago on."""
    since = (now or utcnow()) - timedelta(days=PUBLIC_AGENDA_DAYS_BACK)
    cal = _calendar("Mes retraits et animations")
    orders = db.session.scalars(select(Order).where(Order.user_id == user_id).order_by(Order.id))
    for event in _pickup_events(o for o in orders if as_utc(o.pickup_slot.ends_at) >= since):
        cal.add_component(event)
    for registration in registrations_of(user_id):
        if registration.is_active and as_utc(registration.animation.ends_at) >= since:
            cal.add_component(_animation_event(registration.animation, _animation_url(registration.animation)))
    return _finish(cal)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_feed(user_id: int) -> str:
    """A new secret feed URL token for the user, replacing (revoking) any previous one. Returns the
    plain token once; only its hash is stored. Flushes."""
    revoke_feed(user_id)
    plain = FEED_PREFIX + secrets.token_urlsafe(24)
    db.session.add(CalendarFeed(user_id=user_id, token_hash=_hash(plain)))
    db.session.flush()
    return plain


def revoke_feed(user_id: int) -> bool:
    """Revoke the user's feed: the old URL answers 404 from now on. Flushes."""
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user_id))
    if feed is None:
        return False
    db.session.delete(feed)
    db.session.flush()
    return True


def has_feed(user_id: int) -> bool:
    return db.session.scalar(select(CalendarFeed.id).where(CalendarFeed.user_id == user_id)) is not None


def user_for_feed(token: str) -> int | None:
    """The user id behind a feed token, else None."""
    if not token.startswith(FEED_PREFIX):
        return None
    return db.session.scalar(select(CalendarFeed.user_id).where(CalendarFeed.token_hash == _hash(token)))
