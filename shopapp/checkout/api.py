"""JSON: `GET /api/v1/pickup-slots` (each slot with the animations happening during it) and
`POST /api/v1/orders` (201 first, 200 for a repeated Idempotency-Key)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, request
from flask_login import current_user

from shopapp.accounts.access import login_required, public
from shopapp.animations.picker import animations_during
from shopapp.checkout import services
from shopapp.core.api import Page, documented, parse_body, parse_query, respond
from shopapp.core.clock import utcnow, venue_zone
from shopapp.errors import ValidationFailed
from shopapp.orders import basket as baskets
from shopapp.orders import slots
from shopapp.orders.schemas import AnimationRef, OrderIn, OrderOut, SlotList, SlotQuery, order_out, slot_out
from shopapp.orders.session import current_owner

bp = Blueprint("checkout_api", __name__, url_prefix="/api/v1")


def _as_utc(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=venue_zone())).astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=venue_zone()).astimezone(UTC)


@bp.get("/pickup-slots")
@public
@documented("Pickup slots with room left and bookability for the current basket", response=SlotList,
            query=SlotQuery)
def list_pickup_slots():  # type: ignore[no-untyped-def]
    query = parse_query(SlotQuery)
    page = parse_query(Page)
    start = _as_utc(query.from_) if query.from_ else utcnow()
    end = _as_utc(query.to) if query.to else start + timedelta(days=14)
    if isinstance(query.to, date) and not isinstance(query.to, datetime):
        end += timedelta(days=1)  # a date `to` includes that whole day
    if end <= start or end - start > timedelta(days=62):
        raise ValidationFailed("Période invalide (62 jours au plus).", fields={"to": "après from, 62 jours au plus"})
    view = baskets.view_basket(current_owner())
    shop_ids = [g.shop.id for g in view.groups]
    found = slots.list_slots(start, end, lead_minutes=slots.lead_minutes_for_shops(shop_ids),
                             closed_weekdays=slots.closed_weekdays_for_shops(shop_ids))
    window = found[(page.page - 1) * page.per_page: page.page * page.per_page]
    return respond(SlotList(
        items=[slot_out(s, [AnimationRef(id=a.id, title=a.title, kind=a.kind) for a in animations_during(s.slot)])
               for s in window],
        page=page.page, per_page=page.per_page, total=len(found)))


@bp.post("/orders")
@login_required
@documented("Check the basket out into an order (Idempotency-Key header honoured); card orders carry the "
            "PaymentIntent's client_secret", body=OrderIn, response=OrderOut, status=201, auth="bearer")
def create_order():  # type: ignore[no-untyped-def]
    data = parse_body(OrderIn)
    key = (request.headers.get("Idempotency-Key") or "").strip()[:80] or None
    result = services.submit(services.SubmitRequest(current_user.id, data.pickup_slot_id, data.payment_method, key,
                                                    tuple(data.join_animation_ids),
                                                    confirm_adult=data.confirm_adult))
    out = order_out(result.order)
    out.payment.client_secret = result.payment.client_secret
    return respond(out, 201 if result.created else 200)
