"""The six order notices end to end: service → outbox → broker → real Celery worker → real SMTP server.

Runs on the suite's backend (kombu's SQLAlchemy transport on SQLite, or Redis).
"""

from __future__ import annotations

from datetime import datetime

import icalendar
from sqlalchemy import func, select

from shopapp.core.clock import as_utc
from shopapp.core.outbox import OutboxJob
from shopapp.extensions import db
from shopapp.notices.models import NoticeLog
from shopapp.orders import fulfilment
from shopapp.orders.models import Order, OrderPart
from shopapp.templating import format_local
from tests.orders.services import call, checkout, fill_basket
from tests.support.waiting import drain, wait_for
from tests.worker.conftest import attachments, body, subject


def _all_done(app) -> bool:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.remove()
        open_jobs = db.session.scalar(select(func.count(OutboxJob.id)).where(OutboxJob.status != "done"))
        return open_jobs == 0


def _order(app, order_id: int) -> tuple[str, str, datetime]:  # type: ignore[no-untyped-def]
    with app.app_context():
        order = db.session.get_one(Order, order_id)
        return order.number, order.pickup_code, order.pickup_slot.starts_at


def _parts(app, order_id: int) -> dict[int, int]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return {p.shop_id: p.id for p in db.session.scalars(select(OrderPart).where(OrderPart.order_id == order_id))}


def _local(app, moment: datetime) -> str:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        return format_local(moment)


def test_checkout_confirms_to_the_resident_and_each_shop_gets_only_its_lines(app, town, celery_worker, smtp_server):
    fill_basket(app, town.resident_id, (town.bread, 2), (town.croissant, 3), (town.cheese, 1))

    order_id = checkout(app, town.resident_id, town.slot)

    wait_for(lambda: len(smtp_server.messages) == 4 and _all_done(app), timeout=40)
    number, code, starts = _order(app, order_id)
    (confirmation,) = smtp_server.to("nina@example.org")
    assert subject(confirmation) == f"Commande {number} confirmée : retrait le {_local(app, starts)}"
    text = body(confirmation)
    assert "Bonjour Nina," in text
    assert f"Code de retrait : {code}" in text
    assert "Lieu de retrait : La Halle Commune, 3 place de la Halle" in text
    assert "https://www.openstreetmap.org/?mlat=48.8566&mlon=2.3522" in text
    assert "2 × Baguette tradition (pièce) — 2,60" in text and "1 × Comté 18 mois (250 g) — 6,90" in text
    assert 'href="https://www.openstreetmap.org/?mlat=48.8566&amp;mlon=2.3522' in body(confirmation, "html")
    invitation = icalendar.Calendar.from_ical(attachments(confirmation)["retrait.ics"].get_content())
    (event,) = invitation.walk("VEVENT")
    assert event.decoded("dtstart") == as_utc(starts)
    assert event["dtstart"].params["TZID"] == "Europe/Paris"
    assert str(event["location"]) == "La Halle Commune, 3 place de la Halle"

    for address in ("aurore@example.org", "boutique-aurore@example.org"):
        (notice,) = smtp_server.to(address)
        assert subject(notice) == f"Nouvelle commande à préparer : {number} (Boulangerie Aurore)"
        shop_text = body(notice)
        assert "2 × Baguette tradition" in shop_text and "3 × Croissant" in shop_text
        assert "Comté" not in shop_text and code not in shop_text
    (cheese_notice,) = smtp_server.to("basile@example.org")
    assert "1 × Comté 18 mois" in body(cheese_notice) and "Baguette" not in body(cheese_notice)
    assert '<html lang="en">' in body(cheese_notice, "html")
    parts = _parts(app, order_id)
    with app.app_context():
        log = db.session.execute(select(NoticeLog.event_key, NoticeLog.recipient, NoticeLog.status)
                                 .order_by(NoticeLog.event_key, NoticeLog.recipient)).all()
    assert sorted(log) == sorted([
        (f"order_confirmed:{order_id}", "nina@example.org", "sent"),
        (f"part_to_prepare:{parts[town.shop_a]}", "aurore@example.org", "sent"),
        (f"part_to_prepare:{parts[town.shop_a]}", "boutique-aurore@example.org", "sent"),
        (f"part_to_prepare:{parts[town.shop_b]}", "basile@example.org", "sent"),
    ])


def test_a_redelivered_confirmation_job_sends_nothing_more(app, town, celery_worker, smtp_server):
    fill_basket(app, town.resident_id, (town.bread, 1))
    checkout(app, town.resident_id, town.slot)
    wait_for(lambda: len(smtp_server.messages) == 3 and _all_done(app), timeout=40)

    with app.app_context():
        for job in db.session.scalars(select(OutboxJob)):
            app.extensions["celery"].send_task(job.task_name, kwargs={**job.payload, "outbox_job_id": job.id})
            app.extensions["celery"].send_task(job.task_name, kwargs=dict(job.payload))
    drain(app.extensions["celery"])

    assert len(smtp_server.messages) == 3


