"""API models of standing orders (`/api/v1/standing-orders`)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from shopapp.core.api import ApiModel, RowId
from shopapp.standing import services
from shopapp.standing.models import StandingOrder


class LineIn(ApiModel):
    product_id: RowId
    quantity: int = Field(ge=1, le=99)


class StandingOrderIn(ApiModel):
    lines: list[LineIn] = Field(min_length=1, max_length=services.MAX_LINES)
    every_weeks: Literal[1, 2]
    first_pickup_slot_id: RowId
    payment_method: Literal["at_pickup", "card"]


class SkipIn(ApiModel):
    date: date


class LineOut(BaseModel):
    product_id: int
    name: str
    quantity: int
    unit_price_cents: int
    currency: str


class NextPickupOut(BaseModel):
    date: str
    pickup_slot_id: int | None = None


class StandingOrderOut(BaseModel):
    id: int
    status: Literal["active", "paused", "ended"]
    every_weeks: int
    weekday: int  # ISO: 1 = Monday … 7 = Sunday
    time: str  # the venue's local time, HH:MM
    lines: list[LineOut]
    next_pickup: NextPickupOut | None
    skipped_dates: list[str]
    payment_method: Literal["at_pickup", "card"]
    card_saved: bool
    # Only in the answer to a card creation: Stripe.js confirms it (confirmCardSetup) to save the card.
    card_setup_client_secret: str | None = None


class StandingOrderList(BaseModel):
    items: list[StandingOrderOut]
    page: int
    per_page: int
    total: int


def standing_order_out(standing: StandingOrder, *, card_setup_client_secret: str | None = None) -> StandingOrderOut:
    upcoming = services.next_pickup(standing)
    return StandingOrderOut(
        id=standing.id, status=standing.status, every_weeks=standing.every_weeks,  # type: ignore[arg-type]
        weekday=standing.weekday, time=standing.pickup_time.strftime("%H:%M"),
        lines=[LineOut(product_id=line.product_id, name=line.product.name, quantity=line.quantity,
                       unit_price_cents=line.product.price_cents, currency="EUR") for line in standing.lines],
        next_pickup=NextPickupOut(date=upcoming.day.isoformat(), pickup_slot_id=upcoming.pickup_slot_id)
        if upcoming else None,
        skipped_dates=[day.isoformat() for day in services.skipped_dates(standing)],
        payment_method=standing.payment_method,  # type: ignore[arg-type]
        card_saved=bool(standing.stripe_payment_method_id),
        card_setup_client_secret=card_setup_client_secret,
    )
