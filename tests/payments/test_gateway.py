"""The Stripe gateway against localstripe (payments) and the Connect fake (transfers), plus the exact
requests the SDK sends, recorded at its HTTP client."""

from __future__ import annotations

import pytest
import stripe

from shopapp.payments import gateway
from tests.payments.conftest import TEST_SECRET_KEY, pay_on_localstripe
from tests.support.localstripe import free_port


def test_payment_intent_params_carry_every_real_stripe_param() -> None:
    params = gateway.payment_intent_params(
        order_ref="AMC-1234", amount_cents=2350, currency="EUR", transfer_group="order:AMC-1234",
        metadata={"order_id": "7"},
    )
    assert params == {
        "amount": 2350,
        "currency": "eur",
        "transfer_group": "order:AMC-1234",
        "description": "Adopte mon commerçant — commande AMC-1234",
        "automatic_payment_methods": {"enabled": True},
        "metadata": {"order_id": "7", "order_ref": "AMC-1234"},
    }


def test_real_stripe_mode_sends_transfer_group_description_and_automatic_methods(
    app, connect_fake, stripe_requests, monkeypatch
):  # type: ignore[no-untyped-def]
    # Given the real-Stripe mode (STRIPE_LOCALSTRIPE off), aimed at a server that answers 404 to it
    monkeypatch.setitem(app.config, "STRIPE_LOCALSTRIPE", False)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", connect_fake.api_base)
    with app.app_context(), pytest.raises(gateway.PaymentRequestRejected):
        gateway.create_payment_intent("AMC-1", 1500, "EUR", "order:AMC-1", {}, "payment_intent:AMC-1")
    # Then the request that left the SDK carried every real parameter and our key
    (sent,) = stripe_requests.sent
    assert sent.method == "POST" and sent.url == f"{connect_fake.api_base}/v1/payment_intents"
    assert sent.params == {
        "amount": "1500", "currency": "eur", "transfer_group": "order:AMC-1",
        "description": "Adopte mon commerçant — commande AMC-1",
        "automatic_payment_methods": {"enabled": "true"}, "metadata": {"order_ref": "AMC-1"},
    }
    assert sent.headers["Idempotency-Key"] == "payment_intent:AMC-1"


def test_localstripe_mode_leaves_out_only_what_localstripe_refuses(app, localstripe, stripe_requests):  # type: ignore[no-untyped-def]
    with app.app_context():
        intent = gateway.create_payment_intent(
            "AMC-2", 1500, "EUR", "order:AMC-2", {"order_id": "2"}, "payment_intent:AMC-2"
        )
    assert intent.status == "requires_payment_method"
    assert intent.amount_cents == 1500 and intent.currency == "EUR" and intent.order_ref == "AMC-2"
    assert intent.client_secret and intent.client_secret.startswith(intent.id)
    (sent,) = stripe_requests.sent
    assert sent.params == {"amount": "1500", "currency": "eur", "metadata": {"order_id": "2", "order_ref": "AMC-2"}}


def test_retrieve_sees_a_payment_made_with_3d_secure(app, localstripe):  # type: ignore[no-untyped-def]
    with app.app_context():
        intent = gateway.create_payment_intent("AMC-3", 990, "EUR", "order:AMC-3", {}, "payment_intent:AMC-3")
        assert pay_on_localstripe(localstripe, intent.id, card="4000002760003184") == "succeeded"
        seen = gateway.retrieve_payment_intent(intent.id)
    assert seen.is_succeeded
    assert seen.amount_received_cents == 990
    assert seen.latest_charge_id and seen.latest_charge_id.startswith("ch_")


def test_refund_on_localstripe(app, localstripe, stripe_requests):  # type: ignore[no-untyped-def]
    with app.app_context():
        intent = gateway.create_payment_intent("AMC-4", 2000, "EUR", "order:AMC-4", {}, "payment_intent:AMC-4")
        pay_on_localstripe(localstripe, intent.id)
        refund = gateway.create_refund(intent.id, 500, "refund:9", {"refund_id": "9"})
    assert refund.status == "succeeded" and refund.amount_cents == 500 and refund.id.startswith("re_")
    sent = stripe_requests.sent[-1]
    assert sent.params == {"payment_intent": intent.id, "amount": "500", "metadata": {"refund_id": "9"}}
    assert sent.headers["Idempotency-Key"] == "refund:9"


