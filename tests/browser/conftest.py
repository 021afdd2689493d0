"""Browser fixtures: the real app served on 127.0.0.1 in a thread, and Playwright driving Debian's Chromium.

`playwright install` cannot run here: the browser is Debian's `chromium`, found on PATH. Without it the
browser tests skip with a clear message, except under REQUIRE_BROWSER=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = _chromium()
    if executable is None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but no Chromium found (apt-get install chromium chromium-driver)")
        pytest.skip("no Chromium on this machine: install Debian's chromium to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def live_server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app under test on a free port of 127.0.0.1; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(browser, request) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A fresh browser context (phone-sized unless the test resizes it) with French as its language."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        try:
            tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failure.png"), timeout=5_000)
        except Exception as exc:  # a failure screenshot must not hide the failure itself
            print(f"failure screenshot not taken: {exc!r}")
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


AXE_SOURCE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def run_axe(page: Any, *, exclude: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Run axe-core (the npm package) in the page; returns its violations (WCAG 2.1 A/AA rules).
    `exclude`: CSS selectors of parts that are not the app's own markup (a third party's widget)."""
    if not AXE_SOURCE.exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("axe-core missing: run `npm ci` (make install does)")
        pytest.skip("axe-core not installed (npm ci)")
    page.evaluate(AXE_SOURCE.read_text())
    result = page.evaluate(
        "async (exclude) => await axe.run(exclude.length ? {exclude: exclude.map(s => [s])}"
        " : document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})",
        list(exclude),
    )
    return list(result["violations"])


WIDER_THAN_SCREEN = """() => {
  const width = window.innerWidth;
  const over = document.documentElement.scrollWidth - width;
  if (over <= 1) return null;
  const culprits = [...document.body.querySelectorAll('*')]
    .filter(el => el.getBoundingClientRect().right > width + 1)
    .filter(el => !el.closest('[hidden]') && getComputedStyle(el).visibility !== 'hidden')
    .slice(0, 3).map(el => el.outerHTML.slice(0, 100));
  return {over, culprits};
}"""


def too_wide(page: Any, name: str) -> list[str]:
    """The page must not scroll sideways: [] if it fits the screen, else one problem naming what sticks out.
    Measured once the page has loaded and its layout has settled (up to 2 s), so that a layout still being
    computed is not taken for a page that is too wide; a page that stays too wide is reported."""
    from playwright.sync_api import TimeoutError as StillTooWide

    page.wait_for_load_state("load")
    try:
        page.wait_for_function("document.documentElement.scrollWidth - window.innerWidth <= 1", timeout=2_000)
        return []
    except StillTooWide:
        found = page.evaluate(WIDER_THAN_SCREEN)
    return [] if found is None else [f"{name}: {found['over']}px too wide ({found['culprits']})"]


def page_problems(page: Any, name: str, *, exclude: tuple[str, ...] = (), serious_only: bool = False) -> list[str]:
    """What a resident on a phone would meet: axe-core's violations, and a page that scrolls sideways."""
    found = [f"{name}: {v['id']} ({v['impact']}) {[n.get('target') for n in v['nodes'][:3]]}"
             for v in run_axe(page, exclude=exclude)
             if not serious_only or v["impact"] in ("serious", "critical")]
    return found + too_wide(page, name)


def log_in(page: Any, base: str, email: str, password: str = "motdepasse1") -> None:
    """Log in through the real form, and wait for the page it leads to."""
    page.goto(base + "/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/connexion" not in url)


def confirm_at_pickup(page: Any, slot_id: int, join: tuple[int, ...] = ()) -> str:
    """On the checkout page: the slot (and the animations to join with it), payment at pickup, the terms,
    confirm; returns the pickup code the order page shows."""
    page.locator(f"#slot-{slot_id}").check()
    for animation_id in join:
        page.locator(f"#join-{slot_id}-{animation_id}").check()
    page.get_by_label("Au retrait, à la Halle (carte ou espèces)").check()
    page.get_by_label("J'accepte les conditions générales de vente").check()
    page.get_by_role("button", name="Confirmer la commande").click()
    return page.locator("#pickup-code").inner_text().strip()
