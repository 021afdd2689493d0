"""Checkout: one order split per shop, snapshots, atomic stock and slot, idempotency, races."""

from __future__ import annotations

import threading
from functools import partial

import pytest
from sqlalchemy import func, select

from shopapp.core.outbox import OutboxJob
from shopapp.core.transaction import commit
from shopapp.errors import InsufficientStock, SlotFull
from shopapp.extensions import db
from shopapp.orders.models import Basket, BasketLine, Order, OrderEvent
from shopapp.orders.placement import CheckoutRequest, place_order
from tests.orders.services import call, checkout, fill_basket
from tests.support.races import at_once


def test_checkout_splits_one_order_into_one_part_per_shop_with_snapshots(app, world, make_user, no_dispatch):
    baker = world.shop("Boulangerie Aurore")
    cheese = world.shop("Fromagerie Lucas")
    bread = world.product(baker, "Baguette", 120, stock=10)
    comte = world.product(cheese, "Comté 18 mois", 2890, stock=4, unit="kg", vat_rate_bp=550)
    slot = world.slot()
    user = make_user(email="suzanne@example.org")
    fill_basket(app, user, (bread, 3), (comte, 1))

    order_id = checkout(app, user, slot)

    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.payment_method, order.payment_status) == ("confirmed", "at_pickup", "due")
        assert order.total_cents == 3 * 120 + 2890
        assert len(order.pickup_code) == 6
        assert [(p.shop.name, p.status, p.subtotal_cents) for p in order.parts] == [
            ("Boulangerie Aurore", "received", 360), ("Fromagerie Lucas", "received", 2890)]
        line = order.parts[1].lines[0]
        assert (line.name, line.unit, line.unit_price_cents, line.vat_rate_bp, line.quantity) == (
            "Comté 18 mois", "kg", 2890, 550, 1)
        assert db.session.scalar(select(func.count(BasketLine.id))) == 0
        assert [(e.from_status, e.to_status) for e in order.events] == [(None, "confirmed")]
        tasks = sorted(db.session.scalars(select(OutboxJob.task_name)))
        # The comté falls from 4 to 3 available, its shop's alert level: one low-stock alert.
        assert tasks == ["notices.low_stock", "notices.order_confirmed", "notices.part_to_prepare",
                         "notices.part_to_prepare"]
    assert world.stock(bread) == (10, 3)
    assert world.stock(comte) == (4, 1)
    assert world.booked(slot) == 1


def test_price_change_before_checkout_is_used_and_snapshot_stays_after(app, world, make_user):
    from shopapp.catalog.models import Product

    shop = world.shop()
    bread = world.product(shop, "Baguette", 120)
    user = make_user()
    fill_basket(app, user, (bread, 2))
    with app.app_context():
        db.session.get(Product, bread).price_cents = 130
        db.session.commit()

    order_id = checkout(app, user, world.slot())
    with app.app_context():
        db.session.get(Product, bread).price_cents = 150
        db.session.commit()

    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.total_cents, order.parts[0].lines[0].unit_price_cents) == (260, 130)


def test_same_idempotency_key_returns_the_same_order(app, world, make_user):
    shop = world.shop()
    bread = world.product(shop, stock=10)
    slot = world.slot()
    user = make_user()
    fill_basket(app, user, (bread, 2))

    first = checkout(app, user, slot, key="k-123")
    fill_basket(app, user, (bread, 1))
    second = checkout(app, user, slot, key="k-123")

    assert first == second
    with app.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == 1
    assert world.stock(bread) == (10, 2)
    assert world.booked(slot) == 1


def test_a_slot_that_filled_up_meanwhile_is_refused_and_nothing_changes(app, world, make_user):
    shop = world.shop()
    bread = world.product(shop, stock=10)
    slot = world.slot(capacity=1)
    first, second = make_user(), make_user()
    fill_basket(app, first, (bread, 1))
    fill_basket(app, second, (bread, 2))
    checkout(app, first, slot)

    error = call(app, place_order, CheckoutRequest(second, slot, "at_pickup"))

    assert isinstance(error, SlotFull) and error.code == "slot_full"
    assert "vient d'être complet" in error.message
    assert world.stock(bread) == (10, 1)
    assert world.booked(slot) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == 1
        basket = db.session.scalar(select(Basket).where(Basket.user_id == second))
        assert [(line.product_id, line.quantity) for line in basket.lines] == [(bread, 2)]


def test_slot_too_soon_for_the_longest_preparation_time_is_refused(app, world, make_user):
    quick = world.shop("Primeur", preparation_minutes=30)
    slow = world.shop("Traiteur", preparation_minutes=300)
    apple = world.product(quick, "Pomme")
    pie = world.product(slow, "Tourte")
    slot = world.slot(hours_from_now=3)
    user = make_user()
    fill_basket(app, user, (apple, 1), (pie, 1))

    error = call(app, place_order, CheckoutRequest(user, slot, "at_pickup"))

    assert isinstance(error, SlotFull) and error.code == "slot_too_soon"
    assert world.stock(pie) == (10, 0)
    assert world.booked(slot) == 0


def test_card_payment_is_refused_until_payments_arrive(app, world, make_user):
    shop = world.shop()
    bread = world.product(shop)
    slot = world.slot()
    user = make_user()
    fill_basket(app, user, (bread, 1))

    error = call(app, place_order, CheckoutRequest(user, slot, "card"))

    assert error.code == "payment_unavailable" and error.status == 422
    assert world.stock(bread) == (10, 0)


