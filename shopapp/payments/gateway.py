"""The one place that builds Stripe requests.

Every call goes through the official SDK (`stripe.StripeClient`), with a deterministic Idempotency-Key
derived from our own ids (`idempotency_key("transfer", part_id)` → `"transfer:42"`), and comes back as
a small frozen dataclass, so callers never handle SDK objects. Stripe errors are caught here and
re-raised as one of two kinds the callers act on:

- `RetryablePaymentError`: network trouble, rate limiting, a 5xx — the same call with the same key
  may be sent again later (tasks retry with backoff);
- `TerminalPaymentError` (`PaymentDeclined` for a refused card, `PaymentRequestRejected` for a request
  Stripe refuses) — sending it again will not help.

Authentication and permission errors are not mapped: a wrong key is a configuration bug and fails loudly.

Bases: `STRIPE_API_BASE` (payments, refunds) and `STRIPE_CONNECT_API_BASE` (accounts, account links,
transfers, reversals; defaults to the former). Tests point the first at localstripe and the second at
`tests/support/stripe_connect_fake.py`, because localstripe has no Connect endpoints.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l

from shopapp.errors import DomainError

# Parameters localstripe refuses with "400 Unexpected …" although real Stripe needs them:
# transfer_group ties the charge to the shops' transfers (separate charges and transfers),
# description shows on the dashboard, automatic_payment_methods enables 3-D Secure capable methods.
# They are built in `payment_intent_params` in every mode (a test asserts it) and left out only on
# the way to localstripe (STRIPE_LOCALSTRIPE=1: tests and the demo).
LOCALSTRIPE_UNSUPPORTED_PARAMS = ("transfer_group", "description", "automatic_payment_methods")


class PaymentGatewayError(DomainError):
    """Stripe could not do what we asked."""

    status = 502
    code = "payment_gateway_error"


class RetryablePaymentError(PaymentGatewayError):
    """Temporary: connection failure, rate limit or Stripe-side error. Retry with the same key."""

    status = 503
    code = "payment_unavailable"


class TerminalPaymentError(PaymentGatewayError):
    """Stripe refused the request for good; retrying the same request will fail the same way."""

    status = 409
    code = "payment_refused"


class PaymentDeclined(TerminalPaymentError):
    """The card was declined (or its authentication failed)."""

    status = 402
    code = "payment_declined"


class PaymentRequestRejected(TerminalPaymentError):
    """Stripe rejected the request itself (invalid parameter, amount, state)."""

    status = 409
    code = "payment_request_rejected"


class GatewayNotConfigured(RuntimeError):
    """STRIPE_SECRET_KEY is not set: card payments are off in this installation."""


@dataclass(frozen=True)
class IntentView:
    id: str
    status: str
    amount_cents: int
    amount_received_cents: int
    currency: str
    client_secret: str | None
    latest_charge_id: str | None
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def order_ref(self) -> str | None:
        return self.metadata.get("order_ref")


@dataclass(frozen=True)
class RefundView:
    id: str
    status: str
    amount_cents: int


@dataclass(frozen=True)
class TransferView:
    id: str
    amount_cents: int
    amount_reversed_cents: int
    destination: str
    transfer_group: str | None
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReversalView:
    id: str
    transfer_id: str
    amount_cents: int


@dataclass(frozen=True)
class AccountView:
    id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool


# What Stripe answers a transfer to an account whose onboarding is unfinished.
ONBOARDING_UNFINISHED_CODES = frozenset({"insufficient_capabilities_for_transfer", "account_invalid"})


@dataclass(frozen=True)
class AccountLinkView:
    url: str
    expires_at: int


def idempotency_key(kind: str, *ids: int | str) -> str:
    """The Idempotency-Key for an operation on our own rows: `idempotency_key("transfer", 42)` → `transfer:42`."""
    return ":".join([kind, *(str(i) for i in ids)])


def transfer_group_for(order_ref: str) -> str:
    """The transfer group shared by an order's PaymentIntent and its shops' transfers."""
    return f"order:{order_ref}"


# --- the client ---------------------------------------------------------------------------------------


def _client(*, connect: bool = False) -> stripe.StripeClient:
    config = current_app.config
    api_key = config.get("STRIPE_SECRET_KEY")
    if not api_key:
        raise GatewayNotConfigured("STRIPE_SECRET_KEY is not set")
    base = config.get("STRIPE_API_BASE")
    if connect:
        base = config.get("STRIPE_CONNECT_API_BASE") or base
    # Tests may install an HTTP client that records requests (tests/payments/conftest.py).
    http_client = current_app.extensions.get("stripe_http_client")
    retries = int(config.get("STRIPE_MAX_NETWORK_RETRIES", 2))
    cache: dict[tuple[Any, ...], stripe.StripeClient] = current_app.extensions.setdefault("stripe_clients", {})
    key = (api_key, base, retries, id(http_client))
    if key not in cache:
        cache[key] = stripe.StripeClient(
            api_key,
            base_addresses={"api": base} if base else None,
            max_network_retries=retries,
            http_client=http_client,
        )
    return cache[key]


@contextmanager
def _stripe_errors() -> Iterator[None]:
    """Translate the SDK's errors into our two kinds (see the module docstring)."""
    try:
        yield
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        raise RetryablePaymentError(
            str(_l("Le service de paiement ne répond pas. Réessayez dans un instant."))
        ) from exc
    except stripe.CardError as exc:
        raise PaymentDeclined(
            str(_l("Le paiement a été refusé par la banque.")), code=exc.code or PaymentDeclined.code
        ) from exc
    except (stripe.InvalidRequestError, stripe.IdempotencyError) as exc:
        # Stripe's own error code (e.g. `insufficient_capabilities_for_transfer`) when it gave one.
        raise PaymentRequestRejected(exc.user_message or str(exc), code=exc.code or None) from exc
    except stripe.APIError as exc:
        if exc.http_status is None or exc.http_status >= 500:
            raise RetryablePaymentError(
                str(_l("Le service de paiement ne répond pas. Réessayez dans un instant."))
            ) from exc
        raise PaymentRequestRejected(exc.user_message or str(exc)) from exc


