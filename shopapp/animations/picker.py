"""Animations next to pickup slots: which animations happen during a slot (the pickup-slots API lists
them), and for the slot picker each one with the basket's shops it features (highlighted).

Animations are loaded once per local day per request (a two-week picker makes ~14 small queries,
not one per slot) and filtered per slot in Python: there are a handful of animations a week.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import g, has_request_context
from flask_login import current_user

from shopapp.animations.models import Animation
from shopapp.animations.queries import list_animations
from shopapp.core.clock import as_utc, venue_zone
from shopapp.orders.models import PickupSlot


@dataclass(frozen=True)
class PickerAnimation:
    animation: Animation
    basket_shop_names: list[str]

    @property
    def is_highlighted(self) -> bool:
        return bool(self.basket_shop_names)


def viewer_id() -> int | None:
    if has_request_context() and current_user.is_authenticated:
        return int(current_user.id)
    return None


def animations_during(slot: PickupSlot) -> list[Animation]:
    """Visible animations overlapping the slot (memoised per local day in `g`)."""
    zone = venue_zone()
    start = as_utc(slot.starts_at)
    day = start.astimezone(zone).date()
    cache: dict[tuple[object, ...], list[Animation]] = g.setdefault("_animations_by_day", {})
    key = (day, viewer_id())
    if key not in cache:
        first = datetime.combine(day, time(0), tzinfo=zone)
        cache[key] = list_animations(first, first + timedelta(days=2), viewer_id())
    end = as_utc(slot.ends_at)
    return [a for a in cache[key] if as_utc(a.starts_at) < end and start < as_utc(a.ends_at)]


def picker_animations(slot: PickupSlot, basket_shop_ids: Iterable[int]) -> list[PickerAnimation]:
    """For the slot picker: each animation during the slot, with the basket's shops it features."""
    ids = set(basket_shop_ids)
    return [PickerAnimation(a, [s.name for s in a.shops if s.id in ids]) for a in animations_during(slot)]