def test_card_order_starts_pending_payment_with_holds(app, world, make_user, no_dispatch):
    shop = world.shop()
    bread = world.product(shop)
    slot = world.slot()
    user = make_user()
    fill_basket(app, user, (bread, 2))

    order_id = call(app, lambda: place_order(CheckoutRequest(user, slot, "card"), card_enabled=True).order)

    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.payment_status) == ("pending_payment", "pending")
        assert db.session.scalar(select(func.count(OutboxJob.id))) == 0
    assert world.stock(bread) == (10, 2)
    assert world.booked(slot) == 1


def _race(app, buyers, slot):  # type: ignore[no-untyped-def]
    """Each buyer checks out their basket into `slot`, all at the same moment; the sorted outcomes."""
    return at_once(app, [partial(place_order, CheckoutRequest(user, slot, "at_pickup", f"race-{user}"))
                         for user in buyers])


def test_twenty_four_buyers_race_for_five_units_exactly_five_sold(app, world, make_user, no_dispatch):
    baker = world.shop("Boulangerie")
    cheese = world.shop("Fromagerie")
    last_units = world.product(cheese, "Brie de Meaux", stock=5)
    plenty = world.product(baker, "Baguette", stock=1000)
    slot = world.slot(capacity=100)
    buyers = [make_user(email=f"buyer{i}@example.org") for i in range(24)]
    for user in buyers:
        # Opposite basket orders: lock order must not depend on it.
        if user % 2:
            fill_basket(app, user, (last_units, 1), (plenty, 1))
        else:
            fill_basket(app, user, (plenty, 1), (last_units, 1))

    outcomes = _race(app, buyers, slot)

    assert outcomes.count("ok") == 5
    assert outcomes.count("insufficient_stock") == 19
    assert world.stock(last_units) == (5, 5)
    assert world.stock(plenty) == (1000, 5)
    assert world.booked(slot) == 5
    with app.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == 5


def test_three_shop_baskets_race_for_scarce_stock_and_slot_neither_oversold_nor_overbooked(
        app, world, make_user, no_dispatch):
    # Every basket holds three lines from three shops, in rotating order; one product has 7 units left and
    # the slot 5 places: exactly 5 orders go through, the rest fail whole, and no count goes negative.
    products = [world.product(world.shop(f"Boutique {name}"), name, stock=stock)
                for name, stock in (("Pain", 1000), ("Comté", 7), ("Pommes", 1000))]
    slot = world.slot(capacity=5)
    buyers = [make_user(email=f"three{i}@example.org") for i in range(16)]
    for n, user in enumerate(buyers):
        turn = n % 3
        fill_basket(app, user, *[(product, 1) for product in products[turn:] + products[:turn]])

    outcomes = _race(app, buyers, slot)

    assert not [outcome for outcome in outcomes if outcome.startswith("crash")], outcomes
    assert outcomes.count("ok") == 5
    assert set(outcomes) <= {"ok", "slot_full", "insufficient_stock"}
    assert world.booked(slot) == 5
    assert [world.stock(product) for product in products] == [(1000, 5), (7, 5), (1000, 5)]
    with app.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == 5


def test_slot_capacity_race_never_goes_above_capacity(app, world, make_user, no_dispatch):
    shop = world.shop()
    bread = world.product(shop, stock=1000)
    slot = world.slot(capacity=3)
    buyers = [make_user(email=f"slot{i}@example.org") for i in range(20)]
    for user in buyers:
        fill_basket(app, user, (bread, 2))

    outcomes = _race(app, buyers, slot)

    assert outcomes.count("ok") == 3
    assert outcomes.count("slot_full") == 17
    assert world.booked(slot) == 3
    assert world.stock(bread) == (1000, 6)


def test_double_submit_racing_with_the_same_key_makes_one_order(app, world, make_user, no_dispatch):
    shop = world.shop()
    bread = world.product(shop, stock=10)
    slot = world.slot()
    user = make_user()
    fill_basket(app, user, (bread, 2))
    barrier = threading.Barrier(6)
    ids: list[int] = []

    def submit() -> None:
        with app.app_context():
            barrier.wait()
            result = place_order(CheckoutRequest(user, slot, "at_pickup", "same-key"))
            ids.append(result.order.id)
            commit()
            db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(ids) == 6 and len(set(ids)) == 1
    assert world.stock(bread) == (10, 2)
    assert world.booked(slot) == 1


def test_insufficient_stock_at_checkout_rolls_back_everything(app, world, make_user):
    shop = world.shop()
    plenty = world.product(shop, "Baguette", stock=10)
    scarce = world.product(shop, "Croissant", stock=2)
    slot = world.slot()
    first, second = make_user(), make_user()
    fill_basket(app, first, (scarce, 2))
    fill_basket(app, second, (plenty, 3), (scarce, 1))
    checkout(app, first, slot)

    error = call(app, place_order, CheckoutRequest(second, slot, "at_pickup"))

    assert isinstance(error, InsufficientStock)
    assert error.fields["product_id"] == str(scarce) and "Croissant" in error.message
    assert world.stock(plenty) == (10, 0)
    assert world.booked(slot) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(OrderEvent.id))) == 1


@pytest.mark.parametrize("payment_method", ["cheque", ""])
def test_unknown_payment_method_is_invalid(app, world, make_user, payment_method):
    shop = world.shop()
    bread = world.product(shop)
    user = make_user()
    fill_basket(app, user, (bread, 1))

    error = call(app, place_order, CheckoutRequest(user, world.slot(), payment_method))

    assert error.status == 422
