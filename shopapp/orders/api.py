"""JSON API: /api/v1/basket, /pickup-slots, /orders, /shop/orders, /venue/… (API.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, request
from flask_login import current_user

from shopapp.accounts.access import login_required, public, role_required
from shopapp.accounts.models import Role
from shopapp.catalog.access import acting_for, shop_api
from shopapp.core.api import Page, documented, parse_body, parse_query, respond
from shopapp.core.clock import utcnow, venue_today, venue_zone
from shopapp.errors import ValidationFailed
from shopapp.orders import basket as baskets
from shopapp.orders import fulfilment, queries, slots
from shopapp.orders.schemas import (
    AddLineIn,
    BasketOut,
    CollectIn,
    DayQuery,
    DeskOrderOut,
    DeskSlotOut,
    OrderList,
    OrderOut,
    PartStatusIn,
    PickupDayOut,
    PickupSlotIn,
    SetQuantityIn,
    ShopOrdersQuery,
    ShopPartList,
    ShopPartOut,
    SlotList,
    SlotQuery,
    basket_out,
    desk_order_out,
    iso,
    order_out,
    shop_part_out,
    slot_out,
)
from shopapp.orders.session import current_owner

bp = Blueprint("orders_api", __name__, url_prefix="/api/v1")



def _as_utc(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=venue_zone())).astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=venue_zone()).astimezone(UTC)


# -- basket -------------------------------------------------------------------------------------------

@bp.get("/basket")
@public
@documented("The current basket at current prices", response=BasketOut)
def get_basket():  # type: ignore[no-untyped-def]
    return respond(basket_out(baskets.view_basket(current_owner())))


@bp.post("/basket/lines")
@public
@documented("Add a product to the basket (or increase its quantity)", body=AddLineIn, response=BasketOut)
def add_basket_line():  # type: ignore[no-untyped-def]
    data = parse_body(AddLineIn)
    owner = current_owner(create=True)
    baskets.add_line(owner, data.product_id, data.quantity)
    return respond(basket_out(baskets.view_basket(owner)))


@bp.patch("/basket/lines/<int:product_id>")
@public
@documented("Set a line's quantity (0 removes it)", body=SetQuantityIn, response=BasketOut)
def set_basket_line(product_id: int):  # type: ignore[no-untyped-def]
    data = parse_body(SetQuantityIn)
    owner = current_owner()
    baskets.set_quantity(owner, product_id, data.quantity)
    return respond(basket_out(baskets.view_basket(owner)))


@bp.delete("/basket/lines/<int:product_id>")
@public
@documented("Remove a product from the basket", response=BasketOut)
def delete_basket_line(product_id: int):  # type: ignore[no-untyped-def]
    owner = current_owner()
    baskets.remove_line(owner, product_id)
    return respond(basket_out(baskets.view_basket(owner)))


# -- slots --------------------------------------------------------------------------------------------

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
    found = slots.list_slots(start, end, lead_minutes=slots.lead_minutes_for_shops(g.shop.id for g in view.groups))
    window = found[(page.page - 1) * page.per_page: page.page * page.per_page]
    return respond(SlotList(items=[slot_out(s) for s in window], page=page.page, per_page=page.per_page,
                            total=len(found)))


# -- orders (resident) --------------------------------------------------------------------------------

@bp.get("/orders")
@login_required
@documented("My orders, newest first", response=OrderList, auth="bearer", query=Page)
def list_orders():  # type: ignore[no-untyped-def]
    page = parse_query(Page)
    items, total = queries.orders_of_user(current_user.id, page=page.page, per_page=page.per_page)
    return respond(OrderList(items=[order_out(o) for o in items], page=page.page, per_page=page.per_page,
                             total=total))


@bp.get("/orders/<int:order_id>")
@login_required
@documented("One of my orders", response=OrderOut, auth="bearer")
def get_order(order_id: int):  # type: ignore[no-untyped-def]
    return respond(order_out(queries.order_for_user(order_id, current_user.id)))


@bp.post("/orders/<int:order_id>/cancel")
@login_required
@documented("Cancel my order while no shop has started preparing it", response=OrderOut, auth="bearer")
def cancel_order(order_id: int):  # type: ignore[no-untyped-def]
    order = fulfilment.cancel_order(order_id, actor_id=current_user.id, owner_id=current_user.id)
    return respond(order_out(order))


@bp.post("/orders/<int:order_id>/pickup-slot")
@login_required
@documented("Move my order to another pickup slot (confirmed or ready orders; the shops are told)",
            body=PickupSlotIn, response=OrderOut, auth="bearer")
def change_pickup_slot(order_id: int):  # type: ignore[no-untyped-def]
    data = parse_body(PickupSlotIn)
    order = fulfilment.change_pickup_slot(order_id, data.pickup_slot_id, owner_id=current_user.id)
    return respond(order_out(queries.order_for_user(order.id, current_user.id)))


# -- shop parts ---------------------------------------------------------------------------------------

@bp.get("/shop/orders")
@shop_api(token_allowed=True)
@documented("The shop's order parts (active ones unless a status is given)", response=ShopPartList,
            auth="bearer", query=ShopOrdersQuery)
def shop_orders():  # type: ignore[no-untyped-def]
    query = parse_query(ShopOrdersQuery)
    acting = acting_for(query.shop)
    groups = queries.parts_for_shop(acting.shop.id, status=query.status, day=query.slot_date)
    parts = [part for group in groups for part in group.parts]
    window = parts[(query.page - 1) * query.per_page: query.page * query.per_page]
    return respond(ShopPartList(items=[shop_part_out(p) for p in window], page=query.page,
                                per_page=query.per_page, total=len(parts)))


@bp.post("/shop/order-parts/<int:part_id>/status")
@shop_api(token_allowed=True)
@documented("Move the shop's part: preparing, ready, at_venue or rejected", body=PartStatusIn,
            response=ShopPartOut, auth="bearer")
def shop_part_status(part_id: int):  # type: ignore[no-untyped-def]
    data = parse_body(PartStatusIn)
    acting = acting_for(request.args.get("shop"))
    part = fulfilment.set_part_status(part_id, data.status, shop_id=acting.shop.id, actor_id=acting.user_id)
    return respond(shop_part_out(part))


# -- venue desk ---------------------------------------------------------------------------------------

@bp.get("/venue/pickups")
@role_required(Role.VENUE, Role.ADMIN)
@documented("The day's slots with their orders and whether every part is at the venue",
            response=PickupDayOut, auth="bearer", query=DayQuery)
def venue_pickups():  # type: ignore[no-untyped-def]
    query = parse_query(DayQuery)
    day = query.date or venue_today()
    return respond(PickupDayOut(date=day.isoformat(), slots=[
        DeskSlotOut(id=g.slot.id, starts_at=iso(g.slot.starts_at) or "", ends_at=iso(g.slot.ends_at) or "",
                    capacity=g.slot.capacity, booked=g.slot.booked, orders=[desk_order_out(o) for o in g.orders])
        for g in queries.pickups_of_day(day)
    ]))


@bp.get("/venue/orders/by-code/<code>")
@role_required(Role.VENUE, Role.ADMIN)
@documented("Find an order by its pickup code", response=DeskOrderOut, auth="bearer")
def venue_order_by_code(code: str):  # type: ignore[no-untyped-def]
    return respond(desk_order_out(queries.order_by_code(code)))


@bp.post("/venue/orders/<int:order_id>/collect")
@role_required(Role.VENUE, Role.ADMIN)
@documented("Hand the order over (409 unless every part is at the venue); records an at-pickup payment",
            body=CollectIn, response=DeskOrderOut, auth="bearer")
def venue_collect(order_id: int):  # type: ignore[no-untyped-def]
    data = parse_body(CollectIn) if request.get_data() else CollectIn()
    order = fulfilment.collect_order(order_id, actor_id=current_user.id, paid_via=data.paid_via)
    return respond(desk_order_out(order))
