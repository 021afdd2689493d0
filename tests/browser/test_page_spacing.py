"""Page titles keep a breathing space below the header, on a phone and on a tablet (they used to sit glued
to it: the layout's side padding overrode the main area's top padding)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [{"width": 360, "height": 780}, {"width": 1024, "height": 768}])
@pytest.mark.parametrize("path", ["/", "/produits", "/connexion", "/agenda"])
def test_the_title_is_not_glued_to_the_header(live_server, page, viewport, path):
    page.set_viewport_size(viewport)
    page.goto(live_server + path)

    header_bottom = page.evaluate("document.querySelector('header').getBoundingClientRect().bottom")
    title_top = page.evaluate("document.querySelector('main h1').getBoundingClientRect().top")

    assert title_top - header_bottom >= 16
