"""The browser tests' own check for pages that scroll sideways: it must catch a page that stays too wide
and name what sticks out, and let a page pass once its layout has settled within the screen."""

from __future__ import annotations

import pytest

from tests.browser.conftest import too_wide

pytestmark = pytest.mark.browser


def test_a_page_wider_than_the_screen_is_reported_with_what_sticks_out(page):  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 360, "height": 800})
    page.set_content('<body style="margin: 0"><main><p id="wide" style="width: 448px">Un tableau trop large</p></main>')

    problems = too_wide(page, "wide page")

    assert len(problems) == 1
    assert problems[0].startswith("wide page: 88px too wide")
    assert 'id="wide"' in problems[0]


def test_a_layout_that_settles_within_the_screen_is_not_reported(page):  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 360, "height": 800})
    page.set_content('<main><p id="late" style="width: 448px">Bientôt à sa place</p></main>'
                     '<script>setTimeout(() => { document.getElementById("late").style.width = "200px"; }, 300);'
                     '</script>')

    assert too_wide(page, "settling page") == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
