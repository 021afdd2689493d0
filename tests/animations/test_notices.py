"""Animation notices through the real worker and SMTP server, each sent once per registrant."""

from __future__ import annotations

import icalendar
from sqlalchemy import func, select

from shopapp.animations import notices, registrations, services
from shopapp.core.outbox import OutboxJob
from shopapp.extensions import db
from tests.animations.conftest import call
from tests.support.clock import local, next_clock_change
from tests.support.waiting import wait_for
from tests.worker.conftest import attachments, body, subject


def _all_done(app) -> bool:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(func.count(OutboxJob.id)).where(OutboxJob.status != "done")) == 0


def test_registration_is_confirmed_with_an_ics_in_local_time(app, animations, make_user, celery_worker, smtp_server):
    starts_at = local(next_clock_change(10), 10)  # the morning after the clocks went back
    animation = animations.make("Atelier pain", starts_at=starts_at, hours=2,
                                kind="cooking_workshop")
    ana = make_user(email="ana@example.org", name="Ana")

    call(app, registrations.register, animation, ana, 2)

    wait_for(lambda: len(smtp_server.messages) == 1 and _all_done(app), timeout=40)
    (message,) = smtp_server.to("ana@example.org")
    assert subject(message) == "Inscription confirmée : Atelier pain"
    assert "Votre inscription à « Atelier pain » est confirmée (2 places)." in body(message)
    ics = icalendar.Calendar.from_ical(attachments(message)["animation.ics"].get_content())
    (event,) = ics.walk("VEVENT")
    assert event.decoded("dtstart") == starts_at
    assert str(event["dtstart"].params["TZID"]) == "Europe/Paris"
    assert event.decoded("dtend").utcoffset().total_seconds() == 3600


def test_cancelling_an_animation_tells_every_registrant_once(app, animations, make_user, celery_worker,
                                                             smtp_server):
    animation = animations.make("Défilé", capacity=2)
    users = [make_user(email=f"{n}@example.org", name=n) for n in ("ana", "bob", "cleo", "dan")]
    for user in users:
        call(app, registrations.register, animation, user, 1)   # ana, bob registered; cleo, dan waiting
    call(app, registrations.cancel_registration, animation, users[3])  # dan left before the cancellation
    wait_for(lambda: len(smtp_server.messages) == 4 and _all_done(app), timeout=40)

    call(app, services.cancel_animation, animation, actor_id=animations.staff_id)
    wait_for(lambda: len(smtp_server.messages) == 7 and _all_done(app), timeout=40)
    # A redelivered job (or a second run) sends nothing more.
    with app.app_context():
        again = notices.send_cancellation(animation)
        db.session.commit()

    cancelled = [m for m in smtp_server.messages if subject(m) == "Animation annulée : Défilé"]
    assert sorted(str(m["To"]) for m in cancelled) == ["ana@example.org", "bob@example.org", "cleo@example.org"]
    assert again == 0


def test_a_promoted_resident_is_told(app, animations, make_user, celery_worker, smtp_server):
    animation = animations.make("Conférence", capacity=1, kind="short_supply_talk")
    ana, bob = make_user(email="ana@example.org"), make_user(email="bob@example.org", name="Bob")
    call(app, registrations.register, animation, ana, 1)
    call(app, registrations.register, animation, bob, 1)

    call(app, registrations.cancel_registration, animation, ana)

    wait_for(lambda: len(smtp_server.to("bob@example.org")) == 2 and _all_done(app), timeout=40)
    subjects = sorted(subject(m) for m in smtp_server.to("bob@example.org"))
    assert subjects == ["Liste d'attente : Conférence", "Une place s'est libérée : Conférence"]


def test_reminders_are_queued_once_per_animation_and_respect_preferences(app, animations, make_user, no_dispatch,
                                                                        mail_outbox):
    from datetime import timedelta

    from shopapp.core.clock import utcnow
    from shopapp.core.transaction import commit
    from shopapp.notices.services import set_preferences

    soon = animations.make("Demain", starts_at=utcnow() + timedelta(hours=20))
    animations.make("Plus tard", starts_at=utcnow() + timedelta(days=3))
    ana, bob = make_user(email="ana@example.org"), make_user(email="bob@example.org")
    call(app, registrations.register, soon, ana, 1)
    call(app, registrations.register, soon, bob, 1)
    with app.app_context():
        set_preferences(bob, set())  # Bob opted out of reminders
        commit()

    with app.app_context():
        first, second = notices.queue_reminders(), notices.queue_reminders()
        commit()
        sent = notices.send_reminders(soon)
        commit()
        again = notices.send_reminders(soon)
        commit()

    assert (first, second) == (1, 0)
    assert animations.outbox("animations.send_reminders") == [{"animation_id": soon}]
    assert (sent, again) == (1, 0)
    assert [str(m["To"]) for m in mail_outbox()] == ["ana@example.org"]
