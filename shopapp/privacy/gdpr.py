"""GDPR rights of a resident: a JSON export of their data, and deletion of their account.

Deletion keeps orders (the shops' accounting needs them: totals, VAT, commissions) but leaves no
personal data: the user row is anonymised and disabled (orders point to it), tokens, preferences,
basket, favourites, membership, calendar feed and future registrations go, and the notice log forgets the
address. Shop totals are untouched since no order, part or line changes.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import delete, select, update
from werkzeug.security import generate_password_hash

from shopapp.accounts.models import ApiToken, User, UserRole, new_session_token
from shopapp.animations import registrations
from shopapp.animations.models import CalendarFeed, Registration, RegistrationStatus
from shopapp.catalog.models import FavouriteProduct, FavouriteShop, Product, Shop
from shopapp.core.clock import as_utc, utcnow, venue_time
from shopapp.errors import NotFoundError
from shopapp.extensions import db
from shopapp.members.models import Membership, MembershipFee
from shopapp.notices.models import NoticeLog, NoticePreference
from shopapp.orders.models import Basket, Order
from shopapp.payments.models import MembershipCardPayment
from shopapp.standing.models import StandingOrder, StandingStatus

DELETED_NAME = "Compte supprimé"


def _iso(value: Any) -> str | None:
    return venue_time(value).isoformat() if value is not None else None


def export_data(user_id: int) -> dict[str, Any]:
    """Everything the platform holds about the resident, as JSON-ready data.

    :raise NotFoundError: unknown user.
    """
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFoundError("Compte introuvable.")
    orders = db.session.scalars(select(Order).where(Order.user_id == user_id).order_by(Order.id))
    regs = db.session.scalars(select(Registration).where(Registration.user_id == user_id).order_by(Registration.id))
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user_id))
    prefs = db.session.scalars(select(NoticePreference).where(NoticePreference.user_id == user_id))
    own = [user.email, *([user.phone] if user.phone else [])]  # SMS notices are logged under the number
    notices = db.session.scalars(select(NoticeLog).where(NoticeLog.recipient.in_(own)).order_by(NoticeLog.id))
    favourite_products = db.session.execute(
        select(Product.name, FavouriteProduct.created_at)
        .join(FavouriteProduct, FavouriteProduct.product_id == Product.id)
        .where(FavouriteProduct.user_id == user_id).order_by(FavouriteProduct.id))
    fees = db.session.scalars(select(MembershipFee).where(MembershipFee.user_id == user_id)
                              .order_by(MembershipFee.year, MembershipFee.id))
    fee_payments = db.session.scalars(select(MembershipCardPayment).where(MembershipCardPayment.user_id == user_id)
                                      .order_by(MembershipCardPayment.year, MembershipCardPayment.id))
    favourite_shops = db.session.execute(
        select(Shop.name, FavouriteShop.created_at).join(FavouriteShop, FavouriteShop.shop_id == Shop.id)
        .where(FavouriteShop.user_id == user_id).order_by(FavouriteShop.id))
    return {
        "account": {"id": user.id, "email": user.email, "name": user.name, "locale": user.locale,
                    "roles": user.roles, "created_at": _iso(user.created_at),
                    "phone": user.phone, "sms_opt_in": user.sms_opt_in},
        "membership": None if membership is None else {
            "joined_at": _iso(membership.joined_at), "consent_text": membership.consent_text,
            "consent_at": _iso(membership.consent_at)},
        # The yearly fees received (at the desk or by card), and the card payments opened for them.
        "membership_fees": [{"year": f.year, "amount_cents": f.amount_cents, "currency": "EUR", "paid_via": f.method,
                             "paid_at": _iso(f.paid_at)} for f in fees],
        "membership_fee_card_payments": [{
            "year": p.year, "amount_cents": p.amount_cents, "currency": p.currency, "status": p.status,
            "started_at": _iso(p.created_at), "succeeded_at": _iso(p.succeeded_at)} for p in fee_payments],
        "orders": [{
            "number": o.number, "status": o.status, "created_at": _iso(o.created_at),
            "pickup_slot": {"starts_at": _iso(o.pickup_slot.starts_at), "ends_at": _iso(o.pickup_slot.ends_at)},
            "total_cents": o.total_cents, "currency": o.currency, "payment_method": o.payment_method,
            "parts": [{"shop": p.shop.name, "status": p.status, "subtotal_cents": p.subtotal_cents,
                       "lines": [{"name": li.name, "quantity": li.quantity, "unit_price_cents": li.unit_price_cents,
                                  "line_total_cents": li.line_total_cents} for li in p.lines]}
                      for p in o.parts],
        } for o in orders],
        "animation_registrations": [{
            "animation": r.animation.title, "starts_at": _iso(r.animation.starts_at), "seats": r.seats,
            "status": r.status, "registered_at": _iso(r.created_at), "checked_in_at": _iso(r.checked_in_at),
        } for r in regs],
        "favourites": {
            "products": [{"name": name, "kept_at": _iso(at)} for name, at in favourite_products],
            "shops": [{"name": name, "kept_at": _iso(at)} for name, at in favourite_shops],
        },
        "standing_orders": [{
            "status": so.status, "every_weeks": so.every_weeks, "weekday": so.weekday,
            "time": so.pickup_time.strftime("%H:%M"), "first_date": so.anchor_date.isoformat(),
            "payment_method": so.payment_method, "created_at": _iso(so.created_at),
            "lines": [{"name": line.product.name, "quantity": line.quantity} for line in so.lines],
            "dates": [{"date": o.pickup_date.isoformat(), "outcome": o.outcome} for o in so.occurrences],
        } for so in db.session.scalars(select(StandingOrder).where(StandingOrder.user_id == user_id)
                                       .order_by(StandingOrder.id))],
        "notice_preferences": {p.kind: p.enabled for p in prefs},
        "notices_sent": [{"kind": n.kind, "subject": n.subject, "sent_at": _iso(n.sent_at)} for n in notices],
    }


def delete_account(user_id: int) -> None:
    """Delete the resident's account: anonymise and disable the user row, drop every personal record,
    cancel future registrations (their seats go to the waitlist). Orders stay, anonymised. Flushes.

    :raise NotFoundError: unknown user.
    """
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFoundError("Compte introuvable.")
    now = utcnow()
    for registration in db.session.scalars(select(Registration).where(
            Registration.user_id == user_id,
            Registration.status.in_((RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED)))).all():
        if as_utc(registration.animation.starts_at) > now:
            registrations.cancel_registration(registration.animation_id, user_id)
    old_email = user.email
    db.session.execute(update(NoticeLog).where(NoticeLog.recipient == old_email)
                       .values(recipient=f"supprime-{user.id}@invalid"))
    if user.phone:  # the SMS notices' log rows carry the number
        db.session.execute(update(NoticeLog).where(NoticeLog.channel == "sms", NoticeLog.recipient == user.phone)
                           .values(recipient=f"supprime-{user.id}"))
    user.phone = None
    user.sms_opt_in = False
    # Standing orders stop (their past orders keep them as a reference) and forget the saved card.
    db.session.execute(update(StandingOrder).where(StandingOrder.user_id == user_id)
                       .values(status=StandingStatus.ENDED, ended_at=now, stripe_payment_method_id=None))
    for model in (ApiToken, NoticePreference, Membership, CalendarFeed, UserRole, Basket, FavouriteProduct,
                  FavouriteShop):
        db.session.execute(delete(model).where(model.user_id == user_id))  # type: ignore[attr-defined]
    user.email = f"supprime-{user.id}@invalid"
    user.name = DELETED_NAME
    user.password_hash = generate_password_hash(secrets.token_urlsafe(32))
    user.is_enabled = False
    user.session_token = new_session_token()
    db.session.expire(user, ["role_rows"])
    db.session.flush()