def _options(idempotency_key: str | None) -> Any:
    return {"idempotency_key": idempotency_key} if idempotency_key else None


def _plain(obj: Any) -> dict[str, Any]:
    # SDK objects are not dicts since stripe v15: read them as plain data.
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _str_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in dict(value or {}).items()}


def _charge_id(value: Any) -> str | None:
    # Real Stripe returns the id unless expanded; localstripe always returns the expanded charge.
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return str(value["id"])


def _intent(sdk_object: Any) -> IntentView:
    obj = _plain(sdk_object)
    status = str(obj["status"])
    amount = int(obj["amount"])
    # localstripe has no amount_received: a succeeded intent received its whole amount.
    received = obj.get("amount_received")
    if received is None:
        received = amount if status == "succeeded" else 0
    return IntentView(
        id=str(obj["id"]),
        status=status,
        amount_cents=amount,
        amount_received_cents=int(received),
        currency=str(obj["currency"]).upper(),
        client_secret=obj.get("client_secret"),
        latest_charge_id=_charge_id(obj.get("latest_charge")),
        metadata=_str_map(obj.get("metadata")),
    )


def _transfer(sdk_object: Any) -> TransferView:
    obj = _plain(sdk_object)
    return TransferView(
        id=str(obj["id"]),
        amount_cents=int(obj["amount"]),
        amount_reversed_cents=int(obj.get("amount_reversed") or 0),
        destination=str(obj["destination"]),
        transfer_group=obj.get("transfer_group"),
        metadata=_str_map(obj.get("metadata")),
    )


# --- payments (platform account) -------------------------------------------------------------------


