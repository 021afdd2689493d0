"""Seats within capacity, the waitlist promoted in order, one active registration per resident."""

from __future__ import annotations

import threading

import pytest

from shopapp.animations import registrations
from shopapp.animations.errors import AlreadyRegistered, AnimationClosed
from shopapp.errors import NotFoundError, ValidationFailed
from tests.animations.conftest import call
from tests.conftest import IS_POSTGRES
from tests.support.races import at_once


def test_registration_takes_seats_then_waitlists_when_full(app, animations, make_user, no_dispatch):
    animation = animations.make(capacity=3)
    ana, bob, cleo = (make_user(email=f"{n}@example.org") for n in ("ana", "bob", "cleo"))

    first = call(app, registrations.register, animation, ana, 2)
    second = call(app, registrations.register, animation, bob, 2)
    third = call(app, registrations.register, animation, cleo, 1)

    # Cléo's one seat would fit, but Bob is waiting ahead of her: nobody jumps the queue.
    assert (first, second, third) == ("registered", "waitlisted", "waitlisted")
    assert animations.seats_taken(animation) == 2
    assert len(animations.outbox("animations.registration_confirmed")) == 3


def test_registering_twice_is_refused_and_changes_nothing(app, animations, make_user, no_dispatch):
    animation = animations.make(capacity=5)
    ana = make_user(email="ana@example.org")
    call(app, registrations.register, animation, ana, 1)

    again = call(app, registrations.register, animation, ana, 2)

    assert isinstance(again, AlreadyRegistered)
    assert animations.seats_taken(animation) == 1
    assert animations.registrations(animation) == [(ana, 1, "registered")]
    assert len(animations.outbox("animations.registration_confirmed")) == 1


@pytest.mark.parametrize("seats", [0, 7])
def test_seat_count_is_bounded(app, animations, make_user, seats):
    animation = animations.make(capacity=20)
    ana = make_user(email="ana@example.org")

    assert isinstance(call(app, registrations.register, animation, ana, seats), ValidationFailed)
    assert animations.seats_taken(animation) == 0 and animations.registrations(animation) == []


def test_unpublished_cancelled_or_started_animations_take_no_registration(app, animations, make_user):
    from datetime import timedelta

    from shopapp.animations import services
    from shopapp.core.clock import utcnow

    draft = animations.make("Brouillon", publish=False)
    cancelled = animations.make("Annulée")
    call(app, services.cancel_animation, cancelled, actor_id=animations.staff_id)
    started = animations.make("En cours", starts_at=utcnow() - timedelta(minutes=30))
    ana = make_user(email="ana@example.org")

    assert isinstance(call(app, registrations.register, draft, ana, 1), NotFoundError)
    assert isinstance(call(app, registrations.register, cancelled, ana, 1), NotFoundError)
    assert isinstance(call(app, registrations.register, started, ana, 1), AnimationClosed)
    assert [animations.seats_taken(a) for a in (draft, cancelled, started)] == [0, 0, 0]


def test_cancelling_promotes_the_waitlist_in_order(app, animations, make_user, no_dispatch):
    animation = animations.make(capacity=4)
    users = {n: make_user(email=f"{n}@example.org") for n in ("ana", "bob", "cleo", "dan", "eve")}
    call(app, registrations.register, animation, users["ana"], 3)
    call(app, registrations.register, animation, users["bob"], 1)
    call(app, registrations.register, animation, users["cleo"], 2)  # waits first
    call(app, registrations.register, animation, users["dan"], 1)   # waits second
    call(app, registrations.register, animation, users["eve"], 2)   # waits third

    call(app, registrations.cancel_registration, animation, users["ana"])

    # 3 seats free: Cléo (2) then Dan (1); Eve (2) does not fit and keeps her place in line.
    assert animations.registrations(animation) == [
        (users["ana"], 3, "cancelled"), (users["bob"], 1, "registered"), (users["cleo"], 2, "registered"),
        (users["dan"], 1, "registered"), (users["eve"], 2, "waitlisted")]
    assert animations.seats_taken(animation) == 4
    promoted = [job["registration_id"] for job in animations.outbox("animations.waitlist_promoted")]
    assert len(promoted) == 2

    call(app, registrations.cancel_registration, animation, users["bob"])
    call(app, registrations.cancel_registration, animation, users["dan"])

    assert animations.registrations(animation)[-1] == (users["eve"], 2, "registered")
    assert animations.seats_taken(animation) == 4


