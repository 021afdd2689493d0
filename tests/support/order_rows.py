"""Real order rows for payments tests that drive payments services directly (the foreign keys need them).

`make_order_rows(number=..., parts=[(shop_id, subtotal_cents, rate_bps)], method=...)` inserts one
customer_order (with a resident, a venue and a slot of its own) and its parts, commits, and returns
their ids. Checkout-level tests use the `world` fixture and the real checkout instead.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

from shopapp.accounts.services import register_user
from shopapp.catalog.models import Shop
from shopapp.core.clock import utcnow
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.orders.models import Order, OrderPart, PickupSlot
from shopapp.venue.models import OpeningHours, Venue

_counter = itertools.count(1)


@dataclass(frozen=True)
class OrderRows:
    order_id: int
    number: str
    part_ids: list[int]


def make_order_rows(app: Any, *, number: str | None = None, parts: list[tuple[int | None, int, int]] | None = None,
                    method: str = "card", status: str = "pending_payment") -> OrderRows:
    n = next(_counter)
    with app.app_context():
        venue = db.session.query(Venue).first()
        if venue is None:
            venue = Venue(name="Halle", address="1 place", slot_minutes=60, slot_capacity=10, holding_minutes=120,
                          booking_cutoff_minutes=60, closed_on_public_holidays=False)
            venue.opening_hours = [OpeningHours(weekday=d, opens=time(8), closes=time(20)) for d in range(1, 8)]
            db.session.add(venue)
            db.session.flush()
        start = utcnow().replace(microsecond=0) + timedelta(days=2, minutes=n)
        slot = PickupSlot(venue_id=venue.id, starts_at=start, ends_at=start + timedelta(hours=1), capacity=10, booked=1)
        user = register_user(f"rows{n}-{start.timestamp():.0f}@example.org", "motdepasse1", "Client",
                             send_welcome=False)
        db.session.add(slot)
        db.session.flush()
        specs = parts or [(None, 2500, 1000)]
        order = Order(number=number or f"AMC-R{n}", pickup_code=f"R{n:05d}"[:8], user_id=user.id,
                      pickup_slot_id=slot.id, status=status, payment_method=method,
                      payment_status="pending" if method == "card" else "due",
                      total_cents=sum(s[1] for s in specs), currency="EUR")
        for shop_id, subtotal, rate in specs:
            if shop_id is None:
                shop = Shop(slug=f"rows-shop-{n}-{subtotal}", name="Boutique", trade="Commerce")
                db.session.add(shop)
                db.session.flush()
                shop_id = shop.id
            order.parts.append(OrderPart(shop_id=shop_id, subtotal_cents=subtotal, currency="EUR",
                                         commission_rate_bps=rate))
        db.session.add(order)
        db.session.flush()
        rows = OrderRows(order.id, order.number, [p.id for p in order.parts])
        commit()
    return rows
