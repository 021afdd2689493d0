"""JSON API: /api/v1/basket, /orders, /shop/orders, /venue/….

The pickup-slots list shows each slot's animations too, so it lives in checkout/api.py."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user

from shopapp.accounts.access import login_required, public, role_required
from shopapp.accounts.models import Role
from shopapp.catalog.access import acting_for, shop_api
from shopapp.core.api import Page, documented, parse_body, parse_query, respond
from shopapp.core.clock import venue_today
from shopapp.orders import basket as baskets
from shopapp.orders import fulfilment, queries, reorder
from shopapp.orders.schemas import (
    AddLineIn,
    BasketOut,
    CollectIn,
    DayQuery,
    DeskOrderOut,
    DeskSlotOut,
    DropOffIn,
    DropOffOut,
    OrderList,
    OrderOut,
    PartStatusIn,
    PickupDayOut,
    PickupSlotIn,
    RefuseLineIn,
    ReorderOut,
    SetQuantityIn,
    ShopOrdersQuery,
    ShopPartList,
    ShopPartOut,
    basket_out,
    desk_order_out,
    drop_off_out,
    iso,
    order_out,
    reorder_out,
    shop_part_out,
)
from shopapp.orders.session import current_owner

bp = Blueprint("orders_api", __name__, url_prefix="/api/v1")


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


@bp.post("/orders/<int:order_id>/reorder")
@login_required
@documented("Order again: put my order's products back into my basket, as far as they can still be sold",
            response=ReorderOut, auth="bearer")
def reorder_order(order_id: int):  # type: ignore[no-untyped-def]
    result = reorder.reorder(order_id, current_user.id)
    return respond(reorder_out(result, baskets.view_basket(current_owner())))


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


@bp.post("/shop/order-parts/<int:part_id>/lines/<int:line_id>/refuse")
@shop_api(token_allowed=True)
@documented("Refuse one line of the shop's part being prepared, with a reason (refunded or no longer due)",
            body=RefuseLineIn, response=ShopPartOut, auth="bearer")
def shop_refuse_line(part_id: int, line_id: int):  # type: ignore[no-untyped-def]
    data = parse_body(RefuseLineIn)
    acting = acting_for(request.args.get("shop"))
    part = fulfilment.refuse_line(part_id, line_id, data.reason, shop_id=acting.shop.id, actor_id=acting.user_id)
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


@bp.post("/venue/drop-offs")
@role_required(Role.VENUE, Role.ADMIN)
@documented("Record that a shop's bag reached the venue, by its label (404 unknown label; 409 when the part "
            "is not ready or the order already collected)", body=DropOffIn, response=DropOffOut, auth="bearer")
def venue_drop_off():  # type: ignore[no-untyped-def]
    data = parse_body(DropOffIn)
    part = fulfilment.part_by_label(data.label)
    part = fulfilment.desk_drop_off(part.id, actor_id=current_user.id, via=fulfilment.DROP_OFF_SCAN)
    return respond(drop_off_out(part))