def payment_intent_params(
    *, order_ref: str, amount_cents: int, currency: str, transfer_group: str, metadata: Mapping[str, str]
) -> dict[str, Any]:
    """The full request body for an order's PaymentIntent, as real Stripe needs it (pure).

    `metadata` always carries `order_ref`, which the webhook uses to find the order.
    :raise ValueError: non-positive amount.
    """
    if amount_cents <= 0:
        raise ValueError("a PaymentIntent needs a positive amount")
    return {
        "amount": amount_cents,
        "currency": currency.lower(),
        "transfer_group": transfer_group,
        "description": f"Adopte mon commerçant — commande {order_ref}",
        "automatic_payment_methods": {"enabled": True},
        "metadata": {**metadata, "order_ref": order_ref},
    }


def _for_backend(params: dict[str, Any]) -> dict[str, Any]:
    if current_app.config.get("STRIPE_LOCALSTRIPE"):
        return {k: v for k, v in params.items() if k not in LOCALSTRIPE_UNSUPPORTED_PARAMS}
    return params


def create_payment_intent(
    order_ref: str,
    amount_cents: int,
    currency: str,
    transfer_group: str,
    metadata: Mapping[str, str],
    idempotency_key: str,
) -> IntentView:
    """Create the order's PaymentIntent (one per order: the key makes a repeat return the same intent).

    No database effect. :raise RetryablePaymentError, TerminalPaymentError, GatewayNotConfigured:
    """
    params = payment_intent_params(
        order_ref=order_ref,
        amount_cents=amount_cents,
        currency=currency,
        transfer_group=transfer_group,
        metadata=metadata,
    )
    with _stripe_errors():
        obj = _client().v1.payment_intents.create(
            params=_for_backend(params), options=_options(idempotency_key)  # type: ignore[arg-type]
        )
    return _intent(obj)


def membership_fee_intent_params(*, user_id: int, year: int, amount_cents: int, currency: str) -> dict[str, Any]:
    """The request body for a member's yearly fee paid by card (pure): no transfer group (the fee is the
    association's, no shop is paid from it); `metadata.membership_fee` names member and year.
    :raise ValueError: non-positive amount.
    """
    if amount_cents <= 0:
        raise ValueError("a PaymentIntent needs a positive amount")
    return {
        "amount": amount_cents,
        "currency": currency.lower(),
        "description": f"Adopte mon commerçant — cotisation {year}",
        "automatic_payment_methods": {"enabled": True},
        "metadata": {"membership_fee": f"{user_id}:{year}", "user_id": str(user_id), "year": str(year)},
    }


def create_membership_fee_intent(*, user_id: int, year: int, amount_cents: int, currency: str,
                                 idempotency_key: str) -> IntentView:
    """Create the PaymentIntent of a member's yearly fee. No database effect.
    :raise RetryablePaymentError, TerminalPaymentError, GatewayNotConfigured:
    """
    params = membership_fee_intent_params(user_id=user_id, year=year, amount_cents=amount_cents, currency=currency)
    with _stripe_errors():
        obj = _client().v1.payment_intents.create(
            params=_for_backend(params), options=_options(idempotency_key)  # type: ignore[arg-type]
        )
    return _intent(obj)


def retrieve_payment_intent(payment_intent_id: str) -> IntentView:
    """Read a PaymentIntent as Stripe has it now (the webhook acts on this, not on the event body).

    :raise RetryablePaymentError, TerminalPaymentError:
    """
    with _stripe_errors():
        obj = _client().v1.payment_intents.retrieve(payment_intent_id)
    return _intent(obj)


def cancel_payment_intent(payment_intent_id: str, idempotency_key: str) -> IntentView:
    """Cancel an unpaid PaymentIntent (hold expired) so that it cannot succeed later.

    :raise RetryablePaymentError, TerminalPaymentError: (terminal when it already succeeded)
    """
    with _stripe_errors():
        obj = _client().v1.payment_intents.cancel(payment_intent_id, options=_options(idempotency_key))
    return _intent(obj)


