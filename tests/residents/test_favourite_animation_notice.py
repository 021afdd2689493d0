"""The optional notice when a favourite shop announces an animation: only residents who asked for it,
once per animation, with the RFC 8058 one-click unsubscribe of optional e-mails."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from shopapp.animations import notices as animation_notices
from shopapp.animations import services as animations
from shopapp.catalog.models import FavouriteShop
from shopapp.core.clock import utcnow
from shopapp.core.outbox import OutboxJob
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.notices import services as notices
from tests.worker.conftest import body


@pytest.fixture(autouse=True)
def _no_dispatch(app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", False)


def _announce(app, shop_id, venue_user):  # type: ignore[no-untyped-def]
    with app.app_context():
        start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=5)
        animation = animations.create_animation(animations.AnimationData(
            title="Atelier pain au levain", kind="cooking_workshop", starts_at=start,
            ends_at=start + timedelta(hours=2), capacity=12, shop_ids=[shop_id]), actor_id=venue_user)
        animations.publish_animation(animation.id, actor_id=venue_user)
        animation_id = animation.id
        commit()
        return animation_id


def test_residents_who_asked_are_told_once_with_one_click_unsubscribe(app, world, make_user, mail_outbox):  # type: ignore[no-untyped-def]
    bakery = world.shop("Boulangerie Aurore")
    other_shop = world.shop("Fromagerie")
    venue_user = make_user(email="lieu@example.org", roles=("venue",))
    fan = make_user(email="fan@example.org", name="Camille")
    silent_fan = make_user(email="discret@example.org")
    elsewhere = make_user(email="ailleurs@example.org")
    with app.app_context():
        db.session.add_all([FavouriteShop(user_id=fan, shop_id=bakery),
                            FavouriteShop(user_id=silent_fan, shop_id=bakery),
                            FavouriteShop(user_id=elsewhere, shop_id=other_shop)])
        notices.set_preferences(fan, set(notices.OPTIONAL_KINDS))  # what the account page's boxes say
        notices.set_preferences(elsewhere, {"favourite_shop_animation"})
        commit()
        assert notices.wants(silent_fan, "favourite_shop_animation") is False  # opt-in: off until asked

    animation_id = _announce(app, bakery, venue_user)
    with app.app_context():
        jobs = [job.payload for job in db.session.scalars(
            select(OutboxJob).where(OutboxJob.task_name == animations.FAVOURITE_SHOP_ANIMATION_TASK))]
        assert jobs == [{"animation_id": animation_id}]
        assert animation_notices.send_favourite_shop_animation(animation_id) == 1
        assert animation_notices.send_favourite_shop_animation(animation_id) == 0

    [message] = mail_outbox()
    assert message["To"] == "fan@example.org"
    assert message["Subject"] == "Nouvelle animation : Atelier pain au levain"
    assert "Boulangerie Aurore, parmi vos boutiques favorites" in body(message)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"].strip("<>")
    assert link in body(message)

    response = FlaskClient(app, app.response_class, use_cookies=False).post(
        urlsplit(link).path, data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    with app.app_context():
        assert notices.wants(fan, "favourite_shop_animation") is False
        assert notices.wants(fan, "slot_reminder") is True
