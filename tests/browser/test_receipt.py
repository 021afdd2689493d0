"""A resident's receipt on a 360 px phone: reached from the order page, axe-core clean, nothing scrolls
sideways but its tables (each in its own focusable scroll region), and the PDF link is there."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in, run_axe, screenshot, too_wide
from tests.orders.conftest import World
from tests.payments.test_receipts import _collect, _order

pytestmark = pytest.mark.browser


@pytest.fixture
def world(app, make_user) -> World:  # type: ignore[no-untyped-def]
    return World(app, make_user)


def test_the_receipt_page_at_360_px_is_accessible(app, world, make_user, live_server, page):  # type: ignore[no-untyped-def]
    o = _order(app, world, make_user)
    _collect(app, o)
    page.set_viewport_size({"width": 360, "height": 780})
    log_in(page, live_server, "alice@example.org")
    page.goto(f"{live_server}/mes-commandes/{o['order']}")
    page.get_by_role("link", name="Voir le reçu").click()
    page.wait_for_url(f"**/mes-commandes/{o['order']}/recu")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Reçu de la commande")
    assert page.get_by_role("link", name="Télécharger le reçu (PDF)").is_visible()
    assert too_wide(page, "receipt") == []
    screenshot(page, "receipt-360")
    violations = run_axe(page)
    assert violations == [], [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in violations]
