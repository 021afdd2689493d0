"""Order fixtures: a venue open every day, shops with products and stock, slots, shopkeepers."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest

from shopapp.catalog.models import Product, Shop, ShopStaff, StockRecord
from shopapp.core.clock import utcnow
from shopapp.extensions import db
from shopapp.orders.models import PickupSlot
from shopapp.venue.models import OpeningHours, Venue


class World:
    """Builds committed rows and returns their ids."""

    def __init__(self, app: Any, make_user: Any):
        self.app = app
        self.make_user = make_user
        self.venue_id = self._venue()
        self.n = 0

    def _venue(self) -> int:
        with self.app.app_context():
            venue = Venue(name="La Halle Commune", address="3 place de la Halle", slot_minutes=60, slot_capacity=10,
                          holding_minutes=120, booking_cutoff_minutes=60, closed_on_public_holidays=False)
            venue.opening_hours = [OpeningHours(weekday=d, opens=time(8), closes=time(20)) for d in range(1, 8)]
            db.session.add(venue)
            db.session.commit()
            return venue.id

    def shop(self, name: str = "Boulangerie Aurore", preparation_minutes: int = 60, keeper: str | None = None) -> int:
        self.n += 1
        with self.app.app_context():
            shop = Shop(slug=f"shop-{self.n}", name=name, trade="Commerce", status="approved",
                        preparation_minutes=preparation_minutes)
            db.session.add(shop)
            db.session.commit()
            shop_id = shop.id
        if keeper:
            user_id = self.make_user(email=keeper, roles=("shopkeeper",))
            with self.app.app_context():
                db.session.add(ShopStaff(shop_id=shop_id, user_id=user_id))
                db.session.commit()
        return shop_id

    def product(self, shop_id: int, name: str = "Baguette", price_cents: int = 120, stock: int = 10,
                unit: str = "pièce", vat_rate_bp: int = 550, perishable: bool = False) -> int:
        self.n += 1
        with self.app.app_context():
            product = Product(shop_id=shop_id, sku=f"SKU{self.n}", name=name, slug=f"p-{self.n}",
                              price_cents=price_cents, unit=unit, vat_rate_bp=vat_rate_bp, is_perishable=perishable)
            product.stock = StockRecord(on_hand=stock, allocated=0)
            db.session.add(product)
            db.session.commit()
            return product.id

    def slot(self, hours_from_now: float = 26, capacity: int = 10, booked: int = 0) -> int:
        with self.app.app_context():
            start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours_from_now)
            slot = PickupSlot(venue_id=self.venue_id, starts_at=start, ends_at=start + timedelta(hours=1),
                              capacity=capacity, booked=booked)
            db.session.add(slot)
            db.session.commit()
            return slot.id

    def stock(self, product_id: int) -> tuple[int, int]:
        with self.app.app_context():
            record = db.session.get(StockRecord, db.session.get(Product, product_id).stock.id)
            return record.on_hand, record.allocated

    def booked(self, slot_id: int) -> int:
        with self.app.app_context():
            return db.session.get(PickupSlot, slot_id).booked


@pytest.fixture
def world(app, make_user):  # type: ignore[no-untyped-def]
    return World(app, make_user)


@pytest.fixture
def no_dispatch(app, monkeypatch):  # type: ignore[no-untyped-def]
    """Outbox rows are written but not published (tests that read the outbox table)."""
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", False)
