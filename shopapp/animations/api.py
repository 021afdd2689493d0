"""JSON API: /api/v1/animations…, /api/v1/venue/animations…, /api/v1/shop/animations."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, Response, request
from flask_login import current_user

from shopapp.accounts.access import login_required, public, role_required
from shopapp.accounts.models import Role
from shopapp.animations import calendar, queries, registrations, services
from shopapp.animations.picker import viewer_id
from shopapp.animations.schemas import (
    AnimationIn,
    AnimationList,
    AnimationOut,
    AnimationPatch,
    AnimationQuery,
    RegistrationIn,
    RegistrationOut,
    WalkInIn,
    WalkInOut,
    animation_out,
    registration_out,
    walk_in_out,
)
from shopapp.catalog.access import acting_for, shop_api
from shopapp.core.api import Page, documented, parse_body, parse_query, respond
from shopapp.core.clock import local_to_utc, utcnow, venue_zone
from shopapp.errors import NotFoundError, ValidationFailed

bp = Blueprint("animations_api", __name__, url_prefix="/api/v1")

DEFAULT_DAYS = 62


def _bound(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return local_to_utc(value, field="from")
    return datetime.combine(value, time(0), tzinfo=venue_zone())


def _ics(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _data(body: AnimationIn, image_path: str | None = None) -> services.AnimationData:
    return services.AnimationData(
        title=body.title, kind=body.kind, starts_at=local_to_utc(body.starts_at, field="starts_at"),
        ends_at=local_to_utc(body.ends_at, field="ends_at"), capacity=body.capacity, description=body.description,
        audience=body.audience, shop_ids=body.shop_ids, product_ids=body.product_ids, image_path=image_path)


def _out(animation) -> AnimationOut:  # type: ignore[no-untyped-def]
    return animation_out(animation, queries.slot_ids_by_animation([animation])[animation.id])


# -- public read, resident write ------------------------------------------------------------------------

@bp.get("/animations")
@public
@documented("Published animations in a period (members-only ones for members)", response=AnimationList,
            query=AnimationQuery)
def list_animations():  # type: ignore[no-untyped-def]
    query = parse_query(AnimationQuery)
    page = parse_query(Page)
    start = _bound(query.from_) if query.from_ else utcnow()
    end = _bound(query.to) if query.to else start + timedelta(days=DEFAULT_DAYS)
    if isinstance(query.to, date) and not isinstance(query.to, datetime):
        end += timedelta(days=1)  # a date `to` includes that whole day
    if end <= start or end - start > timedelta(days=366):
        raise ValidationFailed("Période invalide (un an au plus).", fields={"to": "après from, un an au plus"})
    found = queries.list_animations(start, end, viewer_id())
    window = found[(page.page - 1) * page.per_page: page.page * page.per_page]
    slot_ids = queries.slot_ids_by_animation(window)
    return respond(AnimationList(items=[animation_out(a, slot_ids[a.id]) for a in window], page=page.page,
                                 per_page=page.per_page, total=len(found)))


@bp.get("/animations/<int:animation_id>")
@public
@documented("One published animation", response=AnimationOut)
def get_animation(animation_id: int):  # type: ignore[no-untyped-def]
    return respond(_out(queries.visible_animation(animation_id, viewer_id())))


@bp.post("/animations/<int:animation_id>/registrations")
@login_required
@documented("Register for seats: registered within capacity, else waitlisted", body=RegistrationIn,
            response=RegistrationOut, status=201, auth="bearer")
def register(animation_id: int):  # type: ignore[no-untyped-def]
    data = parse_body(RegistrationIn) if request.get_data() else RegistrationIn()
    registration = registrations.register(animation_id, current_user.id, data.seats)
    return respond(registration_out(registration), 201)


@bp.delete("/animations/<int:animation_id>/registrations/mine")
@login_required
@documented("Cancel my registration (seats go to the waitlist)", response=RegistrationOut, auth="bearer")
def cancel_mine(animation_id: int):  # type: ignore[no-untyped-def]
    return respond(registration_out(registrations.cancel_registration(animation_id, current_user.id)))


@bp.get("/animations.ics")
@public
def agenda_ics():  # type: ignore[no-untyped-def]
    return _ics(calendar.public_agenda(), "agenda-halle-commune.ics")


@bp.get("/calendar/<token>.ics")
@public
def personal_ics(token: str):  # type: ignore[no-untyped-def]
    # The secret in the URL is the credential (calendar apps cannot log in); a revoked one is a 404.
    user_id = calendar.user_for_feed(token)
    if user_id is None:
        raise NotFoundError("Ce lien d'agenda n'est pas valide.")
    return _ics(calendar.personal_feed(user_id), "mes-retraits-et-animations.ics")


# -- venue staff ----------------------------------------------------------------------------------------

@bp.post("/venue/animations")
@role_required(Role.VENUE, Role.ADMIN)
@documented("Create an animation (as a draft)", body=AnimationIn, response=AnimationOut, status=201, auth="bearer")
def venue_create():  # type: ignore[no-untyped-def]
    animation = services.create_animation(_data(parse_body(AnimationIn)), actor_id=current_user.id)
    return respond(_out(animation), 201)


@bp.patch("/venue/animations/<int:animation_id>")
@role_required(Role.VENUE, Role.ADMIN)
@documented("Edit an animation (capacity never below the seats taken)", body=AnimationPatch,
            response=AnimationOut, auth="bearer")
def venue_update(animation_id: int):  # type: ignore[no-untyped-def]
    patch = parse_body(AnimationPatch)
    current = queries.get_animation(animation_id)
    merged = AnimationIn(
        title=patch.title or current.title, kind=patch.kind or current.kind,  # type: ignore[arg-type]
        starts_at=patch.starts_at or current.starts_at, ends_at=patch.ends_at or current.ends_at,
        capacity=current.capacity if patch.capacity is None else patch.capacity,
        description=current.description if patch.description is None else patch.description,
        audience=patch.audience or current.audience,  # type: ignore[arg-type]
        shop_ids=[s.id for s in current.shops] if patch.shop_ids is None else patch.shop_ids,
        product_ids=[p.id for p in current.products] if patch.product_ids is None else patch.product_ids)
    # Images are uploaded through the venue's pages: an API edit keeps the current one.
    animation = services.update_animation(animation_id, _data(merged, current.image_path), actor_id=current_user.id)
    return respond(_out(animation))


@bp.post("/venue/animations/<int:animation_id>/publish")
@role_required(Role.VENUE, Role.ADMIN)
@documented("Publish a draft or approve a shop's proposal", response=AnimationOut, auth="bearer")
def venue_publish(animation_id: int):  # type: ignore[no-untyped-def]
    return respond(_out(services.publish_animation(animation_id, actor_id=current_user.id)))


@bp.post("/venue/animations/<int:animation_id>/cancel")
@role_required(Role.VENUE, Role.ADMIN)
@documented("Cancel an animation; every registrant is told once", response=AnimationOut, auth="bearer")
def venue_cancel(animation_id: int):  # type: ignore[no-untyped-def]
    return respond(_out(services.cancel_animation(animation_id, actor_id=current_user.id)))


@bp.post("/venue/animations/<int:animation_id>/walk-ins")
@role_required(Role.VENUE, Role.ADMIN)
@documented("Check in people who came without an order or booking (within capacity, else 409)", body=WalkInIn,
            response=WalkInOut, status=201, auth="bearer")
def venue_walk_in(animation_id: int):  # type: ignore[no-untyped-def]
    body = parse_body(WalkInIn)
    walk_in = registrations.add_walk_in(animation_id, body.seats, name=body.name, actor_id=current_user.id)
    return respond(walk_in_out(walk_in), 201)


# -- shops ----------------------------------------------------------------------------------------------

@bp.post("/shop/animations")
@shop_api(token_allowed=False)
@documented("Propose an animation featuring the shop's products (the venue approves it)", body=AnimationIn,
            response=AnimationOut, status=201, auth="bearer")
def shop_propose():  # type: ignore[no-untyped-def]
    acting = acting_for(request.args.get("shop"))
    animation = services.propose_animation(_data(parse_body(AnimationIn)), shop_id=acting.shop.id,
                                           actor_id=acting.user_id or 0)
    return respond(_out(animation), 201)
