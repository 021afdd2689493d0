"""Order notices: the e-mails each order event sends, to whom, with what.

Each function is called by one outbox task (worker/tasks/notices.py) with the id the event carried.
It loads fresh rows, decides from their current state whether the notice still makes sense, and sends
one message per recipient through `notices.send_once` under a key naming the event, so a redelivered
job never sends twice. Resident notices where a text helps at the venue (ready, part rejected, no-show;
the reminders in `reminders`) also go as a short SMS to residents who opted in with a mobile number:
same event key, channel "sms". Residents get their own language; a shop's staff get theirs, the shop's own
address gets French. A shop's notice lists that shop's lines only.

Layering: orders imports notices (the lower, generic exactly-once machinery), never the reverse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from shopapp.accounts.models import User
from shopapp.catalog.notices import shop_recipients
from shopapp.core import mail
from shopapp.core.clock import utcnow
from shopapp.core.i18n import force_locale_for
from shopapp.core.urls import public_url
from shopapp.extensions import db
from shopapp.notices import services as notices
from shopapp.notices.attachments import CalendarEvent, calendar_attachment, qr_attachment, qr_data_uri
from shopapp.notices.channels import Sms, sms_enabled
from shopapp.notices.rendering import Recipient, render_mail, render_sms
from shopapp.orders.models import Order, OrderLine, OrderPart, PickupSlot
from shopapp.orders.states import OrderPaymentStatus, OrderStatus, PartStatus
from shopapp.venue.models import Venue


@dataclass(frozen=True)
class OrderContext:
    """What every order notice template is given."""

    order: Order
    venue: Venue
    resident: Recipient
    link: str

    def as_dict(self) -> dict[str, Any]:
        return {"order": self.order, "venue": self.venue, "slot": self.order.pickup_slot,
                "map_url": self.venue.map_url, "link": self.link}


def _resident(user_id: int, email: str, locale: str | None, name: str, phone: str | None,
              sms_opt_in: bool) -> Recipient:
    return Recipient(email=email, locale=locale or "fr", user_id=user_id, name=name,
                     sms_to=phone if sms_opt_in and phone and sms_enabled() else None)


# What a resident notice needs of the account (not the User entity: it would also load its roles).
_RESIDENT_COLUMNS = (User.id, User.email, User.locale, User.name, User.phone, User.sms_opt_in)


def _contexts_query(order_ids: Sequence[int]) -> Any:
    return (select(Order, Venue, *_RESIDENT_COLUMNS)
            .join(Order.pickup_slot)
            .join(Venue, Venue.id == PickupSlot.venue_id)
            .join(User, User.id == Order.user_id)
            .where(Order.id.in_(order_ids))
            .options(contains_eager(Order.pickup_slot),
                     joinedload(Order.parts).joinedload(OrderPart.lines),
                     joinedload(Order.parts).joinedload(OrderPart.shop)))


def _contexts_of(order_ids: Sequence[int]) -> dict[int, OrderContext]:
    contexts = {}
    for order, venue, *resident in db.session.execute(_contexts_query(order_ids)).unique():
        contexts[order.id] = OrderContext(order, venue, _resident(*resident),
                                          public_url("orders.my_order", order_id=order.id))
    return contexts


# The contexts a batch of notices read together (`contexts_read_together`), by order id.
_read_together: ContextVar[dict[int, OrderContext] | None] = ContextVar("order_contexts_read_together", default=None)


@contextmanager
def contexts_read_together(order_ids: Sequence[int]) -> Iterator[None]:
    """Inside, `_load_context` finds the contexts of these orders read with ONE query for all of them (a
    batch of the worker sends their notices one after the other); an order not among them is read alone.
    Nested, the inner one adds its orders to the outer one's."""
    found = _contexts_of(sorted(set(order_ids))) if order_ids else {}
    token = _read_together.set({**(_read_together.get() or {}), **found})
    try:
        yield
    finally:
        _read_together.reset(token)


def orders_of_parts(part_ids: Sequence[int]) -> list[int]:
    """The orders these parts belong to (one query)."""
    return list(db.session.scalars(select(OrderPart.order_id).where(OrderPart.id.in_(part_ids)))) if part_ids else []


def _load_context(order_id: int) -> OrderContext | None:
    """The order with its slot, venue, parts, lines, shops and resident in ONE query (a worker sends
    thousands of these: each round trip to the database counts), or none at all inside
    `contexts_read_together`."""
    together = _read_together.get()
    if together is not None and order_id in together:
        return together[order_id]
    return _contexts_of([order_id]).get(order_id)


