"""Animation fixtures: the orders `world` (venue, shops, products, slots) plus animations built in it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shopapp.core.clock import utcnow
from shopapp.extensions import db
from tests.orders.conftest import World, no_dispatch  # noqa: F401  (fixtures re-exported)

PARIS = ZoneInfo("Europe/Paris")


class Animations:
    """Builds committed animations and reads their counters back."""

    def __init__(self, app: Any, world: World, make_user: Any):
        self.app = app
        self.world = world
        self.make_user = make_user
        self._venue_staff: int | None = None

    @property
    def staff_id(self) -> int:
        if self._venue_staff is None:
            self._venue_staff = self.make_user(email="venue@example.org", name="Équipe du lieu", roles=("venue",))
        return self._venue_staff

    def make(self, title: str = "Dégustation de comtés", *, starts_at: datetime | None = None,
             hours: float = 2, capacity: int = 10, kind: str = "tasting", audience: str = "everyone",
             shop_ids: tuple[int, ...] = (), product_ids: tuple[int, ...] = (), publish: bool = True) -> int:
        from shopapp.animations import services
        from shopapp.core.transaction import commit

        start = starts_at or utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=26)
        with self.app.app_context():
            animation = services.create_animation(services.AnimationData(
                title=title, kind=kind, starts_at=start, ends_at=start + timedelta(hours=hours), capacity=capacity,
                audience=audience, shop_ids=list(shop_ids), product_ids=list(product_ids),
                description="Venez goûter."), actor_id=self.staff_id)
            if publish:
                services.publish_animation(animation.id, actor_id=self.staff_id)
            animation_id = animation.id
            commit()
        return animation_id

    def seats_taken(self, animation_id: int) -> int:
        from shopapp.animations.models import Animation

        with self.app.app_context():
            return db.session.get(Animation, animation_id).seats_taken

    def registrations(self, animation_id: int) -> list[tuple[int, int, str]]:
        """(user_id, seats, status) by registration id."""
        from sqlalchemy import select

        from shopapp.animations.models import Registration

        with self.app.app_context():
            rows = db.session.scalars(select(Registration).where(Registration.animation_id == animation_id)
                                      .order_by(Registration.id))
            return [(r.user_id, r.seats, r.status) for r in rows]

    def outbox(self, task_name: str) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from shopapp.core.outbox import OutboxJob

        with self.app.app_context():
            return [job.payload for job in db.session.scalars(
                select(OutboxJob).where(OutboxJob.task_name == task_name).order_by(OutboxJob.id))]


@pytest.fixture
def world(app, make_user):  # type: ignore[no-untyped-def]
    return World(app, make_user)


@pytest.fixture
def animations(app, world, make_user):  # type: ignore[no-untyped-def]
    return Animations(app, world, make_user)


def call(app: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a service and commit; on a domain error roll back and return the error."""
    from shopapp.core.transaction import commit
    from shopapp.errors import DomainError

    with app.app_context():
        try:
            value = fn(*args, **kwargs)
            result = getattr(value, "status", None) or getattr(value, "id", value)
            commit()
            return result
        except DomainError as error:
            db.session.rollback()
            return error
