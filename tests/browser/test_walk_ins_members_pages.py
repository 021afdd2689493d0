"""The walk-in form (also showing its error), the member list, the occupancy page and the empty public
impact page in Chromium at phone width: axe-core finds nothing serious, nothing scrolls sideways."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shopapp.animations.models import Animation
from shopapp.core.clock import utcnow
from shopapp.extensions import db
from tests.association.test_members import members  # noqa: F401 - fixture
from tests.browser.conftest import log_in, page_problems, screenshot

pytestmark = pytest.mark.browser


def _problems(page, path: str) -> list[str]:  # type: ignore[no-untyped-def]
    return page_problems(page, path)


def test_new_pages_pass_axe_at_phone_width(app, members, make_user, live_server, page):  # noqa: F811
    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    with app.app_context():
        animation = Animation(title="Dégustation de comtés", kind="tasting", starts_at=start,
                              ends_at=start + timedelta(hours=2), capacity=2, status="published")
        db.session.add(animation)
        db.session.commit()
        animation_id = animation.id
    make_user(email="admin@example.org", roles=("admin",))
    page.set_viewport_size({"width": 360, "height": 780})
    problems: list[str] = []

    page.goto(live_server + "/impact")
    problems += _problems(page, "/impact")
    screenshot(page, "impact-no-figures-yet")

    log_in(page, live_server, "admin@example.org")
    edit = f"/lieu/animations/{animation_id}"
    page.goto(live_server + edit)
    page.fill("#seats", "3")
    with page.expect_navigation():  # the form posts and the answer replaces the page
        page.click("text=Faire entrer")
    assert "Plus assez de places" in page.content()
    problems += _problems(page, edit + " (error)")
    screenshot(page, "walk-in-refused")
    page.fill("#seats", "2")
    page.fill("#name", "Famille Roux")
    with page.expect_navigation():  # posted, then redirected back to the animation's page
        page.click("text=Faire entrer")
    page.wait_for_load_state()
    assert "Famille Roux" in page.content()
    problems += _problems(page, edit)
    screenshot(page, "walk-in-recorded")

    for path in ["/association/membres", "/lieu/frequentation?semaine=2025-03-10", "/lieu/frequentation"]:
        page.goto(live_server + path)
        problems += _problems(page, path)
        screenshot(page, "venue" + path.replace("/", "-").replace("?", "-").replace("=", "-"))

    assert problems == []