def order_context(order: Order) -> OrderContext:
    venue = db.session.get_one(Venue, order.pickup_slot.venue_id)
    resident = db.session.execute(select(*_RESIDENT_COLUMNS).where(User.id == order.user_id)).one()
    return OrderContext(order, venue, _resident(*resident), public_url("orders.my_order", order_id=order.id))


@dataclass(frozen=True)
class Outgoing:
    """One notice of an event to one recipient: its e-mail, and for a resident who opted in with a number
    its SMS version (same event key, channel "sms")."""

    key: str
    recipient: Recipient
    kind: str
    build: Callable[[], mail.Mail]
    sms: Callable[[], Sms] | None = None


def _send_all(outgoing: Sequence[Outgoing]) -> int:
    """Render every message first, then send each once (`notices.send_once`). Returns messages sent.

    Rendered before the first claim: a claim commits, which expires every loaded row, and a message
    rendered after it would reload the order, its parts and lines one lazy query at a time."""
    ready = [(item, item.build(), item.sms() if item.sms is not None and item.recipient.sms_to else None)
             for item in outgoing]
    sent = 0
    for item, message, text in ready:
        sent += int(notices.send_once(item.key, item.recipient.email, item.kind, notices.built(message)))
        if text is not None:
            sent += int(notices.send_once(item.key, text.to, item.kind, notices.built(text), channel="sms"))
    return sent


def _send(key: str, recipient: Recipient, kind: str, build: Callable[[], mail.Mail],
          sms: Callable[[], Sms] | None = None) -> int:
    """One recipient's notice (`_send_all`)."""
    return _send_all([Outgoing(key, recipient, kind, build, sms)])


def _to_shops(key: str, kind: str, template: str, ctx: OrderContext, parts: Iterable[OrderPart],
              **extra: Any) -> list[Outgoing]:
    """Each part's shop (its staff and its own address) told with `template`: that part's lines only."""

    def build(recipient: Recipient, part: OrderPart) -> Callable[[], mail.Mail]:
        return lambda: render_mail(template, recipient, part=part, shop=part.shop, **{**ctx.as_dict(), **extra})

    return [Outgoing(key, recipient, kind, build(recipient, part))
            for part in parts for recipient in shop_recipients(part.shop_id)]


def pickup_event(order: Order, venue: Venue) -> CalendarEvent:
    """The calendar event of an order's pickup slot (the invitation's main event)."""
    slot = order.pickup_slot
    return CalendarEvent(
        uid=f"retrait-{order.number}@adopte-mon-commercant.fr",
        summary=_("Retrait de la commande %(number)s — %(venue)s", number=order.number, venue=venue.name),
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        timezone=venue.timezone,
        location=f"{venue.name}, {venue.address}",
        description=_("Code de retrait : %(code)s", code=order.pickup_code)
        + (f"\n{venue.map_url}" if venue.map_url else ""),
        url=venue.map_url,
        latitude=venue.latitude,
        longitude=venue.longitude,
    )


def send_order_confirmed(order_id: int, *, extra_events: Sequence[CalendarEvent]) -> int:
    """The resident's confirmation, with an .ics invitation: the pickup slot, then `extra_events` (given by
    the caller, e.g. the animations the resident joined for that slot), each also named in the text.
    Commits each claim; returns messages sent (0 when the order is gone, unpaid or cancelled by now).

    :raise mail.TemporaryMailError: the mail server refused for now (the task retries).
    """
    ctx = _load_context(order_id)
    if ctx is None or ctx.order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED):
        return 0
    order = ctx.order

    def build() -> mail.Mail:
        with force_locale_for(ctx.resident.locale):
            invitation = calendar_attachment([pickup_event(order, ctx.venue), *extra_events],
                                             stamp=order.created_at, filename="retrait.ics")
        return render_mail("order_confirmed", ctx.resident, attachments=[invitation], extra_events=extra_events,
                           **ctx.as_dict())

    return _send(f"order_confirmed:{order.id}", ctx.resident, "order_confirmed", build)


