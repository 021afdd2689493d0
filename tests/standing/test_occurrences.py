"""The beat turns each date of a standing order into one ordinary order: across a daylight-saving change,
with two beats running, and with the stock short or the slot full."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from shopapp.core.clock import utcnow
from shopapp.core.outbox import OutboxJob
from shopapp.dev.invariants import check_invariants
from shopapp.extensions import db
from shopapp.orders.models import Basket
from shopapp.standing.occurrences import OCCURRENCE_NOTICE_TASK
from tests.orders.services import fill_basket
from tests.standing.conftest import (
    beat,
    count_orders,
    day_slots,
    make_standing,
    occurrence_rows,
    orders_of,
    slot_at,
    two_beats_at_once,
)
from tests.support.clock import PARIS, local, next_clock_change


def _notices(app) -> list[dict]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return [job.payload for job in db.session.scalars(
            select(OutboxJob).where(OutboxJob.task_name == OCCURRENCE_NOTICE_TASK))]


@pytest.mark.skipif(
    "faketime" in os.environ.get("LD_PRELOAD", ""),
    reason="two SQLite writers in threads hung under libfaketime in the full `make test-future` run; the test "
           "passes its own clock to every beat, and runs in `make test` on both backends")
@pytest.mark.parametrize("month", [3, 10])
def test_weekly_standing_order_makes_one_order_a_week_across_the_clock_change(app, world, resident, no_dispatch,
                                                                              month):  # type: ignore[no-untyped-def]
    change = next_clock_change(month)  # a Sunday
    saturdays = [change - timedelta(days=1), change + timedelta(days=6), change + timedelta(days=13)]
    for day in saturdays:
        day_slots(app, world, day, range(9, 12))
    bakery = world.shop("Boulangerie Aurore")
    bread = world.product(bakery, "Pain de campagne", 420, stock=20)
    start = local(saturdays[0] - timedelta(days=3), 12)
    standing_id = make_standing(app, resident, [(bread, 2)], slot_at_local(app, saturdays[0], 10), now=start)

    # Two beats at once, every hour, from creation to the day after the third Saturday.
    tick = start
    handled = []
    while tick < local(saturdays[-1] + timedelta(days=1), 12):
        handled.append(two_beats_at_once(app, tick))
        tick += timedelta(hours=1)

    placed = orders_of(app, standing_id)
    assert handled.count([0, 1]) == 3 and all(pair == [0, 0] for pair in handled if pair != [0, 1])
    assert [(when.date(), when.hour, when.minute) for _id, when, _total in placed] == [
        (day, 10, 0) for day in saturdays]
    # Same wall-clock time, one hour apart in UTC on either side of the change.
    offsets = {when.utcoffset() for _id, when, _total in placed}
    assert len(offsets) == 2
    assert [total for _id, _when, total in placed] == [840, 840, 840]
    assert [(day, outcome) for day, outcome, _order, _detail in occurrence_rows(app, standing_id)] == [
        (day, "placed") for day in saturdays]
    assert world.stock(bread) == (20, 6)
    assert _notices(app) == []  # all went as usual: only the ordinary order confirmations
    with app.app_context():
        assert check_invariants() == []


def slot_at_local(app, day, hour):  # type: ignore[no-untyped-def]
    """The id of the slot starting at `hour` local on `day` (made by day_slots)."""
    from shopapp.orders.models import PickupSlot

    with app.app_context():
        return db.session.scalar(select(PickupSlot.id).where(PickupSlot.starts_at == local(day, hour).astimezone(UTC)))


def _soon_slot(app, world, hours: int, **kwargs):  # type: ignore[no-untyped-def]
    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours)
    return slot_at(app, world, start, **kwargs), start


def _midday_slot(app, world, hours: int, **kwargs):  # type: ignore[no-untyped-def]
    """A slot at least `hours` ahead starting between 10:00 and 17:00 local, so that slots two hours
    before and one hour after it fall on the same local day whatever the time the test runs."""
    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours)
    while not 10 <= start.astimezone(PARIS).hour <= 17:
        start += timedelta(hours=1)
    return slot_at(app, world, start, **kwargs), start


def test_two_beats_at_the_same_moment_make_one_order(app, world, resident, no_dispatch):  # type: ignore[no-untyped-def]
    from worker.tasks.standing import place_due_occurrences_task

    bakery = world.shop("Boulangerie Aurore")
    bread = world.product(bakery, "Baguette", 120, stock=10)
    slot_id, _start = _soon_slot(app, world, 8)
    standing_id = make_standing(app, resident, [(bread, 3)], slot_id)
    barrier = threading.Barrier(2)
    results: list[object] = []

    def run() -> None:
        with app.app_context():
            barrier.wait()
            try:
                results.append(place_due_occurrences_task())
            except Exception as exc:
                results.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(results) == [0, 1]  # type: ignore[type-var]
    assert len(orders_of(app, standing_id)) == 1
    assert count_orders(app) == 1
    assert world.stock(bread) == (10, 3)
    assert world.booked(slot_id) == 1
    assert len(occurrence_rows(app, standing_id)) == 1
    with app.app_context():
        assert check_invariants() == []


def test_short_stock_reduces_a_line_and_leaves_a_sold_out_one_out_told_once(app, world, resident, no_dispatch):  # type: ignore[no-untyped-def]
    bakery = world.shop("Boulangerie Aurore")
    bread = world.product(bakery, "Baguette", 120, stock=10)
    croissant = world.product(bakery, "Croissant", 110, stock=10)
    slot_id, _start = _soon_slot(app, world, 8)
    standing_id = make_standing(app, resident, [(bread, 4), (croissant, 2)], slot_id)
    with app.app_context():
        from shopapp.catalog.models import Product

        db.session.get(Product, bread).stock.on_hand = 3
        db.session.get(Product, croissant).stock.on_hand = 0
        db.session.commit()

    now = utcnow()
    assert beat(app, now) == 1
    assert beat(app, now) == 0

    [(order_id, _when, total)] = orders_of(app, standing_id)
    assert total == 3 * 120
    [(_day, outcome, occurrence_order, detail)] = occurrence_rows(app, standing_id)
    assert (outcome, occurrence_order) == ("placed", order_id)
    assert detail["reduced"] == [{"product_id": bread, "name": "Baguette", "wanted": 4, "quantity": 3}]
    assert detail["left_out"] == [{"product_id": croissant, "name": "Croissant", "wanted": 2, "reason": "sold_out"}]
    assert len(_notices(app)) == 1
    assert world.stock(bread) == (3, 3)


def test_nothing_in_stock_makes_no_order_and_is_told(app, world, resident, no_dispatch):  # type: ignore[no-untyped-def]
    bakery = world.shop("Boulangerie Aurore")
    bread = world.product(bakery, "Baguette", 120, stock=10)
    slot_id, _start = _soon_slot(app, world, 8)
    standing_id = make_standing(app, resident, [(bread, 2)], slot_id)
    with app.app_context():
        from shopapp.catalog.models import Product

        db.session.get(Product, bread).stock.on_hand = 0
        db.session.commit()

    assert beat(app, utcnow()) == 1

    assert orders_of(app, standing_id) == []
    assert [row[1:3] for row in occurrence_rows(app, standing_id)] == [("nothing_available", None)]
    assert world.booked(slot_id) == 0
    assert len(_notices(app)) == 1


def test_full_slot_moves_to_the_nearest_open_slot_the_same_day(app, world, resident, no_dispatch):  # type: ignore[no-untyped-def]
    bakery = world.shop("Boulangerie Aurore")
    bread = world.product(bakery, "Baguette", 120, stock=10)
    usual, start = _midday_slot(app, world, 30)
    earlier = slot_at(app, world, start - timedelta(hours=2))
    later = slot_at(app, world, start + timedelta(hours=1))
    standing_id = make_standing(app, resident, [(bread, 1)], usual)
    with app.app_context():
        from shopapp.orders.models import PickupSlot

        slot = db.session.get(PickupSlot, usual)
        slot.booked = slot.capacity
        db.session.commit()

    assert beat(app, start - timedelta(hours=12)) == 1

    [(_order_id, when, _total)] = orders_of(app, standing_id)
    assert when == start + timedelta(hours=1)
    assert (world.booked(later), world.booked(earlier), world.booked(usual)) == (1, 0, 10)
    [(_day, outcome, _order, detail)] = occurrence_rows(app, standing_id)
    assert outcome == "placed" and detail["moved_to"] == (start + timedelta(hours=1)).isoformat()
    assert len(_notices(app)) == 1


def test_no_open_slot_that_day_skips_the_date_and_tells_once(app, world, resident, no_dispatch):  # type: ignore[no-untyped-def]
    bakery = world.shop("Boulangerie Aurore")
    bread = world.product(bakery, "Baguette", 120, stock=10)
    usual, start = _midday_slot(app, world, 30)
    other = slot_at(app, world, start + timedelta(hours=1), capacity=2, booked=2)
    standing_id = make_standing(app, resident, [(bread, 1)], usual)
    with app.app_context():
        from shopapp.orders.models import PickupSlot

        db.session.get(PickupSlot, usual).withdrawn = True
        db.session.commit()

    moment = start - timedelta(hours=12)
    assert beat(app, moment) == 1
    assert beat(app, moment + timedelta(minutes=15)) == 0

    assert orders_of(app, standing_id) == []
    assert [row[1] for row in occurrence_rows(app, standing_id)] == ["no_slot"]
    assert world.stock(bread) == (10, 0) and world.booked(other) == 2
    assert len(_notices(app)) == 1


def test_the_residents_own_basket_is_kept(app, world, resident, no_dispatch):  # type: ignore[no-untyped-def]
    bakery = world.shop("Boulangerie Aurore")
    bread = world.product(bakery, "Baguette", 120, stock=10)
    jam = world.product(bakery, "Confiture", 450, stock=10)
    slot_id, _start = _soon_slot(app, world, 8)
    standing_id = make_standing(app, resident, [(bread, 2)], slot_id)
    fill_basket(app, resident, (jam, 1), (bread, 5))

    beat(app, utcnow())

    [(_order_id, _when, total)] = orders_of(app, standing_id)
    assert total == 240
    with app.app_context():
        basket = db.session.scalar(select(Basket).where(Basket.user_id == resident))
        assert sorted((line.product_id, line.quantity) for line in basket.lines) == sorted([(jam, 1), (bread, 5)])


def test_nothing_is_made_long_before_the_lead_time(app, world, resident, no_dispatch):  # type: ignore[no-untyped-def]
    bakery = world.shop("Boulangerie Aurore")
    bread = world.product(bakery, "Baguette", 120, stock=10)
    slot_id, start = _soon_slot(app, world, 40)
    standing_id = make_standing(app, resident, [(bread, 2)], slot_id)

    assert beat(app, start - timedelta(hours=14)) == 0  # 60 min lead + 12 h margin: not yet
    assert beat(app, start - timedelta(hours=13) + timedelta(minutes=1)) == 1
    assert len(orders_of(app, standing_id)) == 1
    assert datetime.now(UTC) < start


def test_the_resident_who_opted_in_also_gets_one_sms(app, world, resident, no_dispatch, mail_outbox,
                                                    sms_provider):  # type: ignore[no-untyped-def]
    from shopapp.accounts import services as accounts
    from shopapp.standing.notices import send_occurrence_notice

    with app.app_context():
        accounts.set_sms_settings(resident, "+33612345678", True)
        db.session.commit()
    bakery = world.shop("Boulangerie Aurore")
    bread = world.product(bakery, "Baguette", 120, stock=10)
    usual, start = _midday_slot(app, world, 30)
    slot_at(app, world, start + timedelta(hours=1))
    make_standing(app, resident, [(bread, 1)], usual)
    with app.app_context():
        from shopapp.orders.models import PickupSlot

        db.session.get(PickupSlot, usual).withdrawn = True
        db.session.commit()
    beat(app, start - timedelta(hours=12))
    [payload] = _notices(app)

    with app.app_context():
        assert send_occurrence_notice(payload["occurrence_id"]) == 2
        assert send_occurrence_notice(payload["occurrence_id"]) == 0

    [message] = mail_outbox()
    assert "a changé" in " ".join(str(message["Subject"]).split())  # the folded header may keep two spaces
    [sms] = sms_provider.sent
    assert sms.to == "+33612345678" and "votre panier de la semaine" in sms.text and "a changé" in sms.text


def test_the_invariant_check_reports_an_order_no_date_names(app, world, resident, no_dispatch):  # type: ignore[no-untyped-def]
    from shopapp.standing.models import StandingOccurrence

    bakery = world.shop("Boulangerie Aurore")
    bread = world.product(bakery, "Baguette", 120, stock=10)
    slot_id, _start = _soon_slot(app, world, 8)
    standing_id = make_standing(app, resident, [(bread, 1)], slot_id)
    beat(app, utcnow())
    [(order_id, _when, _total)] = orders_of(app, standing_id)
    with app.app_context():
        assert check_invariants() == []
        db.session.scalar(select(StandingOccurrence)).order_id = None
        db.session.commit()

        assert check_invariants() == [
            f"standing order {standing_id}: order {order_id} is named by 0 of its dates (needs 1)"]


def test_a_card_standing_order_while_card_payments_are_off_makes_no_order(app, world, resident, no_dispatch,
                                                                         monkeypatch):  # type: ignore[no-untyped-def]
    from shopapp.standing.models import StandingOrder

    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", None)
    bakery = world.shop("Boulangerie Aurore")
    bread = world.product(bakery, "Baguette", 120, stock=10)
    slot_id, _start = _soon_slot(app, world, 8)
    standing_id = make_standing(app, resident, [(bread, 1)], slot_id)
    with app.app_context():
        db.session.get(StandingOrder, standing_id).payment_method = "card"  # made while cards were on
        db.session.commit()

    assert beat(app, utcnow()) == 1

    assert orders_of(app, standing_id) == []
    [(_day, outcome, _order, detail)] = occurrence_rows(app, standing_id)
    assert (outcome, detail["reason"]) == ("payment_failed", "card_unavailable")
    assert world.stock(bread) == (10, 0) and len(_notices(app)) == 1


def _close_shop_on(app, shop_id: int, slot_id: int) -> str:  # type: ignore[no-untyped-def]
    """The shop stops preparing orders on the slot's (local) weekday; returns that weekday's French name."""
    from shopapp.catalog.models import Shop
    from shopapp.core.clock import as_utc
    from shopapp.orders.models import PickupSlot
    from tests.support.clock import PARIS

    with app.app_context():
        weekday = as_utc(db.session.get(PickupSlot, slot_id).starts_at).astimezone(PARIS).isoweekday()
        db.session.get(Shop, shop_id).opening_days = [d for d in range(1, 8) if d != weekday]
        db.session.commit()
    return ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"][weekday - 1]


def _notice_text(app, mail_outbox) -> str:  # type: ignore[no-untyped-def]
    from shopapp.standing.notices import send_occurrence_notice

    [payload] = _notices(app)
    with app.app_context():
        send_occurrence_notice(payload["occurrence_id"])
    [message] = mail_outbox()
    return " ".join(message.get_body(("plain",)).get_content().split()).replace("\u202f", " ").replace("\xa0", " ")


def test_a_shop_closed_that_weekday_is_left_out_and_the_rest_ordered_told_once(app, world, resident, no_dispatch,
                                                                               mail_outbox):  # type: ignore[no-untyped-def]
    from shopapp.standing import services

    bakery, cheese = world.shop("Boulangerie Aurore"), world.shop("Fromagerie Lucas")
    bread = world.product(bakery, "Baguette", 120, stock=10)
    croissant = world.product(bakery, "Croissant", 110, stock=10)
    comte = world.product(cheese, "Comté", 890, stock=10)
    slot_id, _start = _soon_slot(app, world, 8)
    standing_id = make_standing(app, resident, [(bread, 2), (croissant, 1), (comte, 1)], slot_id)
    weekday = _close_shop_on(app, bakery, slot_id)  # the bakery no longer prepares orders that day

    assert beat(app, utcnow()) == 1
    assert beat(app, utcnow()) == 0

    [(order_id, _when, total)] = orders_of(app, standing_id)
    assert total == 890  # the cheese alone, at the usual slot
    [(_day, outcome, occurrence_order, detail)] = occurrence_rows(app, standing_id)
    assert (outcome, occurrence_order) == ("placed", order_id)
    assert [(x["product_id"], x["reason"], x["shop"]) for x in detail["left_out"]] == [
        (bread, "shop_closed", "Boulangerie Aurore"), (croissant, "shop_closed", "Boulangerie Aurore")]
    assert world.stock(bread) == (10, 0) and world.stock(comte) == (10, 1) and world.booked(slot_id) == 1
    text = _notice_text(app, mail_outbox)
    sentence = (f"« Boulangerie Aurore » ne prépare pas de commandes le {weekday} : ses produits "
                "(Baguette, Croissant) sont laissés de côté cette fois.")
    assert text.count(sentence) == 1 and "épuisé ou plus vendu" not in text
    with app.app_context():
        # Nor does the bakery count that date among the quantities to prepare.
        forecast = services.shop_forecast(bakery)
        assert [row.total for row in forecast.rows] == [0, 0]
        assert check_invariants() == []


def test_every_shop_closed_that_weekday_makes_no_order_and_says_why(app, world, resident, no_dispatch,
                                                                    mail_outbox):  # type: ignore[no-untyped-def]
    bakery = world.shop("Boulangerie Aurore")
    bread = world.product(bakery, "Baguette", 120, stock=10)
    slot_id, _start = _soon_slot(app, world, 8)
    standing_id = make_standing(app, resident, [(bread, 2)], slot_id)
    weekday = _close_shop_on(app, bakery, slot_id)

    assert beat(app, utcnow()) == 1

    assert orders_of(app, standing_id) == []
    assert [row[1:3] for row in occurrence_rows(app, standing_id)] == [("nothing_available", None)]
    text = _notice_text(app, mail_outbox)
    assert f"« Boulangerie Aurore » ne prépare pas de commandes le {weekday} : ses produits (Baguette)" in text


def test_a_changed_date_gets_one_message_that_confirms_the_order_with_its_invitation(
        app, world, resident, no_dispatch, mail_outbox):  # type: ignore[no-untyped-def]
    from shopapp.core import outbox
    from shopapp.orders import events
    from shopapp.orders.models import Order
    from shopapp.orders.notices import send_order_confirmed
    from shopapp.standing.notices import send_occurrence_notice

    bakery = world.shop("Boulangerie Aurore")
    bread = world.product(bakery, "Baguette", 120, stock=10)
    croissant = world.product(bakery, "Croissant", 110, stock=10)
    slot_id, _start = _soon_slot(app, world, 8)
    standing_id = make_standing(app, resident, [(bread, 4), (croissant, 2)], slot_id)
    with app.app_context():
        from shopapp.catalog.models import Product

        db.session.get(Product, croissant).stock.on_hand = 0
        db.session.commit()

    assert beat(app, utcnow()) == 1

    [(order_id, _when, _total)] = orders_of(app, standing_id)
    with app.app_context():
        jobs = [(job.task_name, job.payload) for job in db.session.scalars(select(OutboxJob).order_by(OutboxJob.id))]
        pickup_code = db.session.get(Order, order_id).pickup_code
        assert (events.ORDER_CONFIRMED_TASK, {"order_id": order_id}) not in jobs
        assert [name for name, _payload in jobs].count(events.PART_TO_PREPARE_TASK) == 1  # the shop is told
        # The worker runs every job the resident's notices come from: one e-mail in all.
        for name, payload in jobs:
            if name == events.ORDER_CONFIRMED_TASK:
                send_order_confirmed(payload["order_id"], extra_events=[])
            elif name == OCCURRENCE_NOTICE_TASK:
                send_occurrence_notice(payload["occurrence_id"])
        assert outbox.withdraw(events.ORDER_CONFIRMED_TASK, order_id=order_id) == 0  # committed jobs stay

    [message] = mail_outbox()
    text = " ".join(message.get_body(("plain",)).get_content().split())
    assert "a changé" in " ".join(str(message["Subject"]).split())  # the folded header may keep two spaces
    assert "« Croissant » : pas cette fois" in text and f"Code de retrait : {pickup_code}" in text
    assert "4 × Baguette" in text and "retrait.ics" in text
    [invitation] = [part for part in message.iter_attachments() if part.get_filename() == "retrait.ics"]
    assert "BEGIN:VEVENT" in invitation.get_content() and pickup_code in invitation.get_content()


def test_a_date_that_went_as_usual_gets_the_ordinary_confirmation_only(app, world, resident,
                                                                      no_dispatch):  # type: ignore[no-untyped-def]
    from shopapp.orders import events

    bakery = world.shop("Boulangerie Aurore")
    bread = world.product(bakery, "Baguette", 120, stock=10)
    slot_id, _start = _soon_slot(app, world, 8)
    standing_id = make_standing(app, resident, [(bread, 2)], slot_id)

    assert beat(app, utcnow()) == 1

    [(order_id, _when, _total)] = orders_of(app, standing_id)
    with app.app_context():
        jobs = [(job.task_name, job.payload) for job in db.session.scalars(select(OutboxJob))]
    assert (events.ORDER_CONFIRMED_TASK, {"order_id": order_id}) in jobs and _notices(app) == []
