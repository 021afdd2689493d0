"""Text zoomed to 200 % without loss (WCAG 1.4.4), in Debian's Chromium.

Text-only zoom is emulated by setting the root font size to 200 % (what a browser's "zoom text only"
or a large default font does): every rem/em-sized box grows, the viewport does not. On each main page,
for each role, at 1280 px (a desktop) and 360 px (a phone), the test checks that

- the document does not scroll sideways;
- no text is clipped: every text node lies inside each ancestor that hides its overflow, and inside the
  window horizontally, unless an ancestor scrolls (a wide table in its own scroll box stays readable);
  no element holding text hides part of its content (overflow hidden with scrollWidth > clientWidth);
- the banner, the main content and the footer do not overlap, and no landmark's content spills out
  (but a wide table and the header's menu row on a phone scroll sideways in their own box).

Deliberately hidden text (`.visually-hidden`, the skip link before it is focused) is left out.
"""

from __future__ import annotations

import re

import pytest

from tests.animations.conftest import Animations
from tests.browser.conftest import confirm_at_pickup, log_in, screenshot
from tests.orders.conftest import World

pytestmark = pytest.mark.browser

ZOOM_JS = "() => { document.documentElement.style.fontSize = '200%'; }"

# Returns a list of human-readable problems for the page as it is displayed.
LOSS_JS = r"""() => {
  const problems = [];
  const root = document.documentElement;
  const width = root.clientWidth;
  if (root.scrollWidth > width + 1) problems.push(`page scrolls sideways: ${root.scrollWidth}px for ${width}px`);
  const hidden = '.visually-hidden, .skip-link';
  const text = node => node.textContent.trim().slice(0, 40);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: n => n.textContent.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT });
  const seen = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!el || el.closest(hidden) || el.closest('script, style, noscript, title, option')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || el.getClientRects().length === 0) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const box of range.getClientRects()) {
      if (box.width === 0 || box.height === 0) continue;
      let scrolls = false;
      for (let a = el; a && a !== root; a = a.parentElement) {
        const s = getComputedStyle(a);
        const clipsX = s.overflowX !== 'visible', clipsY = s.overflowY !== 'visible';
        if (!clipsX && !clipsY) continue;
        if (['auto', 'scroll'].includes(s.overflowX) || ['auto', 'scroll'].includes(s.overflowY)) {
          scrolls = true;
          break;
        }
        const r = a.getBoundingClientRect();
        const out = (clipsX && (box.left < r.left - 1 || box.right > r.right + 1))
                 || (clipsY && (box.top < r.top - 1 || box.bottom > r.bottom + 1));
        if (out) {
          const key = a.outerHTML.slice(0, 80) + node.textContent.trim().slice(0, 30);
          if (!seen.has(key)) {
            seen.add(key);
            problems.push(`text clipped by ${a.tagName.toLowerCase()}.${a.className}: "${text(node)}"`);
          }
          break;
        }
      }
      if (!scrolls && (box.left < -1 || box.right > width + 1)) {
        problems.push(`text outside the window: "${text(node)}" (${Math.round(box.left)}–${Math.round(box.right)}px)`);
        break;
      }
    }
  }
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest(hidden) || !el.textContent.trim() || el.getClientRects().length === 0) continue;
    const s = getComputedStyle(el);
    if (['hidden', 'clip'].includes(s.overflowX) && el.scrollWidth > el.clientWidth + 1)
      problems.push(`${el.outerHTML.slice(0, 120)} hides ${el.scrollWidth - el.clientWidth}px of its width`);
    if (['hidden', 'clip'].includes(s.overflowY) && el.scrollHeight > el.clientHeight + 1)
      problems.push(`${el.outerHTML.slice(0, 120)} hides ${el.scrollHeight - el.clientHeight}px of its height`);
  }
  const landmarks = ['body > header', 'main', 'body > footer'].map(sel => document.querySelector(sel));
  for (let i = 0; i + 1 < landmarks.length; i++) {
    const [a, b] = [landmarks[i], landmarks[i + 1]];
    if (a && b && a.getBoundingClientRect().bottom > b.getBoundingClientRect().top + 1)
      problems.push(`<${a.tagName.toLowerCase()}> overlaps <${b.tagName.toLowerCase()}>`);
  }
  for (const el of landmarks.filter(Boolean)) {
    const r = el.getBoundingClientRect();
    for (const child of el.querySelectorAll('*')) {
      if (child.closest(hidden) || child.getClientRects().length === 0) continue;
      const c = child.getBoundingClientRect();
      const spills = c.bottom > r.bottom + 1 || c.right > r.right + 1;
      if (c.width && c.height && spills && !child.closest('.table-scroll, .nav-scroll')) {
        problems.push(`${child.outerHTML.slice(0, 120)} spills out of <${el.tagName.toLowerCase()}>`);
        break;
      }
    }
  }
  return problems;
}"""


def _logout(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("width", [1280, 360])
def test_main_pages_keep_all_their_text_at_200_percent(app, make_user, live_server, page, width):
    from shopapp.core.clock import venue_time
    from shopapp.extensions import db
    from shopapp.orders.models import PickupSlot

    world = World(app, make_user)
    cheese = world.shop("Fromagerie Lucas et fils, affineurs", preparation_minutes=60, keeper="cheese@example.org")
    product = world.product(cheese, "Comté fruité affiné dix-huit mois", 1890, stock=5)
    slot = world.slot(hours_from_now=50)
    with app.app_context():
        starts = db.session.get(PickupSlot, slot).starts_at
        slot_day = venue_time(starts).date().isoformat()
    Animations(app, world, make_user).make(
        "Dégustation de comtés et de vins du Jura", starts_at=starts, hours=1, shop_ids=(cheese,), capacity=8
    )
    make_user(email="suzanne@example.org", name="Suzanne Morel")
    page.set_viewport_size({"width": width, "height": 900})
    checked: dict[str, list[str]] = {}

    def check(name: str) -> None:
        page.wait_for_load_state()
        page.evaluate(ZOOM_JS)
        checked[name] = page.evaluate(LOSS_JS)
        if name in ("product", "checkout", "desk-order"):
            screenshot(page, f"zoom200-{name}-{width}")

    page.goto(live_server + "/")
    check("home")
    page.goto(live_server + "/agenda")
    check("agenda")
    log_in(page, live_server, "suzanne@example.org")
    page.goto(live_server + "/produits")
    check("catalog")
    page.goto(live_server + f"/produits/{product}")
    check("product")
    page.get_by_role("button", name="Ajouter au panier").first.click()
    page.get_by_text("Ajouté à votre panier.").wait_for()  # added in place: the page stays
    page.goto(live_server + "/panier")
    check("basket")
    page.goto(live_server + "/commande")
    check("checkout")
    page.evaluate("() => { document.documentElement.style.fontSize = ''; }")
    code = confirm_at_pickup(page, slot)
    check("order")
    page.goto(live_server + "/compte")
    check("account")
    _logout(page)

    log_in(page, live_server, "cheese@example.org")
    page.goto(live_server + "/preparation")
    check("preparation")
    _logout(page)

    log_in(page, live_server, "venue@example.org")
    page.goto(live_server + "/comptoir?date=" + slot_day)
    check("desk")
    page.get_by_role("link", name=re.compile(code)).click()
    check("desk-order")

    lost = [f"{name}: {problem}" for name, problems in checked.items() for problem in problems]
    assert lost == [], "\n".join(lost)
    assert len(checked) == 11