def test_a_rejected_part_tells_the_resident_what_is_no_longer_due(app, town, celery_worker, smtp_server):
    fill_basket(app, town.resident_id, (town.bread, 2), (town.cheese, 1))
    order_id = checkout(app, town.resident_id, town.slot)
    wait_for(lambda: len(smtp_server.messages) == 4, timeout=40)
    parts = _parts(app, order_id)

    call(app, fulfilment.set_part_status, parts[town.shop_b], "rejected", shop_id=town.shop_b, actor_id=None)

    wait_for(lambda: len(smtp_server.to("nina@example.org")) == 2 and _all_done(app), timeout=40)
    number, _, _ = _order(app, order_id)
    rejection = smtp_server.to("nina@example.org")[1]
    assert subject(rejection) == f"Commande {number} : Fromagerie Basile ne peut pas fournir sa part"
    text = body(rejection)
    assert "1 × Comté 18 mois (250 g) — 6,90" in text
    assert "Vous n'aurez pas à payer ces articles (6,90 € de moins)." in text.replace("\u202f", " ").replace(
        "\xa0", " ")
    assert "Nouveau total de la commande : 2,60" in text
    assert len(smtp_server.messages) == 5


def test_the_ready_order_sends_the_pickup_code_and_its_qr_code(app, town, celery_worker, smtp_server):
    fill_basket(app, town.resident_id, (town.bread, 1))
    order_id = checkout(app, town.resident_id, town.slot)
    part_id = _parts(app, order_id)[town.shop_a]
    for status in ("preparing", "ready", "at_venue"):
        call(app, fulfilment.set_part_status, part_id, status, shop_id=town.shop_a, actor_id=None)

    wait_for(lambda: len(smtp_server.to("nina@example.org")) == 2 and _all_done(app), timeout=40)
    number, code, _ = _order(app, order_id)
    ready = smtp_server.to("nina@example.org")[1]
    assert subject(ready) == f"Votre commande {number} est prête : code {code}"
    assert f"Code de retrait : {code}" in body(ready)
    assert "À régler au retrait : 1,30" in body(ready)
    html = body(ready, "html")
    assert '<img src="data:image/png;base64,' in html and f'alt="QR code du code de retrait {code}"' in html
    png = attachments(ready)["code-retrait.png"]
    assert png.get_content_type() == "image/png" and png.get_content()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cancelling_tells_the_resident_and_the_shops(app, town, celery_worker, smtp_server):
    fill_basket(app, town.resident_id, (town.bread, 1), (town.cheese, 1))
    order_id = checkout(app, town.resident_id, town.slot)
    wait_for(lambda: len(smtp_server.messages) == 4, timeout=40)

    call(app, fulfilment.cancel_order, order_id, actor_id=town.resident_id, owner_id=town.resident_id)

    wait_for(lambda: len(smtp_server.messages) == 8 and _all_done(app), timeout=40)
    number, _, _ = _order(app, order_id)
    assert subject(smtp_server.to("nina@example.org")[1]) == f"Commande {number} annulée"
    notice = smtp_server.to("aurore@example.org")[1]
    assert subject(notice) == f"Commande {number} annulée : ne pas préparer (Boulangerie Aurore)"
    in_english = smtp_server.to("basile@example.org")[1]  # Basile reads English
    assert number in subject(in_english) and '<html lang="en">' in body(in_english, "html")
    assert "Comté" not in body(smtp_server.to("aurore@example.org")[1])


def test_a_no_show_tells_the_resident_and_each_shop(app, town, celery_worker, smtp_server):
    from datetime import timedelta

    from shopapp.core.clock import utcnow

    fill_basket(app, town.resident_id, (town.bread, 1), (town.cheese, 2))
    order_id = checkout(app, town.resident_id, town.slot)
    parts = _parts(app, order_id)
    for shop_id, part_id in parts.items():
        for status in ("preparing", "ready", "at_venue"):
            call(app, fulfilment.set_part_status, part_id, status, shop_id=shop_id, actor_id=None)
    wait_for(lambda: len(smtp_server.messages) == 5, timeout=40)  # 1 + 3 to prepare + ready

    call(app, fulfilment.mark_no_shows, now=utcnow() + timedelta(days=3))

    wait_for(lambda: len(smtp_server.messages) == 9 and _all_done(app), timeout=40)
    number, _, _ = _order(app, order_id)
    assert subject(smtp_server.to("nina@example.org")[2]) == f"Commande {number} non retirée"
    bread = smtp_server.to("aurore@example.org")[1]
    assert subject(bread) == f"Commande {number} non retirée : articles à reprendre (Boulangerie Aurore)"
    assert "1 × Baguette tradition" in body(bread) and "Comté" not in body(bread)
    cheese = smtp_server.to("basile@example.org")[1]  # in English
    assert number in subject(cheese) and "Fromagerie Basile" in subject(cheese)
    assert "2 × Comté 18 mois" in body(cheese) and "Baguette" not in body(cheese)


def test_smtp_refusing_for_a_while_is_retried_then_delivered_once(app, town, celery_worker, smtp_server):
    smtp_server.refuse_next(2)
    fill_basket(app, town.resident_id, (town.cheese, 1))

    checkout(app, town.resident_id, town.slot)

    wait_for(lambda: len(smtp_server.messages) == 2 and _all_done(app), timeout=60)
    assert smtp_server.refused == 2
    assert len(smtp_server.to("nina@example.org")) == 1
    assert len(smtp_server.to("basile@example.org")) == 1
    with app.app_context():
        assert db.session.scalars(select(NoticeLog.status)).all() == ["sent", "sent"]
