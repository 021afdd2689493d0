"""axe-core on every page each role can reach, at phone width, in Debian's Chromium.

The crawler starts at the home page, follows same-site links breadth-first (one page per URL shape:
`/produits/12` and `/produits/13` count once), and runs axe-core (WCAG 2.1 A/AA + best practices)
on each. A serious or critical violation fails the test; moderate/minor ones are only allowed when
listed in ALLOWED_MINOR with the reason. It also checks, on every page, that nothing scrolls sideways
at 360 px, that buttons, fields and navigation links are at least 44 px, and that the page weighs
under 100 KB without its images.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest

from shopapp.core.transaction import commit
from shopapp.dev import demo_data
from shopapp.dev.seed import DEMO_PASSWORD, seed_demo
from tests.browser.conftest import log_in, run_axe, screenshot, too_wide

pytestmark = pytest.mark.browser

MAX_PAGES_PER_ROLE = 30
SKIP = re.compile(r"/deconnexion|/static/|/media/|\.(png|jpe?g|webp|svg|ics|csv|pdf|json)$|/api/")
# Moderate findings we accept, each with its reason (none at present).
ALLOWED_MINOR: dict[str, str] = {}

MAX_PAGE_BYTES = 100_000
# Buttons, fields and navigation links at least 44 px both ways (a checkbox counts with its label row);
# links inside running text are exempt, as in WCAG 2.5.5.
SMALL_TARGETS_JS = """() => {
  const bad = [];
  for (const el of document.querySelectorAll(
      'button, input:not([type=hidden]), select, textarea, .button, nav a')) {
    let box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      const row = el.closest('.check, label, li, div');
      if (row) box = row.getBoundingClientRect();
    }
    if (box.height < 43.5 || box.width < 43.5) bad.push(el.outerHTML.slice(0, 90));
  }
  return bad;
}"""
# What a page costs without its images: the document plus its style sheets and scripts.
WEIGHT_JS = """() => {
  const doc = performance.getEntriesByType('navigation')[0];
  const rest = performance.getEntriesByType('resource').filter(e => e.initiatorType !== 'img'
      && !/\\.(png|jpe?g|webp|gif|svg)(\\?|$)/.test(e.name));
  return (doc ? doc.decodedBodySize : 0) + rest.reduce((sum, e) => sum + e.decodedBodySize, 0);
}"""

ROLES = {
    "anonymous": None,
    "resident": "resident@example.org",
    "shopkeeper": f"{demo_data.SHOPS[1]['slug']}@example.org",
    "venue": "venue@example.org",
    "admin": "admin@example.org",
}


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def _crawl(page, base: str) -> list[tuple[str, list[dict]]]:  # type: ignore[no-untyped-def]
    seen_shapes: set[str] = set()
    queue = deque(["/"])
    results = []
    while queue and len(results) < MAX_PAGES_PER_ROLE:
        path = queue.popleft()
        shape = _shape(urlsplit(path).path)
        if shape in seen_shapes:
            continue
        seen_shapes.add(shape)
        response = page.goto(base + path)
        if response is None or response.status >= 400 or not response.headers.get("content-type", "").startswith(
            "text/html"
        ):
            continue
        violations = run_axe(page)
        violations += [{"id": "horizontal-scroll", "impact": "serious", "help": problem, "nodes": []}
                       for problem in too_wide(page, path)]
        small = page.evaluate(SMALL_TARGETS_JS)
        if small:
            violations.append({"id": "touch-target-44px", "impact": "serious", "help": "smaller than 44 px",
                               "nodes": [{"target": html} for html in small]})
        weight = page.evaluate(WEIGHT_JS)
        if weight > MAX_PAGE_BYTES:
            violations.append({"id": "page-weight", "impact": "serious", "help": f"{weight} bytes without images",
                               "nodes": []})
        results.append((path, violations))
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            target = urldefrag(href)[0]
            if target.startswith(base):
                target = target[len(base):]
            if target.startswith("/") and not target.startswith("//") and not SKIP.search(target):
                queue.append(target)
    return results


@pytest.mark.parametrize("role", list(ROLES))
def test_every_reachable_page_passes_axe(app, live_server, page, role):
    with app.app_context():
        seed_demo()
        commit()
    page.set_viewport_size({"width": 360, "height": 780})
    if ROLES[role]:
        log_in(page, live_server, ROLES[role], DEMO_PASSWORD)

    results = _crawl(page, live_server)

    assert len(results) >= 2, "the crawler found too few pages"
    problems = [
        f"{path}: {v['id']} ({v['impact']}) — {v['help']} — {[n.get('target') for n in v['nodes'][:3]]}"
        for path, violations in results
        for v in violations
        if v["impact"] in ("serious", "critical") or v["id"] not in ALLOWED_MINOR
    ]
    assert problems == []


@pytest.mark.parametrize("width", [360, 1280])
def test_screenshots_of_the_main_pages(app, live_server, page, width):
    with app.app_context():
        seed_demo()
        commit()
    page.set_viewport_size({"width": width, "height": 900})
    for name, path in [("home", "/"), ("login", "/connexion"), ("signup", "/inscription")]:
        page.goto(live_server + path)
        assert screenshot(page, f"{name}-{width}").stat().st_size > 1000
