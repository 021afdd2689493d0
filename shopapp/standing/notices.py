"""The one notice per occurrence that did not go as usual: reduced, moved, skipped, or waiting for the
resident's card confirmation. E-mail, and SMS for a resident who opted in with a mobile number, under
the event key `standing_occurrence:<id>` (notices.send_once: a redelivered job sends nothing twice).

When the date made a confirmed order, this e-mail is also its confirmation (lines, pickup code, the venue
and the pickup slot's .ics invitation): the ordinary confirmation is not sent for it (occurrences.py takes
its job back), so the resident gets one message for the date."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from shopapp.accounts.models import User
from shopapp.core.i18n import force_locale_for
from shopapp.core.urls import public_url
from shopapp.extensions import db
from shopapp.notices import services as notices
from shopapp.notices.attachments import calendar_attachment
from shopapp.notices.channels import sms_enabled
from shopapp.notices.rendering import Recipient, render_mail, render_sms
from shopapp.orders import notices as order_notices
from shopapp.orders.models import Order
from shopapp.orders.states import OrderStatus
from shopapp.standing.models import OccurrenceOutcome, StandingOccurrence


def _recipient(user_id: int) -> Recipient:
    row = db.session.execute(select(User.email, User.locale, User.name, User.phone, User.sms_opt_in)
                             .where(User.id == user_id)).one()
    return Recipient(email=row.email, locale=row.locale or "fr", user_id=user_id, name=row.name,
                     sms_to=row.phone if row.sms_opt_in and row.phone and sms_enabled() else None)


def send_occurrence_notice(occurrence_id: int) -> int:
    """Tell the resident what became of this date of their standing order. Commits each claim; returns
    messages sent (0 for an occurrence that needs no word, or is gone).

    :raise mail.TemporaryMailError: the mail server refused for now (the task retries).
    """
    occurrence = db.session.get(StandingOccurrence, occurrence_id)
    if occurrence is None or occurrence.outcome == OccurrenceOutcome.SKIPPED_BY_RESIDENT:
        return 0
    standing = occurrence.standing_order
    recipient = _recipient(standing.user_id)
    order = db.session.get(Order, occurrence.order_id) if occurrence.order_id else None
    detail = occurrence.detail or {}
    context = {
        "occurrence": occurrence, "order": order, "outcome": occurrence.outcome,
        "usual": datetime.fromisoformat(detail["usual_starts_at"]) if detail.get("usual_starts_at") else None,
        "moved_to": datetime.fromisoformat(detail["moved_to"]) if detail.get("moved_to") else None,
        "reduced": detail.get("reduced", []), "left_out": detail.get("left_out", []),
        "reason": detail.get("reason"), "confirmed": False,
        "standing_link": public_url("standing.detail", standing_id=standing.id),
        "order_link": public_url("orders.my_order", order_id=order.id) if order else None,
        "pay_link": public_url("checkout.pay", order_id=order.id)
        if order and occurrence.outcome == OccurrenceOutcome.AWAITING_PAYMENT else None,
    }
    attachments = []
    if order is not None and occurrence.outcome == OccurrenceOutcome.PLACED and order.status not in (
            OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED):
        # This message confirms the order: what the ordinary confirmation says, and its invitation.
        confirmation = order_notices.order_context(order)
        context.update(confirmed=True, **{**confirmation.as_dict(), "link": confirmation.link})
        with force_locale_for(recipient.locale):
            attachments.append(calendar_attachment([order_notices.pickup_event(order, confirmation.venue)],
                                                   stamp=order.created_at, filename="retrait.ics"))
    message = render_mail("standing_occurrence", recipient, attachments=attachments, **context)
    text = render_sms("standing_occurrence", recipient, **context) if recipient.sms_to else None
    key = f"standing_occurrence:{occurrence.id}"
    sent = int(notices.send_once(key, recipient.email, "standing_occurrence", lambda: message))
    if text is not None:
        sent += int(notices.send_once(key, text.to, "standing_occurrence", lambda: text, channel="sms"))
    return sent
