"""prefers-reduced-motion is respected: with the system setting "reduce" (emulated in Chromium), no
element or pseudo-element has a running transition or animation, while the same pages do animate
their buttons otherwise (so the check can fail)."""

from __future__ import annotations

import pytest

from tests.orders.conftest import World

pytestmark = pytest.mark.browser

# The longest transition or running animation duration (seconds) over every element and its ::before/::after.
LONGEST_MOTION_JS = """() => {
  const seconds = list => Math.max(0, ...list.split(',')
    .map(v => parseFloat(v) * (v.trim().endsWith('ms') ? 0.001 : 1)));
  let longest = {seconds: 0, what: ''};
  for (const el of document.querySelectorAll('*')) {
    for (const pseudo of [null, '::before', '::after']) {
      const s = getComputedStyle(el, pseudo);
      const found = [['transition', seconds(s.transitionDuration)],
                     ['animation', s.animationName === 'none' ? 0 : seconds(s.animationDuration)]];
      for (const [kind, duration] of found) {
        if (duration > longest.seconds)
          longest = {seconds: duration,
                     what: `${kind} of ${duration}s on ${el.tagName.toLowerCase()}.${el.className}${pseudo || ''}`};
      }
    }
  }
  return longest;
}"""


def test_no_transition_or_animation_when_reduced_motion_is_asked(app, make_user, live_server, page):
    world = World(app, make_user)
    world.product(world.shop("Fromagerie Lucas", preparation_minutes=60), "Comté fruité", 890, stock=5)
    pages = ["/", "/produits", "/connexion", "/panier"]

    page.emulate_media(reduced_motion="no-preference")
    for path in pages:
        page.goto(live_server + path)
        assert page.evaluate(LONGEST_MOTION_JS)["seconds"] > 0, (
            f"{path} has no transition: the check below proves nothing"
        )

    page.emulate_media(reduced_motion="reduce")
    for path in pages:
        page.goto(live_server + path)
        assert page.evaluate("matchMedia('(prefers-reduced-motion: reduce)').matches")
        longest = page.evaluate(LONGEST_MOTION_JS)
        assert longest["seconds"] == 0, f"{path}: {longest['what']}"
        button = page.locator(".button").first
        assert button.evaluate("el => getComputedStyle(el).transitionDuration") == "0s"
        assert page.evaluate("getComputedStyle(document.documentElement).scrollBehavior") == "auto"
