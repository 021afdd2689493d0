"""JSON: a resident's standing orders under /api/v1/standing-orders (someone else's answer 404)."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from shopapp.accounts.access import login_required
from shopapp.core.api import documented, parse_body, respond
from shopapp.standing import services
from shopapp.standing.schemas import SkipIn, StandingOrderIn, StandingOrderList, StandingOrderOut, standing_order_out

bp = Blueprint("standing_api", __name__, url_prefix="/api/v1")


@bp.post("/standing-orders")
@login_required
@documented("Make a standing order: these lines every week or fortnight, at the weekday and time of the first "
            "pickup slot (card: save the card with the returned SetupIntent client secret)",
            body=StandingOrderIn, response=StandingOrderOut, status=201, auth="bearer")
def create_standing_order():  # type: ignore[no-untyped-def]
    data = parse_body(StandingOrderIn)
    created = services.create(current_user.id, [services.LineRequest(x.product_id, x.quantity) for x in data.lines],
                              every_weeks=data.every_weeks, first_pickup_slot_id=data.first_pickup_slot_id,
                              payment_method=data.payment_method)
    return respond(standing_order_out(created.standing_order,
                                      card_setup_client_secret=created.card_setup_client_secret), 201)


@bp.get("/standing-orders")
@login_required
@documented("My standing orders", response=StandingOrderList, auth="bearer")
def list_standing_orders():  # type: ignore[no-untyped-def]
    items = [standing_order_out(s) for s in services.for_user(current_user.id)]
    return respond(StandingOrderList(items=items, page=1, per_page=max(len(items), 1), total=len(items)))


@bp.get("/standing-orders/<int:standing_id>")
@login_required
@documented("One of my standing orders", response=StandingOrderOut, auth="bearer")
def get_standing_order(standing_id: int):  # type: ignore[no-untyped-def]
    return respond(standing_order_out(services.get_for_user(standing_id, current_user.id)))


@bp.post("/standing-orders/<int:standing_id>/skip")
@login_required
@documented("Skip one coming date (no order that day)", body=SkipIn, response=StandingOrderOut, auth="bearer")
def skip_standing_order(standing_id: int):  # type: ignore[no-untyped-def]
    data = parse_body(SkipIn)
    return respond(standing_order_out(services.skip(standing_id, current_user.id, data.date)))


@bp.post("/standing-orders/<int:standing_id>/pause")
@login_required
@documented("Pause my standing order (idempotent)", response=StandingOrderOut, auth="bearer")
def pause_standing_order(standing_id: int):  # type: ignore[no-untyped-def]
    return respond(standing_order_out(services.pause(standing_id, current_user.id)))


@bp.post("/standing-orders/<int:standing_id>/resume")
@login_required
@documented("Resume my paused standing order from its next date (idempotent)", response=StandingOrderOut,
            auth="bearer")
def resume_standing_order(standing_id: int):  # type: ignore[no-untyped-def]
    return respond(standing_order_out(services.resume(standing_id, current_user.id)))


@bp.delete("/standing-orders/<int:standing_id>")
@login_required
@documented("End my standing order for good (orders already placed stay; idempotent)", auth="bearer", status=204)
def end_standing_order(standing_id: int):  # type: ignore[no-untyped-def]
    services.end(standing_id, current_user.id)
    return "", 204
