"""Reminders found by sweeping the database (no countdown tasks): before the slot, while an order
waits uncollected at the venue, and each shop's picking digest for the next day.

Each sweep is a periodic task (worker/beat.py). They are safe to run twice at once: every message
goes through `notices.send_once`, whose committed claim on (event, recipient, channel) lets one run
send it while the other sees it taken (`NoticeBusy`, skipped) or sent (skipped). A message the mail
server refuses for now stays `retrying` and the next run takes it again. Optional kinds honour the
recipient's preferences (`notices.wants`); so do their SMS versions (slot and "not collected"
reminders, for residents who opted in with a mobile number).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from shopapp.accounts.models import User
from shopapp.catalog.models import Shop
from shopapp.catalog.notices import shop_recipients
from shopapp.core import mail
from shopapp.core.clock import as_utc, utcnow, venue_zone
from shopapp.core.urls import public_url
from shopapp.extensions import db
from shopapp.notices import services as notices
from shopapp.notices.channels import sms_enabled
from shopapp.notices.models import FAILED, SENT, NoticeLog
from shopapp.notices.rendering import Recipient, render_mail, render_sms
from shopapp.orders.models import Order, OrderPart, PickupSlot
from shopapp.orders.notices import order_context
from shopapp.orders.states import OrderStatus, PartStatus
from shopapp.venue.models import Venue

log = logging.getLogger(__name__)


def _finished_keys(keys_by_order: dict[int, str]) -> set[str]:
    """Of these event keys (one per order), those whose e-mail was sent (or failed for good), and whose
    SMS too when the resident opted in to SMS with a number and a provider sends SMS: no need to build
    them again."""
    if not keys_by_order:
        return set()
    keys = list(keys_by_order.values())
    done = set(db.session.execute(
        select(NoticeLog.event_key, NoticeLog.channel)
        .where(NoticeLog.event_key.in_(keys), NoticeLog.status.in_((SENT, FAILED)))
    ).tuples())
    texting = {keys_by_order[order_id] for order_id in db.session.scalars(
        select(Order.id).join(User, User.id == Order.user_id)
        .where(Order.id.in_(list(keys_by_order)), User.sms_opt_in.is_(True), User.phone.is_not(None))
    )} if sms_enabled() else set()
    return {key for key in keys if (key, "email") in done and (key not in texting or (key, "sms") in done)}


def _try_send(key: str, recipient: Recipient, kind: str, build: object, *, channel: str = "email") -> int:
    """One message of a sweep: a message another run is sending, or one the server refuses for now,
    is left for the next run instead of stopping the sweep. Channel "sms" goes to `recipient.sms_to`."""
    address = recipient.sms_to if channel == "sms" else recipient.email
    if not address:
        return 0
    try:
        return int(notices.send_once(key, address, kind, build, channel=channel))  # type: ignore[arg-type]
    except notices.NoticeBusy:
        return 0
    except mail.TemporaryMailError as exc:
        log.warning("reminder deferred", extra={"event_key": key, "error": str(exc)})
        return 0


def send_slot_reminders(*, now: datetime | None = None, limit: int = 200) -> int:
    """Remind residents of their pickup slot NOTICE_SLOT_REMINDER_MINUTES before it starts (confirmed or
    ready orders; not for orders placed inside that window). Commits each claim; returns messages sent."""
    moment = now or utcnow()
    window = timedelta(minutes=current_app.config["NOTICE_SLOT_REMINDER_MINUTES"])
    rows = db.session.execute(
        select(Order.id, Order.created_at, PickupSlot.starts_at, PickupSlot.id)
        .join(PickupSlot, PickupSlot.id == Order.pickup_slot_id)
        .where(Order.status.in_((OrderStatus.CONFIRMED, OrderStatus.READY_FOR_PICKUP)),
               PickupSlot.starts_at > moment, PickupSlot.starts_at <= moment + window)
        .order_by(PickupSlot.starts_at, Order.id)
        .limit(limit)
    ).all()
    # One reminder per order and slot: an order moved to another slot is reminded of the new one.
    keys = {order_id: f"slot_reminder:{order_id}:{slot_id}" for order_id, created, starts, slot_id in rows
            if as_utc(created) <= as_utc(starts) - window}
    finished = _finished_keys(keys)
    sent = 0
    for order_id, key in keys.items():
        if key in finished:
            continue
        order = db.session.get_one(Order, order_id)
        ctx = order_context(order)
        if not notices.wants(order.user_id, "slot_reminder"):
            continue
        sent += _try_send(key, ctx.resident, "slot_reminder",
                          lambda ctx=ctx: render_mail("slot_reminder", ctx.resident, **ctx.as_dict()))
        sent += _try_send(key, ctx.resident, "slot_reminder",
                          lambda ctx=ctx: render_sms("slot_reminder", ctx.resident, **ctx.as_dict()), channel="sms")
    return sent


def send_uncollected_reminders(*, now: datetime | None = None, limit: int = 200) -> int:
    """Remind residents whose ready order still waits at the venue after its slot ended, within the
    holding period (with the deadline before it becomes a no-show). Commits each claim; returns messages sent."""
    moment = now or utcnow()
    rows = db.session.execute(
        select(Order.id, PickupSlot.ends_at, Venue.holding_minutes)
        .join(PickupSlot, PickupSlot.id == Order.pickup_slot_id)
        .join(Venue, Venue.id == PickupSlot.venue_id)
        .where(Order.status == OrderStatus.READY_FOR_PICKUP, PickupSlot.ends_at <= moment)
        .order_by(PickupSlot.ends_at, Order.id)
        .limit(limit)
    ).all()
    deadlines = {order_id: as_utc(ends) + timedelta(minutes=holding) for order_id, ends, holding in rows}
    due = [order_id for order_id, deadline in deadlines.items() if deadline > moment]
    keys = {order_id: f"uncollected_reminder:{order_id}" for order_id in due}
    finished = _finished_keys(keys)
    sent = 0
    for order_id, key in keys.items():
        if key in finished:
            continue
        order = db.session.get_one(Order, order_id)
        if not notices.wants(order.user_id, "uncollected_reminder"):
            continue
        ctx = order_context(order)
        sent += _try_send(key, ctx.resident, "uncollected_reminder",
                          lambda ctx=ctx, order_id=order_id: render_mail(
                              "uncollected_reminder", ctx.resident, deadline=deadlines[order_id], **ctx.as_dict()))
        sent += _try_send(key, ctx.resident, "uncollected_reminder",
                          lambda ctx=ctx, order_id=order_id: render_sms(
                              "uncollected_reminder", ctx.resident, deadline=deadlines[order_id], **ctx.as_dict()),
                          channel="sms")
    return sent


def digest_day(moment: datetime) -> date | None:
    """The day a digest run at `moment` covers: tomorrow (venue time), once NOTICE_DIGEST_HOUR has passed."""
    zone = venue_zone()
    local = as_utc(moment).astimezone(zone)
    if local.hour < current_app.config["NOTICE_DIGEST_HOUR"]:
        return None
    return local.date() + timedelta(days=1)


def send_daily_digests(*, now: datetime | None = None, day: date | None = None) -> int:
    """Each shop's picking list for the next day's slots (parts still to prepare or bring to the venue),
    once per shop per day (key `digest:<shop>:<date>`), to staff who want it and the shop's address.
    Shops with nothing to prepare get nothing. Commits each claim; returns messages sent."""
    target = day or digest_day(now or utcnow())
    if target is None:
        return 0
    zone = venue_zone()
    start = datetime.combine(target, time(0), tzinfo=zone)
    end = datetime.combine(target + timedelta(days=1), time(0), tzinfo=zone)
    parts = db.session.scalars(
        select(OrderPart)
        .join(Order, Order.id == OrderPart.order_id)
        .join(PickupSlot, PickupSlot.id == Order.pickup_slot_id)
        .where(Order.status == OrderStatus.CONFIRMED,
               OrderPart.status.in_((PartStatus.RECEIVED, PartStatus.PREPARING, PartStatus.READY)),
               PickupSlot.starts_at >= start, PickupSlot.starts_at < end)
        .order_by(OrderPart.shop_id, PickupSlot.starts_at, Order.id)
    ).all()
    link = public_url("orders.picking_list")
    by_shop: dict[int, list[OrderPart]] = defaultdict(list)
    for part in parts:
        by_shop[part.shop_id].append(part)
    sent = 0
    for shop_id, shop_parts in by_shop.items():
        key = f"digest:{shop_id}:{target.isoformat()}"
        shop = db.session.get_one(Shop, shop_id)
        for recipient in shop_recipients(shop_id):
            if recipient.user_id is not None and not notices.wants(recipient.user_id, "daily_digest"):
                continue

            def build(recipient: Recipient = recipient, shop_parts: list[OrderPart] = shop_parts,
                      shop: Shop = shop) -> mail.Mail:
                return render_mail("daily_digest", recipient, shop=shop, parts=shop_parts, day=start, link=link)

            sent += _try_send(key, recipient, "daily_digest", build)
    return sent