def create_refund(
    payment_intent_id: str, amount_cents: int, idempotency_key: str, metadata: Mapping[str, str]
) -> RefundView:
    """Refund part or all of a PaymentIntent's charge to the customer.

    The amount must already be checked against what remains refundable (localstripe would accept an
    over-refund; Stripe would not). :raise RetryablePaymentError, TerminalPaymentError:
    """
    if amount_cents <= 0:
        raise ValueError("a refund needs a positive amount")
    params = {"payment_intent": payment_intent_id, "amount": amount_cents, "metadata": dict(metadata)}
    with _stripe_errors():
        obj = _client().v1.refunds.create(params=params, options=_options(idempotency_key))  # type: ignore[arg-type]
    return RefundView(id=str(obj["id"]), status=str(obj["status"]), amount_cents=int(obj["amount"]))


# --- Connect: accounts, transfers, reversals ---------------------------------------------------------


def transfer_params(
    *,
    amount_cents: int,
    currency: str,
    destination_account: str,
    transfer_group: str,
    source_transaction: str | None,
    metadata: Mapping[str, str],
) -> dict[str, Any]:
    """The request body of a shop's transfer (pure). `source_transaction` is the charge id (`ch_…`)."""
    if amount_cents <= 0:
        raise ValueError("a transfer needs a positive amount")
    params: dict[str, Any] = {
        "amount": amount_cents,
        "currency": currency.lower(),
        "destination": destination_account,
        "transfer_group": transfer_group,
        "metadata": dict(metadata),
    }
    if source_transaction:
        # Ties the transfer to the charge: it waits for the funds instead of failing on an empty balance.
        params["source_transaction"] = source_transaction
    return params


def create_transfer(
    amount_cents: int,
    currency: str,
    destination_account: str,
    transfer_group: str,
    source_transaction: str | None,
    idempotency_key: str,
    metadata: Mapping[str, str],
) -> TransferView:
    """Transfer a shop's net amount to its connected account. Stripe keeps the key 24 hours only:
    callers look for an earlier transfer with `find_transfer` before paying again after that.

    :raise RetryablePaymentError, TerminalPaymentError:
    """
    params = transfer_params(
        amount_cents=amount_cents,
        currency=currency,
        destination_account=destination_account,
        transfer_group=transfer_group,
        source_transaction=source_transaction,
        metadata=metadata,
    )
    with _stripe_errors():
        obj = _client(connect=True).v1.transfers.create(params=params, options=_options(idempotency_key))  # type: ignore[arg-type]
    return _transfer(obj)


def find_transfer(transfer_group: str, metadata_key: str, metadata_value: str) -> TransferView | None:
    """The transfer of `transfer_group` whose metadata[`metadata_key`] is `metadata_value`, if any.

    :raise RetryablePaymentError, TerminalPaymentError:
    """
    with _stripe_errors():
        page = _client(connect=True).v1.transfers.list(params={"transfer_group": transfer_group, "limit": 100})
        for obj in page.auto_paging_iter():
            if _str_map(_plain(obj).get("metadata")).get(metadata_key) == metadata_value:
                return _transfer(obj)
    return None


def reverse_transfer(
    transfer_id: str, amount_cents: int, idempotency_key: str, metadata: Mapping[str, str] | None = None
) -> ReversalView:
    """Take back part of a transfer from the shop's account (after a refund).

    :raise RetryablePaymentError, TerminalPaymentError: (terminal when more than the unreversed amount)
    """
    if amount_cents <= 0:
        raise ValueError("a reversal needs a positive amount")
    params: dict[str, Any] = {"amount": amount_cents, "metadata": dict(metadata or {})}
    with _stripe_errors():
        obj = _client(connect=True).v1.transfers.reversals.create(
            transfer_id, params=params, options=_options(idempotency_key)  # type: ignore[arg-type]
        )
    return ReversalView(id=str(obj["id"]), transfer_id=transfer_id, amount_cents=int(obj["amount"]))


