"""The order fixtures (a venue, shops, products, slots) are shared with the residents' features."""

from __future__ import annotations

from tests.orders.conftest import World, world

__all__ = ["World", "world"]
