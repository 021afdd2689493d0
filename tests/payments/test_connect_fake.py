"""Tests of the Stripe Connect FAKE (tests/support/stripe_connect_fake.py) itself.

What is faked and why: localstripe has no Connect endpoints (accounts, account links, transfers,
reversals), so payouts talk to this small fake instead. These tests pin the parts of Stripe's documented
behaviour that our payout code depends on — Idempotency-Key replay and mismatch, its 24-hour expiry,
listing by transfer_group, and the refusal to reverse more than the unreversed amount — so the fake
cannot drift into accepting what Stripe refuses.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.stripe_connect_fake import StripeConnectFake


@pytest.fixture
def fake() -> Iterator[StripeConnectFake]:
    server = StripeConnectFake().start()
    yield server
    server.stop()


def call(fake: StripeConnectFake, method: str, path: str, params: dict[str, str] | None = None,
         key: str | None = None, api_key: str = "sk_test_fake") -> tuple[int, dict[str, Any]]:
    data = urllib.parse.urlencode(params or {}).encode() if method == "POST" else None
    url = fake.api_base + path + ("?" + urllib.parse.urlencode(params or {}) if method == "GET" and params else "")
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    request.add_header("Authorization", f"Bearer {api_key}")
    if key:
        request.add_header("Idempotency-Key", key)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_binds_to_loopback_only(fake: StripeConnectFake) -> None:
    assert fake.api_base.startswith("http://127.0.0.1:")


def test_refuses_requests_without_a_test_key(fake: StripeConnectFake) -> None:
    status, body = call(fake, "GET", "/v1/transfers", api_key="nope")
    assert status == 401 and body["error"]["type"] == "invalid_request_error"


def test_same_key_other_body_is_an_idempotency_error(fake: StripeConnectFake) -> None:
    account = fake.add_account()
    params = {"amount": "100", "currency": "eur", "destination": account}
    assert call(fake, "POST", "/v1/transfers", params, key="k")[0] == 200
    status, body = call(fake, "POST", "/v1/transfers", {**params, "amount": "101"}, key="k")
    assert status == 400 and body["error"]["type"] == "idempotency_error"
    assert len(fake.transfers) == 1


def test_expired_key_creates_a_second_transfer(fake: StripeConnectFake) -> None:
    account = fake.add_account()
    params = {"amount": "100", "currency": "eur", "destination": account}
    first = call(fake, "POST", "/v1/transfers", params, key="k")[1]
    fake.expire_idempotency_keys()
    second = call(fake, "POST", "/v1/transfers", params, key="k")[1]
    assert first["id"] != second["id"]  # what Stripe does after 24 hours: the payout code must look first


def test_unknown_destination_is_refused(fake: StripeConnectFake) -> None:
    status, body = call(fake, "POST", "/v1/transfers", {"amount": "100", "currency": "eur", "destination": "acct_x"})
    assert status == 400 and body["error"]["code"] == "resource_missing"
    assert fake.transfers == []


def test_list_filters_by_group_newest_first_with_pagination(fake: StripeConnectFake) -> None:
    account = fake.add_account()
    ids = []
    for n in (1, 2, 3):
        group = "g2" if n == 2 else "g1"
        params = {"amount": str(n), "currency": "eur", "destination": account, "transfer_group": group}
        ids.append(call(fake, "POST", "/v1/transfers", params)[1]["id"])
    status, page = call(fake, "GET", "/v1/transfers", {"transfer_group": "g1", "limit": "1"})
    assert status == 200 and [t["id"] for t in page["data"]] == [ids[2]] and page["has_more"] is True
    _, rest = call(fake, "GET", "/v1/transfers", {"transfer_group": "g1", "starting_after": ids[2]})
    assert [t["id"] for t in rest["data"]] == [ids[0]] and rest["has_more"] is False


def test_reversal_beyond_unreversed_amount_is_400_and_changes_nothing(fake: StripeConnectFake) -> None:
    account = fake.add_account()
    transfer = call(fake, "POST", "/v1/transfers", {"amount": "500", "currency": "eur", "destination": account})[1]
    assert call(fake, "POST", f"/v1/transfers/{transfer['id']}/reversals", {"amount": "400"})[0] == 200
    status, body = call(fake, "POST", f"/v1/transfers/{transfer['id']}/reversals", {"amount": "101"})
    assert status == 400 and body["error"]["param"] == "amount"
    _, now = call(fake, "GET", f"/v1/transfers/{transfer['id']}")
    assert now["amount_reversed"] == 400 and now["reversed"] is False
