"""Checkout fixtures: the orders `world`, localstripe and the Connect fake (shared with payments)."""

from __future__ import annotations

from tests.orders.conftest import no_dispatch, world  # noqa: F401 - fixtures reused as they are
from tests.payments.conftest import (  # noqa: F401
    connect_fake,
    localstripe,
    localstripe_server,
    stripe_requests,
)
