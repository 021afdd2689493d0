"""Payments fixtures: localstripe (real fake Stripe), the Connect fake, a request recorder, signed events,
and a stand-in for the orders port.

The Stripe tests share one localstripe server per session and must not run in parallel with each other.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import pytest
import stripe

from tests.support.localstripe import LocalStripe
from tests.support.stripe_connect_fake import StripeConnectFake, unflatten

TEST_SECRET_KEY = "sk_test_localstripe"  # not a secret: localstripe accepts any sk_test_ key
TEST_WEBHOOK_SECRET = "whsec_test_payments"


@pytest.fixture(scope="session")
def localstripe_server() -> Iterator[LocalStripe]:
    server = LocalStripe().start()
    yield server
    server.stop()


@pytest.fixture
def localstripe(app, localstripe_server, monkeypatch) -> Iterator[LocalStripe]:  # type: ignore[no-untyped-def]
    """A reset localstripe, and the app configured to talk to it."""
    localstripe_server.reset()
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", localstripe_server.api_base)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", TEST_WEBHOOK_SECRET)
    monkeypatch.setitem(app.config, "STRIPE_LOCALSTRIPE", True)
    monkeypatch.setitem(app.config, "STRIPE_MAX_NETWORK_RETRIES", 0)
    yield localstripe_server


@pytest.fixture
def connect_fake(app, monkeypatch) -> Iterator[StripeConnectFake]:  # type: ignore[no-untyped-def]
    """The Connect fake, with the app's Connect calls pointed at it."""
    fake = StripeConnectFake().start()
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", app.config.get("STRIPE_SECRET_KEY") or TEST_SECRET_KEY)
    monkeypatch.setitem(app.config, "STRIPE_CONNECT_API_BASE", fake.api_base)
    monkeypatch.setitem(app.config, "STRIPE_MAX_NETWORK_RETRIES", 0)
    yield fake
    fake.stop()


@dataclass
class SentRequest:
    method: str
    url: str
    headers: dict[str, str]
    params: dict[str, Any]


class RecordingHTTPClient(stripe.RequestsClient):
    """The SDK's own HTTP client, recording every request it sends (method, URL, headers, form params)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[SentRequest] = []

    def request(self, method, url, headers, post_data=None):  # type: ignore[no-untyped-def,override]
        body = post_data.decode() if isinstance(post_data, bytes) else (post_data or "")
        query = url.split("?", 1)[1] if "?" in url else ""
        params = unflatten(parse_qsl(body or query, keep_blank_values=True))
        self.sent.append(SentRequest(method.upper(), url, dict(headers or {}), params))
        return super().request(method, url, headers, post_data)


@pytest.fixture
def stripe_requests(app, monkeypatch) -> RecordingHTTPClient:  # type: ignore[no-untyped-def]
    recorder = RecordingHTTPClient()
    monkeypatch.setitem(app.extensions, "stripe_http_client", recorder)
    return recorder


def sign(payload: bytes, secret: str = TEST_WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header computed with Stripe's scheme: v1 = HMAC-SHA256(secret, "t.payload")."""
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def event_payload(event_id: str, event_type: str, payment_intent_id: str, status: str = "succeeded") -> bytes:
    return json.dumps({
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "type": event_type,
        "livemode": False,
        "data": {"object": {"id": payment_intent_id, "object": "payment_intent", "status": status}},
    }).encode()


@dataclass
class FakeOrders:
    """Stands in for shopapp.orders behind payments.order_port; records every call."""

    confirm_outcome: str = "confirmed"
    confirmed: list[tuple[str, str, int]] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    parts: dict[int, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def confirm_paid_order(self, order_ref: str, payment_intent_id: str, amount_cents: int) -> Any:
        from shopapp.payments.order_port import ConfirmOutcome

        with self.lock:
            self.confirmed.append((order_ref, payment_intent_id, amount_cents))
        return ConfirmOutcome(self.confirm_outcome)

    def release_unpaid_order(self, order_ref: str) -> bool:
        with self.lock:
            self.released.append(order_ref)
        return True

    def part_facts(self, part_id: int) -> Any:
        from shopapp.errors import NotFoundError

        if part_id not in self.parts:
            raise NotFoundError("no such part")
        return self.parts[part_id]


@pytest.fixture
def fake_orders(monkeypatch) -> FakeOrders:  # type: ignore[no-untyped-def]
    from shopapp.payments import order_port

    fake = FakeOrders()
    monkeypatch.setattr(order_port, "confirm_paid_order", fake.confirm_paid_order)
    monkeypatch.setattr(order_port, "release_unpaid_order", fake.release_unpaid_order)
    monkeypatch.setattr(order_port, "part_facts", fake.part_facts)
    return fake


@pytest.fixture
def make_shop(app):  # type: ignore[no-untyped-def]
    """Factory fixture: make_shop(slug=..., commission_rate_bps=..., stripe_account_id=...) → shop id, committed."""
    from shopapp.catalog.models import Shop
    from shopapp.core.transaction import commit
    from shopapp.extensions import db

    counter = {"n": 0}

    def make(**fields: Any) -> int:
        counter["n"] += 1
        with app.app_context():
            shop = Shop(slug=f"shop-{counter['n']}", name=f"Boutique {counter['n']}", trade="épicerie", **fields)
            db.session.add(shop)
            db.session.flush()
            shop_id = shop.id
            commit()
        return shop_id

    return make


def pay_on_localstripe(localstripe: LocalStripe, payment_intent_id: str, card: str = "4242424242424242",
                       authenticate: bool | None = True) -> str:
    """What the customer's browser does with Stripe.js: attach a card, confirm, pass 3-D Secure if asked.

    Returns the intent's final status on localstripe (a declined card leaves `requires_payment_method`).
    """
    client = stripe.StripeClient(TEST_SECRET_KEY, base_addresses={"api": localstripe.api_base}, max_network_retries=0)
    method = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": card, "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    )
    client.v1.payment_intents.update(payment_intent_id, params={"payment_method": method.id})
    try:
        intent = client.v1.payment_intents.confirm(payment_intent_id)
    except stripe.CardError:
        return str(client.v1.payment_intents.retrieve(payment_intent_id).status)
    if intent.status == "requires_action" and authenticate is not None:
        return authenticate_on_localstripe(localstripe, payment_intent_id, success=authenticate)
    return str(client.v1.payment_intents.retrieve(payment_intent_id).status)


def authenticate_on_localstripe(localstripe: LocalStripe, payment_intent_id: str, success: bool = True) -> str:
    """The customer passes (or fails) the 3-D Secure challenge, as localstripe's Stripe.js stand-in does."""
    import urllib.parse
    import urllib.request

    client = stripe.StripeClient(TEST_SECRET_KEY, base_addresses={"api": localstripe.api_base}, max_network_retries=0)
    intent = client.v1.payment_intents.retrieve(payment_intent_id)
    data = urllib.parse.urlencode({"client_secret": intent.client_secret, "success": str(success).lower(),
                                   "key": "pk_test_localstripe"}).encode()
    url = f"{localstripe.api_base}/v1/payment_intents/{payment_intent_id}/_authenticate"
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=5):  # noqa: S310
        pass
    return str(client.v1.payment_intents.retrieve(payment_intent_id).status)