def send_part_to_prepare(part_id: int) -> int:
    """Tell a shop (staff and shop address) it has a new part to prepare: its own lines only.
    Commits each claim; returns messages sent (0 when the part was cancelled or rejected meanwhile).

    :raise mail.TemporaryMailError: the mail server refused for now (the task retries).
    """
    # The part's order comes with everything the message shows in one query (`_load_context`).
    order_id = db.session.scalar(select(OrderPart.order_id).where(OrderPart.id == part_id))
    ctx = _load_context(order_id) if order_id is not None else None
    part = next((p for p in ctx.order.parts if p.id == part_id), None) if ctx is not None else None
    if ctx is None or part is None or part.status in (PartStatus.CANCELLED, PartStatus.REJECTED):
        return 0
    return _send_all(_to_shops(f"part_to_prepare:{part.id}", "part_to_prepare", "part_to_prepare", ctx, [part],
                               link=public_url("orders.shop_parts")))


def send_part_rejected(part_id: int) -> int:
    """Tell the resident a shop could not supply its part, and what is refunded (paid in advance) or
    no longer due (paid at pickup). Commits each claim; returns messages sent.

    :raise mail.TemporaryMailError: the mail server refused for now (the task retries).
    """
    part = db.session.get(OrderPart, part_id)
    if part is None or part.status != PartStatus.REJECTED:
        return 0
    order = part.order
    ctx = order_context(order)
    is_refunded = order.payment_status == OrderPaymentStatus.PAID or order.paid_cents > 0

    details = {"part": part, "shop": part.shop, "is_refunded": is_refunded,
               "is_cancelled": order.status == OrderStatus.CANCELLED, **ctx.as_dict()}
    return _send(f"part_rejected:{part.id}", ctx.resident, "part_rejected",
                 lambda: render_mail("part_rejected", ctx.resident, **details),
                 lambda: render_sms("part_rejected", ctx.resident, **details))


def send_line_refused(line_id: int) -> int:
    """Tell the resident a shop refused one line of its part, why, and what is refunded (paid in
    advance) or no longer due (paid at pickup). Once per line. Commits each claim; returns messages sent.

    :raise mail.TemporaryMailError: the mail server refused for now (the task retries).
    """
    line = db.session.get(OrderLine, line_id)
    if line is None or not line.is_refused:
        return 0
    part = line.part
    order = part.order
    ctx = order_context(order)
    is_refunded = order.payment_status == OrderPaymentStatus.PAID or order.paid_cents > 0
    details = {"line": line, "part": part, "shop": part.shop, "is_refunded": is_refunded, **ctx.as_dict()}
    return _send(f"line_refused:{line.id}", ctx.resident, "line_refused",
                 lambda: render_mail("line_refused", ctx.resident, **details),
                 lambda: render_sms("line_refused", ctx.resident, **details))


def send_order_ready(order_id: int) -> int:
    """Tell the resident the whole order waits at the venue: pickup code, its QR code (inline image and
    PNG attachment), address and map link. Commits each claim; returns messages sent (0 once collected).

    :raise mail.TemporaryMailError: the mail server refused for now (the task retries).
    """
    ctx = _load_context(order_id)
    if ctx is None or ctx.order.status != OrderStatus.READY_FOR_PICKUP:
        return 0
    order = ctx.order

    def build() -> mail.Mail:
        return render_mail("order_ready", ctx.resident, attachments=[qr_attachment(order.pickup_code)],
                           qr=qr_data_uri(order.pickup_code), **ctx.as_dict())

    return _send(f"order_ready:{order.id}", ctx.resident, "order_ready", build,
                 lambda: render_sms("order_ready", ctx.resident, **ctx.as_dict()))


def send_order_receipt(order_id: int,
                       attachments: Callable[[Recipient], Sequence[mail.Attachment]] | None = None) -> int:
    """Thank the resident once the order is collected, with the link to its receipt (page and PDF) and
    the files `attachments` gives for that resident (payments attaches the receipt's PDF: it draws the
    receipt, a floor above). Sent once per order. Commits the claim; returns messages sent (0 when the
    order is gone or not collected).

    :raise mail.TemporaryMailError: the mail server refused for now (the task retries).
    """
    ctx = _load_context(order_id)
    if ctx is None or ctx.order.status != OrderStatus.COLLECTED:
        return 0
    details = {**ctx.as_dict(), "receipt_link": public_url("payments_pages.receipt", order_id=order_id),
               "receipt_pdf_link": public_url("payments_pages.receipt_pdf", order_id=order_id)}

    def build() -> mail.Mail:
        files = list(attachments(ctx.resident)) if attachments is not None else []
        return render_mail("order_receipt", ctx.resident, attachments=files, attached=bool(files), **details)

    return _send(f"order_receipt:{order_id}", ctx.resident, "order_receipt", build)


