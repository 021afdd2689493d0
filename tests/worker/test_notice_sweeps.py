"""Reminders and digests found by periodic sweeps, run twice at once; the low-stock alert; the .ics
across daylight-saving changes. Mail goes to the outbox folder (the delivery path is covered elsewhere).
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select

from shopapp.catalog import stock
from shopapp.catalog.stock import LOW_STOCK_TASK, StockLine
from shopapp.checkout import services as checkout_services
from shopapp.core.clock import as_utc, utcnow
from shopapp.core.outbox import OutboxJob
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.notices import services as notices
from shopapp.notices.models import NoticeLog
from shopapp.orders import fulfilment, reminders
from shopapp.orders import notices as order_notices
from shopapp.orders.events import EVENT_TASKS, ORDER_CONFIRMED_TASK
from shopapp.orders.models import Order, OrderPart, PickupSlot
from tests.orders.services import call, checkout, fill_basket
from tests.worker.conftest import attachments, body, subject
from worker.beat import SCHEDULE
from worker.tasks import notices as notice_tasks

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def _no_dispatch(app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", False)


def _logged(app) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.remove()
        return [tuple(row) for row in db.session.execute(  # type: ignore[misc]
            select(NoticeLog.event_key, NoticeLog.recipient, NoticeLog.status).order_by(NoticeLog.id))]


def _task(app, name: str):  # type: ignore[no-untyped-def]
    # By name on this app's Celery: a module-level shared_task proxy follows whichever Celery app was
    # created last (another test's app, on another database).
    return app.extensions["celery"].tasks[name]


def _twice_at_once(app, task) -> list[int]:  # type: ignore[no-untyped-def]
    """Run a periodic task in two threads started together (each with its own session)."""
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(task())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    return results


def _order_with_slot_in(app, town, minutes: int) -> int:  # type: ignore[no-untyped-def]
    fill_basket(app, town.resident_id, (town.bread, 1), (town.cheese, 1))
    order_id = checkout(app, town.resident_id, town.slot)
    with app.app_context():
        order = db.session.get_one(Order, order_id)
        slot = db.session.get_one(PickupSlot, order.pickup_slot_id)
        slot.starts_at = utcnow() + timedelta(minutes=minutes)
        slot.ends_at = slot.starts_at + timedelta(hours=1)
        order.created_at = utcnow() - timedelta(days=1)
        db.session.commit()
    return order_id


def test_every_notice_task_and_schedule_is_registered(app):
    registered = set(app.extensions["celery"].tasks)

    assert {entry["task"] for entry in SCHEDULE.values()} <= registered
    assert set(EVENT_TASKS) | {LOW_STOCK_TASK} <= registered
    assert {"notices.send_slot_reminders", "notices.send_uncollected_reminders", "notices.send_daily_digests",
            "outbox.sweep", "orders.mark_no_shows", "orders.generate_slots"} <= {e["task"] for e in SCHEDULE.values()}


def test_slot_reminder_run_twice_at_once_sends_one_reminder(app, town, mail_outbox):
    order_id = _order_with_slot_in(app, town, 90)

    results = _twice_at_once(app, _task(app, notice_tasks.SLOT_REMINDERS_TASK))

    assert sum(results) == 1
    assert _logged(app) == [(f"slot_reminder:{order_id}:{town.slot}", "nina@example.org", "sent")]
    (message,) = mail_outbox()
    assert subject(message).startswith("Rappel : retrait de votre commande AMC-")
    assert "Lieu de retrait : La Halle Commune, 3 place de la Halle" in body(message)
    assert _task(app, notice_tasks.SLOT_REMINDERS_TASK)() == 0


def test_an_order_moved_after_its_reminder_is_reminded_of_the_new_slot(app, town, mail_outbox):
    order_id = _order_with_slot_in(app, town, 90)
    with app.app_context():
        assert reminders.send_slot_reminders() == 1
        commit()
        later = PickupSlot(venue_id=db.session.get_one(PickupSlot, town.slot).venue_id, capacity=5,
                           starts_at=utcnow() + timedelta(minutes=110), ends_at=utcnow() + timedelta(minutes=170))
        db.session.add(later)
        commit()
        fulfilment.change_pickup_slot(order_id, later.id, owner_id=town.resident_id)
        commit()
        later_id = later.id
        assert reminders.send_slot_reminders() == 1
        assert reminders.send_slot_reminders() == 0  # and once only
        commit()

    assert _logged(app) == [(f"slot_reminder:{order_id}:{town.slot}", "nina@example.org", "sent"),
                            (f"slot_reminder:{order_id}:{later_id}", "nina@example.org", "sent")]
    assert [subject(m).startswith("Rappel : retrait") for m in mail_outbox()] == [True, True]


def test_no_slot_reminder_outside_the_window_or_when_turned_off(app, town, make_user, mail_outbox):
    _order_with_slot_in(app, town, 180)
    with app.app_context():
        assert reminders.send_slot_reminders() == 0
    with app.app_context():
        order = db.session.scalar(select(Order))
        order.pickup_slot.starts_at = utcnow() + timedelta(minutes=60)
        notices.set_preferences(town.resident_id, set())
        db.session.commit()

        assert reminders.send_slot_reminders() == 0
    assert mail_outbox() == [] and _logged(app) == []


def test_uncollected_reminder_run_twice_at_once_sends_one(app, town, mail_outbox):
    order_id = _order_with_slot_in(app, town, 30)
    with app.app_context():
        for part in db.session.scalars(select(OrderPart)).all():
            for status in ("preparing", "ready", "at_venue"):
                fulfilment.set_part_status(part.id, status, shop_id=part.shop_id, actor_id=None)
        order = db.session.get_one(Order, order_id)
        order.pickup_slot.starts_at = utcnow() - timedelta(minutes=90)
        order.pickup_slot.ends_at = utcnow() - timedelta(minutes=30)
        commit()

    results = _twice_at_once(app, _task(app, notice_tasks.UNCOLLECTED_REMINDERS_TASK))

    assert sum(results) == 1
    assert _logged(app) == [(f"uncollected_reminder:{order_id}", "nina@example.org", "sent")]
    (message,) = mail_outbox()
    assert subject(message).startswith("Votre commande AMC-") and "vous attend toujours" in body(message)


def test_daily_digest_run_twice_at_once_sends_one_per_shop_with_its_own_lines(app, town, world, mail_outbox):
    tomorrow = (utcnow().astimezone(PARIS) + timedelta(days=1)).date()
    with app.app_context():
        slot = db.session.get_one(PickupSlot, town.slot)
        slot.starts_at = datetime.combine(tomorrow, time(10), tzinfo=PARIS).astimezone(UTC)
        slot.ends_at = slot.starts_at + timedelta(hours=1)
        db.session.commit()
    fill_basket(app, town.resident_id, (town.bread, 2), (town.cheese, 1))
    checkout(app, town.resident_id, town.slot)

    def digest() -> int:
        with app.app_context():
            sent = reminders.send_daily_digests(day=tomorrow)
            commit()
            return sent

    results = _twice_at_once(app, digest)

    assert sum(results) == 3  # the two runs may share the work, never repeat it
    day = tomorrow.isoformat()
    assert sorted(_logged(app)) == [
        (f"digest:{town.shop_a}:{day}", "aurore@example.org", "sent"),
        (f"digest:{town.shop_a}:{day}", "boutique-aurore@example.org", "sent"),
        (f"digest:{town.shop_b}:{day}", "basile@example.org", "sent"),
    ]
    by_address = {str(m["To"]): m for m in mail_outbox()}
    assert "2 × Baguette tradition" in body(by_address["aurore@example.org"])
    assert "Comté" not in body(by_address["aurore@example.org"])
    assert "1 × Comté 18 mois" in body(by_address["basile@example.org"])
    assert "Baguette" not in body(by_address["basile@example.org"])


def test_digest_waits_for_the_evening_and_honours_staff_preferences(app, town, mail_outbox):
    with app.app_context():
        assert reminders.digest_day(datetime(2027, 3, 27, 15, 59, tzinfo=PARIS)) is None
        assert reminders.digest_day(datetime(2027, 3, 27, 17, 0, tzinfo=PARIS)) == date(2027, 3, 28)
        from shopapp.accounts.models import User

        aurore = db.session.scalar(select(User.id).where(User.email == "aurore@example.org"))
        notices.set_preferences(aurore, set())
        db.session.commit()
    tomorrow = (utcnow().astimezone(PARIS) + timedelta(days=1)).date()
    with app.app_context():
        slot = db.session.get_one(PickupSlot, town.slot)
        slot.starts_at = datetime.combine(tomorrow, time(9), tzinfo=PARIS).astimezone(UTC)
        slot.ends_at = slot.starts_at + timedelta(hours=1)
        db.session.commit()
    fill_basket(app, town.resident_id, (town.bread, 1))
    checkout(app, town.resident_id, town.slot)

    with app.app_context():
        assert reminders.send_daily_digests(day=tomorrow) == 1
        commit()
    assert [str(m["To"]) for m in mail_outbox()] == ["boutique-aurore@example.org"]


def _last_sunday(month: int, after: date) -> date:
    year = after.year if date(after.year, month, 25) > after else after.year + 1
    day = date(year, month, 31)
    while day.weekday() != 6:
        day -= timedelta(days=1)
    return day


@pytest.mark.parametrize("month", [3, 10])
def test_the_invitation_keeps_the_local_time_across_a_daylight_saving_change(app, town, mail_outbox, month):
    sunday = _last_sunday(month, utcnow().date())
    starts = datetime.combine(sunday, time(10, 30), tzinfo=PARIS)
    with app.app_context():
        slot = db.session.get_one(PickupSlot, town.slot)
        slot.starts_at, slot.ends_at = starts.astimezone(UTC), (starts + timedelta(hours=1)).astimezone(UTC)
        db.session.commit()
    fill_basket(app, town.resident_id, (town.bread, 1))
    order_id = checkout(app, town.resident_id, town.slot)

    with app.app_context():
        assert order_notices.send_order_confirmed(order_id, extra_events=()) == 1
        commit()

    (message,) = mail_outbox()
    raw = attachments(message)["retrait.ics"].get_content()
    raw = raw if isinstance(raw, bytes) else raw.encode()
    assert f"DTSTART;TZID=Europe/Paris:{sunday:%Y%m%d}T103000".encode() in raw
    (event,) = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    local_start = event.decoded("dtstart")
    assert (local_start.date(), local_start.hour, local_start.minute) == (sunday, 10, 30)
    assert local_start.utcoffset() == timedelta(hours=2 if month == 3 else 1)
    assert event.decoded("dtend") - local_start == timedelta(hours=1)


def test_the_invitation_carries_the_animations_joined_for_that_slot(app, town, make_user, mail_outbox):
    with app.app_context():
        slot = db.session.get_one(PickupSlot, town.slot)
        starts_at, ends_at = slot.starts_at, slot.ends_at
    staff = make_user(email="lieu@example.org", roles=("venue",))
    joined = call(app, _published_animation, "Dégustation de fromages", starts_at, ends_at, staff)
    call(app, _published_animation, "Atelier pain", starts_at, ends_at, staff)  # during the slot, not joined
    fill_basket(app, town.resident_id, (town.bread, 1))
    order_id = call(app, lambda: checkout_services.submit(checkout_services.SubmitRequest(
        town.resident_id, town.slot, "at_pickup", join_animation_ids=(joined,))).order)

    with app.app_context():
        job_id = db.session.scalar(select(OutboxJob.id).where(OutboxJob.task_name == ORDER_CONFIRMED_TASK))
    # The real task, from this app's Celery (another test may have made a different app current).
    app.extensions["celery"].tasks[ORDER_CONFIRMED_TASK].apply(
        kwargs={"order_id": order_id, "outbox_job_id": job_id}).get()

    (message,) = mail_outbox()
    calendar = icalendar.Calendar.from_ical(attachments(message)["retrait.ics"].get_content())
    pickup, animation = calendar.walk("VEVENT")
    assert str(pickup["uid"]).startswith("retrait-")
    assert str(animation["summary"]) == "Dégustation de fromages"
    assert str(animation["uid"]).startswith(f"animation-{joined}@")
    assert animation.decoded("dtstart").astimezone(UTC) == as_utc(starts_at)
    assert "Aussi à votre agenda : Dégustation de fromages" in body(message)
    assert "Atelier pain" not in body(message)


def _published_animation(title: str, starts_at: datetime, ends_at: datetime, staff_id: int) -> int:
    from shopapp.animations import services as animations

    animation = animations.create_animation(animations.AnimationData(
        title=title, kind="tasting", starts_at=starts_at, ends_at=ends_at, capacity=10, audience="everyone",
        description="Venez goûter."), actor_id=staff_id)
    animations.publish_animation(animation.id, actor_id=staff_id)
    return animation.id


def _low_stock_jobs(app) -> list[dict[str, int]]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return [job.payload for job in db.session.scalars(
            select(OutboxJob).where(OutboxJob.task_name == LOW_STOCK_TASK).order_by(OutboxJob.id))]


def test_low_stock_job_once_per_downward_crossing(app, world):
    shop = world.shop("Épicerie", keeper="epicier@example.org")
    product = world.product(shop, "Miel", stock=6)  # alert level 3 (default)

    call(app, stock.allocate, [StockLine(product, 2)])  # 6 → 4 available: above
    assert _low_stock_jobs(app) == []
    call(app, stock.allocate, [StockLine(product, 1)])  # 4 → 3: crosses
    call(app, stock.allocate, [StockLine(product, 1)])  # 3 → 2: already below
    call(app, stock.adjust, product, -1, reason="casse")  # 2 → 1: already below
    assert _low_stock_jobs(app) == [{"product_id": product}]

    call(app, stock.adjust, product, 10, reason="livraison")  # 1 → 11: back above
    call(app, stock.adjust, product, -9, reason="inventaire")  # 11 → 2: crosses again
    assert _low_stock_jobs(app) == [{"product_id": product}, {"product_id": product}]


def test_low_stock_notice_goes_to_the_shop_once_per_job(app, world, mail_outbox):
    shop = world.shop("Épicerie", keeper="epicier@example.org")
    product = world.product(shop, "Miel", stock=4)
    call(app, stock.adjust, product, -2, reason="casse")
    with app.app_context():
        job = db.session.scalar(select(OutboxJob).where(OutboxJob.task_name == LOW_STOCK_TASK))
        job_id = job.id
    task = app.extensions["celery"].tasks[LOW_STOCK_TASK]

    task(outbox_job_id=job_id, product_id=product)
    task(outbox_job_id=job_id, product_id=product)
    with app.app_context():
        db.session.get_one(OutboxJob, job_id).status = "published"  # a redelivery after a lost ack
        db.session.commit()
    task(outbox_job_id=job_id, product_id=product)

    (message,) = mail_outbox()
    assert str(message["To"]) == "epicier@example.org"
    assert subject(message) == "Stock bas : Miel (2 disponibles)"
    assert "seuil d'alerte : 3" in body(message)
    assert world.stock(product) == (2, 0)
    with app.app_context():
        assert db.session.get_one(OutboxJob, job_id).is_done
