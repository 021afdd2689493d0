"""API request/response models for animations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shopapp.animations.models import Animation, Registration, WalkIn
from shopapp.catalog.schemas import image_url
from shopapp.core.api import ApiModel, RowId
from shopapp.core.clock import venue_time

Kind = Literal["tasting", "product_discovery", "cooking_workshop", "fashion_show", "short_supply_talk",
               "repair_cafe", "other"]


def iso(value: datetime) -> str:
    return venue_time(value).isoformat()


class AnimationQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    from_: date | datetime | None = Field(default=None, alias="from")
    to: date | datetime | None = None


class RegistrationIn(ApiModel):
    seats: int = Field(default=1, ge=1, le=6)


class AnimationIn(ApiModel):
    """Times with an offset, or local wall-clock times of the venue without one."""

    title: str = Field(min_length=1, max_length=160)
    kind: Kind
    starts_at: datetime
    ends_at: datetime
    capacity: int = Field(ge=0, le=500)
    description: str = ""
    audience: Literal["everyone", "members"] = "everyone"
    shop_ids: list[RowId] = Field(default_factory=list)
    product_ids: list[RowId] = Field(default_factory=list)


class WalkInIn(ApiModel):
    seats: int = Field(ge=1, le=50)
    name: str = Field(default="", max_length=120)


class AnimationPatch(ApiModel):
    title: str | None = Field(default=None, min_length=1, max_length=160)
    kind: Kind | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    capacity: int | None = Field(default=None, ge=0, le=500)
    description: str | None = None
    audience: Literal["everyone", "members"] | None = None
    shop_ids: list[RowId] | None = None
    product_ids: list[RowId] | None = None


class MerchantRef(BaseModel):
    id: int
    slug: str
    name: str


class AnimationOut(BaseModel):
    id: int
    title: str
    kind: str
    description: str
    starts_at: str
    ends_at: str
    capacity: int
    seats_left: int
    audience: str
    status: str
    merchants: list[MerchantRef]
    product_ids: list[int]
    pickup_slot_ids: list[int]
    image_url: str | None


class AnimationList(BaseModel):
    items: list[AnimationOut]
    page: int
    per_page: int
    total: int


class RegistrationOut(BaseModel):
    id: int
    animation_id: int
    seats: int
    status: Literal["registered", "waitlisted", "cancelled"]


def animation_out(animation: Animation, slot_ids: list[int]) -> AnimationOut:
    return AnimationOut(
        id=animation.id, title=animation.title, kind=animation.kind, description=animation.description,
        starts_at=iso(animation.starts_at), ends_at=iso(animation.ends_at), capacity=animation.capacity,
        seats_left=animation.seats_left, audience=animation.audience, status=animation.status,
        merchants=[MerchantRef(id=s.id, slug=s.slug, name=s.name) for s in animation.shops],
        product_ids=[p.id for p in animation.products], pickup_slot_ids=slot_ids,
        image_url=image_url(animation.image_path),
    )


def registration_out(registration: Registration) -> RegistrationOut:
    return RegistrationOut(id=registration.id, animation_id=registration.animation_id, seats=registration.seats,
                           status=registration.status)  # type: ignore[arg-type]


class WalkInOut(BaseModel):
    id: int
    animation_id: int
    seats: int
    name: str
    created_at: str
    seats_left: int


def walk_in_out(walk_in: WalkIn) -> WalkInOut:
    return WalkInOut(id=walk_in.id, animation_id=walk_in.animation_id, seats=walk_in.seats, name=walk_in.name,
                     created_at=iso(walk_in.created_at), seats_left=walk_in.animation.seats_left)
