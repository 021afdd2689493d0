"""The price per kilogram or litre French law asks beside a product sold by weight or volume: from the
units whose quantity is known (`100 g`, `250 g`, `500 g`), or from the net quantity a bottle, jar or
piece holds (750 ml, 250 g); `kg` and `litre` are already priced so."""

from __future__ import annotations

# unit → (quantity in grams or millilitres, the reference unit)
NET_QUANTITIES = {"100 g": (100, "kg"), "250 g": (250, "kg"), "500 g": (500, "kg")}
# net unit → the reference unit
REFERENCE_UNITS = {"g": "kg", "ml": "l"}


def reference_price(price_cents: int, unit: str, net_quantity: int | None = None,
                    net_unit: str | None = None) -> tuple[int, str] | None:
    """(cents per kg or litre, "kg" or "l"), rounded half up to the cent; None for units without a
    known net quantity. `reference_price(450, "250 g")` → `(1800, "kg")`;
    `reference_price(1200, "bouteille", 750, "ml")` → `(1600, "l")`."""
    known = NET_QUANTITIES.get(unit)
    if known is None and net_quantity and net_unit in REFERENCE_UNITS and unit not in ("kg", "litre"):
        known = (net_quantity, REFERENCE_UNITS[net_unit])
    if known is None:
        return None
    quantity, reference = known
    return (price_cents * 1000 + quantity // 2) // quantity, reference