def test_unreachable_stripe_is_retryable(app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setitem(app.config, "STRIPE_MAX_NETWORK_RETRIES", 0)
    with app.app_context(), pytest.raises(gateway.RetryablePaymentError):
        gateway.retrieve_payment_intent("pi_nothing")


def test_unknown_intent_is_terminal(app, localstripe):  # type: ignore[no-untyped-def]
    with app.app_context(), pytest.raises(gateway.PaymentRequestRejected):
        gateway.retrieve_payment_intent("pi_doesnotexist")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (stripe.APIConnectionError("down"), gateway.RetryablePaymentError),
        (stripe.RateLimitError("slow down", http_status=429), gateway.RetryablePaymentError),
        (stripe.APIError("oops", http_status=500), gateway.RetryablePaymentError),
        (stripe.APIError("gone", http_status=404), gateway.PaymentRequestRejected),
        (stripe.CardError("declined", "card", "card_declined", http_status=402), gateway.PaymentDeclined),
        (stripe.InvalidRequestError("bad", "amount", http_status=400), gateway.PaymentRequestRejected),
        (stripe.IdempotencyError("reused", http_status=400), gateway.PaymentRequestRejected),
    ],
)
def test_stripe_errors_are_sorted_into_retryable_and_terminal(error: Exception, expected: type[Exception]) -> None:
    with pytest.raises(expected), gateway._stripe_errors():
        raise error


def test_authentication_errors_are_not_hidden() -> None:
    with pytest.raises(stripe.AuthenticationError), gateway._stripe_errors():
        raise stripe.AuthenticationError("bad key", http_status=401)


def test_card_payments_need_a_key(app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", None)
    with app.app_context(), pytest.raises(gateway.GatewayNotConfigured):
        gateway.retrieve_payment_intent("pi_x")


def test_transfer_request_and_idempotent_replay(app, connect_fake, stripe_requests):  # type: ignore[no-untyped-def]
    account = connect_fake.add_account()
    with app.app_context():
        first = gateway.create_transfer(900, "EUR", account, "order:AMC-5", "ch_123", "transfer:5", {"part_id": "5"})
        again = gateway.create_transfer(900, "EUR", account, "order:AMC-5", "ch_123", "transfer:5", {"part_id": "5"})
    assert again == first
    assert len(connect_fake.transfers) == 1
    sent = stripe_requests.sent[0]
    assert sent.url == f"{connect_fake.api_base}/v1/transfers"
    assert sent.headers["Idempotency-Key"] == "transfer:5"
    assert sent.params == {"amount": "900", "currency": "eur", "destination": account, "transfer_group": "order:AMC-5",
                           "source_transaction": "ch_123", "metadata": {"part_id": "5"}}


def test_find_transfer_by_group_and_metadata(app, connect_fake):  # type: ignore[no-untyped-def]
    account = connect_fake.add_account()
    with app.app_context():
        made = gateway.create_transfer(300, "EUR", account, "order:A", None, "transfer:1", {"part_id": "1"})
        gateway.create_transfer(400, "EUR", account, "order:A", None, "transfer:2", {"part_id": "2"})
        gateway.create_transfer(500, "EUR", account, "order:B", None, "transfer:3", {"part_id": "1"})
        assert gateway.find_transfer("order:A", "part_id", "1") == made
        assert gateway.find_transfer("order:A", "part_id", "9") is None


def test_reversal_limited_to_unreversed_amount(app, connect_fake):  # type: ignore[no-untyped-def]
    account = connect_fake.add_account()
    with app.app_context():
        transfer = gateway.create_transfer(900, "EUR", account, "order:C", None, "transfer:7", {"part_id": "7"})
        reversal = gateway.reverse_transfer(transfer.id, 600, "reversal:1")
        assert reversal.amount_cents == 600
        with pytest.raises(gateway.PaymentRequestRejected):
            gateway.reverse_transfer(transfer.id, 301, "reversal:2")
        assert gateway.reverse_transfer(transfer.id, 300, "reversal:3").amount_cents == 300


def test_connected_account_and_onboarding_link(app, connect_fake):  # type: ignore[no-untyped-def]
    with app.app_context():
        account_id = gateway.create_connected_account(12, "boulangerie@example.org")
        assert gateway.create_connected_account(12, "boulangerie@example.org") == account_id  # keyed by shop
        link = gateway.create_account_link(account_id, "http://127.0.0.1/refresh", "http://127.0.0.1/retour")
    assert link.url.endswith(f"/onboarding/{account_id}")
    created = connect_fake.requests[0]
    assert created.params["capabilities"] == {"transfers": {"requested": "true"}}
    assert created.headers["Idempotency-Key"] == "account:12"