def create_connected_account(shop_id: int, email: str, country: str = "FR") -> str:
    """Create the shop's Express connected account and return its id (`acct_…`). One per shop (keyed).

    :raise RetryablePaymentError, TerminalPaymentError:
    """
    params: dict[str, Any] = {
        "type": "express",
        "country": country,
        **({"email": email} if email else {}),
        "capabilities": {"transfers": {"requested": True}},
        "metadata": {"shop_id": str(shop_id)},
    }
    with _stripe_errors():
        obj = _client(connect=True).v1.accounts.create(
            params=params, options=_options(idempotency_key("account", shop_id))  # type: ignore[arg-type]
        )
    return str(obj["id"])


def retrieve_account(account_id: str) -> AccountView:
    """Read a connected account's current state from Stripe.

    :raise RetryablePaymentError, TerminalPaymentError:
    """
    with _stripe_errors():
        obj = _plain(_client(connect=True).v1.accounts.retrieve(account_id))
    return AccountView(id=str(obj["id"]), charges_enabled=bool(obj.get("charges_enabled")),
                       payouts_enabled=bool(obj.get("payouts_enabled")),
                       details_submitted=bool(obj.get("details_submitted")))


def connect_available() -> bool:
    """Whether Connect calls can be made: a secret key, and not a localstripe without a Connect endpoint
    (localstripe has no Connect; onboarding needs real Stripe keys)."""
    config = current_app.config
    if not config.get("STRIPE_SECRET_KEY"):
        return False
    return not (config.get("STRIPE_LOCALSTRIPE") or config.get("STRIPE_API_BASE")) or bool(
        config.get("STRIPE_CONNECT_API_BASE"))


def create_account_link(account_id: str, refresh_url: str, return_url: str) -> AccountLinkView:
    """A one-time onboarding link for a shop's connected account (not idempotent: each call is a new link).

    :raise RetryablePaymentError, TerminalPaymentError:
    """
    params = {"account": account_id, "refresh_url": refresh_url, "return_url": return_url, "type": "account_onboarding"}
    with _stripe_errors():
        obj = _client(connect=True).v1.account_links.create(params=params)  # type: ignore[arg-type]
    return AccountLinkView(url=str(obj["url"]), expires_at=int(obj["expires_at"]))


# --- webhooks ---------------------------------------------------------------------------------------


def verify_event(payload: bytes, signature_header: str | None) -> dict[str, Any]:
    """Check the `Stripe-Signature` header (HMAC-SHA256 with the endpoint secret, timestamp within the
    tolerance) and parse the event.

    :raise stripe.SignatureVerificationError: missing, malformed, wrong or stale signature.
    :raise ValueError: the body is not JSON.
    :raise GatewayNotConfigured: no webhook secret.
    """
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise GatewayNotConfigured("STRIPE_WEBHOOK_SECRET is not set")
    tolerance = int(current_app.config.get("STRIPE_WEBHOOK_TOLERANCE", 300))
    return _plain(stripe.Webhook.construct_event(payload, signature_header, secret, tolerance=tolerance))


def confirm_with_test_card(payment_intent_id: str, card_id: str) -> IntentView:
    """localstripe only (its Stripe.js stand-in cannot confirm intents): attach the card its
    `createToken` made (`card_…`) and confirm the intent. Real Stripe confirms in the browser
    (Stripe.js `confirmCardPayment`), so this is never called with real keys.

    :raise PaymentDeclined: the card was refused. :raise RetryablePaymentError, TerminalPaymentError:
    """
    if not current_app.config.get("STRIPE_LOCALSTRIPE"):
        raise GatewayNotConfigured("test-card confirmation exists for localstripe only")
    if not card_id.startswith("card_"):
        raise PaymentRequestRejected("invalid test card")
    with _stripe_errors():
        client = _client()
        current = client.v1.payment_intents.retrieve(payment_intent_id)
        if current.status == "requires_action":
            # Confirmed already and waiting for 3-D Secure (the customer reloaded the page or closed the
            # challenge): localstripe refuses a new card now ("Bad request"), so hand the same
            # challenge back to the page instead of a dead end.
            return _intent(current)
        client.v1.payment_intents.update(payment_intent_id, params={"payment_method": card_id})
        obj = client.v1.payment_intents.confirm(payment_intent_id)
    return _intent(obj)