def test_cancelling_a_waitlisted_registration_frees_no_seat(app, animations, make_user, no_dispatch):
    animation = animations.make(capacity=1)
    ana, bob = make_user(email="ana@example.org"), make_user(email="bob@example.org")
    call(app, registrations.register, animation, ana, 1)
    call(app, registrations.register, animation, bob, 1)

    call(app, registrations.cancel_registration, animation, bob)

    assert animations.registrations(animation) == [(ana, 1, "registered"), (bob, 1, "cancelled")]
    assert animations.seats_taken(animation) == 1
    assert animations.outbox("animations.waitlist_promoted") == []


def test_cancelling_without_a_registration_is_404(app, animations, make_user):
    animation = animations.make(capacity=1)
    ana = make_user(email="ana@example.org")

    assert isinstance(call(app, registrations.cancel_registration, animation, ana), NotFoundError)


def test_a_larger_capacity_promotes_the_waitlist(app, animations, make_user, no_dispatch):
    from shopapp.animations import services
    from shopapp.extensions import db

    animation = animations.make(capacity=1)
    ana, bob = make_user(email="ana@example.org"), make_user(email="bob@example.org")
    call(app, registrations.register, animation, ana, 1)
    call(app, registrations.register, animation, bob, 1)

    def grow() -> object:
        from shopapp.animations.models import Animation

        current = db.session.get(Animation, animation)
        data = services.AnimationData(title=current.title, kind=current.kind, starts_at=current.starts_at,
                                      ends_at=current.ends_at, capacity=2)
        return services.update_animation(animation, data, actor_id=animations.staff_id)

    call(app, grow)

    assert animations.registrations(animation) == [(ana, 1, "registered"), (bob, 1, "registered")]
    assert animations.seats_taken(animation) == 2


def test_capacity_below_the_seats_taken_is_refused(app, animations, make_user):
    from shopapp.animations import services
    from shopapp.extensions import db

    animation = animations.make(capacity=3)
    call(app, registrations.register, animation, make_user(email="ana@example.org"), 3)

    def shrink() -> object:
        from shopapp.animations.models import Animation

        current = db.session.get(Animation, animation)
        return services.update_animation(animation, services.AnimationData(
            title=current.title, kind=current.kind, starts_at=current.starts_at, ends_at=current.ends_at,
            capacity=2), actor_id=animations.staff_id)

    assert isinstance(call(app, shrink), ValidationFailed)
    assert animations.seats_taken(animation) == 3


def test_seats_are_constrained_in_the_schema(app, animations):
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    from shopapp.animations.models import Animation
    from shopapp.extensions import db

    animation = animations.make(capacity=2)
    with app.app_context():
        with pytest.raises(IntegrityError):
            db.session.execute(update(Animation).values(seats_taken=3))
            db.session.flush()
        db.session.rollback()
    assert animations.seats_taken(animation) == 0


def _race(app, animation: int, user_ids: list[int], seats: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Each resident asks for `seats` seats at the same moment; the sorted registration statuses."""
    return at_once(app, [lambda user_id=user_id: registrations.register(animation, user_id, seats).status
                         for user_id in user_ids])


def test_racing_for_the_last_seats_never_exceeds_capacity(app, animations, make_user, no_dispatch):
    # Real concurrent transactions: PostgreSQL row locks on the conditional UPDATE, SQLite's
    # BEGIN IMMEDIATE serialising the writers. 12 residents want 2 seats each of the last 5.
    animation = animations.make(capacity=5)
    users = [make_user(email=f"r{i}@example.org") for i in range(12)]

    outcomes = _race(app, animation, users, 2)

    assert outcomes == ["registered"] * 2 + ["waitlisted"] * 10
    assert animations.seats_taken(animation) == 4
    statuses = [status for _user, _seats, status in animations.registrations(animation)]
    assert statuses.count("registered") == 2


@pytest.mark.skipif(not IS_POSTGRES, reason="the partial unique index under concurrency: PostgreSQL")
def test_the_same_resident_racing_twice_gets_one_registration(app, animations, make_user, no_dispatch):
    animation = animations.make(capacity=5)
    ana = make_user(email="ana@example.org")
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def attempt() -> None:
        from shopapp.core.transaction import commit
        from shopapp.extensions import db

        with app.app_context():
            barrier.wait()
            try:
                registrations.register(animation, ana, 1)
                commit()
                outcomes.append("ok")
            except AlreadyRegistered:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["ok"] + ["refused"] * 3
    assert animations.seats_taken(animation) == 1
