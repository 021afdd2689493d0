"""Fixtures for the order-notice tests: the orders `world` factory, and a two-shop town with staff."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from shopapp.catalog.models import Shop
from shopapp.extensions import db
from shopapp.venue.models import Venue
from tests.orders.conftest import World, no_dispatch  # noqa: F401 - no_dispatch: the fixture, reused


@pytest.fixture
def world(app, make_user):  # type: ignore[no-untyped-def]
    return World(app, make_user)


@dataclass
class Town:
    world: World
    resident_id: int
    shop_a: int
    shop_b: int
    bread: int
    croissant: int
    cheese: int
    slot: int


@pytest.fixture
def town(app, world, make_user) -> Town:  # type: ignore[no-untyped-def]
    """A venue with a map position, two shops (A: a keeper and a shop address; B: a keeper who reads
    English), their products, a slot tomorrow, and a resident."""
    with app.app_context():
        venue = db.session.get_one(Venue, world.venue_id)
        venue.latitude, venue.longitude = 48.8566, 2.3522
        db.session.commit()
    shop_a = world.shop("Boulangerie Aurore", keeper="aurore@example.org")
    shop_b = world.shop("Fromagerie Basile", keeper="basile@example.org")
    with app.app_context():
        db.session.get_one(Shop, shop_a).email = "boutique-aurore@example.org"
        from sqlalchemy import select

        from shopapp.accounts.models import User

        basile = db.session.scalar(select(User).where(User.email == "basile@example.org"))
        basile.locale = "en"
        db.session.commit()
    bread = world.product(shop_a, "Baguette tradition", price_cents=130, stock=50)
    croissant = world.product(shop_a, "Croissant", price_cents=110, stock=50)
    cheese = world.product(shop_b, "Comté 18 mois", price_cents=690, stock=50, unit="250 g")
    resident = make_user(email="nina@example.org", name="Nina")
    return Town(world, resident, shop_a, shop_b, bread, croissant, cheese, world.slot(hours_from_now=30))


def body(message: Any, kind: str = "plain") -> str:
    return str(message.get_body((kind,)).get_content())


def attachments(message: Any) -> dict[str, Any]:
    return {part.get_filename(): part for part in message.iter_attachments()}


def subject(message: Any) -> str:
    # The stdlib folds an all-ASCII subject just over 78 columns right after "Subject:", so the parsed
    # value starts with a space (a quirk of email.policy.default, not of the notice).
    return str(message["Subject"]).strip()