def send_order_cancelled(order_id: int) -> int:
    """Tell the resident the order is cancelled, and each shop whose part was cancelled to stop
    preparing it (a shop that rejected its part already knows). Commits each claim; returns messages sent.

    :raise mail.TemporaryMailError: the mail server refused for now (the task retries).
    """
    ctx = _load_context(order_id)
    if ctx is None or ctx.order.status != OrderStatus.CANCELLED:
        return 0
    order = ctx.order
    key = f"order_cancelled:{order.id}"
    return _send_all([
        Outgoing(key, ctx.resident, "order_cancelled",
                 lambda: render_mail("order_cancelled", ctx.resident, **ctx.as_dict())),
        *_to_shops(key, "order_cancelled", "order_cancelled_shop", ctx,
                   [part for part in order.parts if part.status == PartStatus.CANCELLED]),
    ])


def send_order_no_show(order_id: int) -> int:
    """Tell the resident the order was not collected in time, and each shop that its goods are back
    in its stock (to be fetched from the venue). Commits each claim; returns messages sent.

    :raise mail.TemporaryMailError: the mail server refused for now (the task retries).
    """
    ctx = _load_context(order_id)
    if ctx is None or ctx.order.status != OrderStatus.NO_SHOW:
        return 0
    order = ctx.order
    key = f"order_no_show:{order.id}"
    return _send_all([
        Outgoing(key, ctx.resident, "order_no_show",
                 lambda: render_mail("order_no_show", ctx.resident, **ctx.as_dict()),
                 lambda: render_sms("order_no_show", ctx.resident, **ctx.as_dict())),
        *_to_shops(key, "order_no_show", "order_no_show_shop", ctx, order.remaining_parts),
    ])


def send_pickup_moved(order_id: int, slot_id: int) -> int:
    """The resident moved the order to another slot: confirm it with an updated .ics invitation (same
    UID, so calendars move the event), and tell each shop whose part is not at the venue yet. Sent once
    per (order, new slot); nothing when the order has moved again or ended since. Commits each claim.

    :raise mail.TemporaryMailError: the mail server refused for now (the task retries).
    """
    ctx = _load_context(order_id)
    if ctx is None or ctx.order.pickup_slot_id != slot_id:
        return 0
    order = ctx.order
    if order.status not in (OrderStatus.CONFIRMED, OrderStatus.READY_FOR_PICKUP):
        return 0
    key = f"pickup_moved:{order.id}:{slot_id}"

    def build() -> mail.Mail:
        with force_locale_for(ctx.resident.locale):
            invitation = calendar_attachment([pickup_event(order, ctx.venue)], stamp=utcnow(),
                                             filename="retrait.ics")
        return render_mail("pickup_moved", ctx.resident, attachments=[invitation], **ctx.as_dict())

    return _send_all([
        Outgoing(key, ctx.resident, "pickup_moved", build),
        *_to_shops(key, "pickup_moved", "pickup_moved_shop", ctx,
                   [part for part in order.remaining_parts if part.status != PartStatus.AT_VENUE],
                   link=public_url("orders.shop_parts")),
    ])


def send_slot_withdrawn(order_id: int, slot_id: int) -> int:
    """The venue closed (or changed its hours) where the order's slot was: ask the resident to choose
    another slot, with a link to do so (e-mail, and SMS if opted in). Nothing when the order has already
    moved or ended. Commits each claim; returns messages sent.

    :raise mail.TemporaryMailError: the mail server refused for now (the task retries).
    """
    ctx = _load_context(order_id)
    if ctx is None or ctx.order.pickup_slot_id != slot_id or not ctx.order.pickup_slot.withdrawn:
        return 0
    if ctx.order.status not in (OrderStatus.CONFIRMED, OrderStatus.READY_FOR_PICKUP):
        return 0
    details = {**ctx.as_dict(), "change_link": public_url("checkout.change_slot", order_id=order_id)}
    return _send(f"slot_withdrawn:{order_id}:{slot_id}", ctx.resident, "slot_withdrawn",
                 lambda: render_mail("slot_withdrawn", ctx.resident, **details),
                 lambda: render_sms("slot_withdrawn", ctx.resident, **details))
