"""What a higher package shows next to each pickup slot, without orders importing it.

`animations` registers a provider at app start (`register_slot_animations`); the pickup-slots API and
the slot picker ask `animations_for(slot)`. With no provider (orders alone), every slot has none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

from shopapp.orders.models import PickupSlot

EXTENSION_KEY = "slot_animations"


@dataclass(frozen=True)
class SlotAnimation:
    id: int
    title: str
    kind: str


SlotAnimationsProvider = Callable[[PickupSlot], list[SlotAnimation]]


def register_slot_animations(app: Flask, provider: SlotAnimationsProvider) -> None:
    app.extensions[EXTENSION_KEY] = provider


def animations_for(slot: PickupSlot) -> list[SlotAnimation]:
    """The animations happening during this slot that the current viewer may see."""
    provider: SlotAnimationsProvider | None = current_app.extensions.get(EXTENSION_KEY)
    return provider(slot) if provider is not None else []
