"""The impact pages in Chromium: axe-core finds nothing, nothing scrolls sideways at 360 px, the report prints."""

from __future__ import annotations

import re

import pytest

from tests.association.test_dashboard import march  # noqa: F401 - fixture
from tests.browser.conftest import log_in, page_problems, screenshot

pytestmark = pytest.mark.browser


def test_impact_pages_pass_axe_at_phone_width(march, make_user, live_server, page):  # noqa: F811 - the imported fixture
    make_user(email="admin@example.org", roles=("admin",))
    page.set_viewport_size({"width": 360, "height": 780})
    log_in(page, live_server, "admin@example.org")
    problems = []
    for path in ["/association/tableau-de-bord?month=2025-03", "/association/rapport/2025-03", "/impact"]:
        page.goto(live_server + path)
        for details in page.locator("details").all():
            details.evaluate("el => el.open = true")
        problems += page_problems(page, path)
        screenshot(page, "impact" + path.replace("/", "-").replace("?", "-"))

    assert problems == []


def test_the_report_prints_on_a4(march, make_user, live_server, page):  # noqa: F811 - the imported fixture
    make_user(email="admin@example.org", roles=("admin",))
    log_in(page, live_server, "admin@example.org")
    page.goto(live_server + "/association/rapport/2025-03")
    page.emulate_media(media="print")

    hidden = page.evaluate("['.site-header', '.site-footer', '.no-print'].map("
                           "s => getComputedStyle(document.querySelector(s)).display)")
    pdf = page.pdf(format="A4")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    screenshot(page, "impact-report-print")

    assert hidden == ["none", "none", "none"]
    assert pdf.startswith(b"%PDF")
    assert 1 <= len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) <= 4
