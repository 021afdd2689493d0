"""FAKE of Stripe Connect's accounts, account links, transfers and transfer reversals — for tests only.

It is a fake, not localstripe: localstripe (the fake Stripe used for payments in the tests) has no
Connect endpoints at all, so onboarding and payouts would otherwise be untested against anything that
speaks HTTP. This server implements the small part of Stripe's documented behaviour that onboarding and
payouts rely on, and nothing more:

- `POST /v1/accounts` (Express accounts start with charges, payouts and details all false, as on
  Stripe), `GET /v1/accounts/<id>`, `POST /v1/account_links` (`account_onboarding` links to
  `<api_base>/onboarding/<id>`; the test plays the shopkeeper with `complete_onboarding`);
- `POST /v1/transfers` (destination must exist, and — the onboarding rule — must have
  `payouts_enabled`, else 400 `insufficient_capabilities_for_transfer` as Stripe answers),
  `GET /v1/transfers/<id>`, `GET /v1/transfers` filtered by `transfer_group`, newest first,
  with `limit`/`starting_after` pagination;
- `POST /v1/transfers/<id>/reversals`: at most the unreversed amount, else 400 as Stripe answers;
- `Idempotency-Key` on every POST: the same key and body replay the first response (header
  `Idempotent-Replayed: true`); the same key with another body is a 400 `idempotency_error`.
  Stripe keeps keys 24 hours: `expire_idempotency_keys()` makes that time pass.

It runs on 127.0.0.1, on a free port, in a thread (werkzeug), and records every request it receives.
A test can also hold the response to a request after its work is done (`hold_next`), to kill a worker
at the moment Stripe has acted and the worker has not heard back yet.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


def unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """`metadata[part_id]=3` → `{"metadata": {"part_id": "3"}}` (Stripe's form encoding)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = result
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return result


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass
class _State:
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[str, tuple[str, dict[str, Any], int, str]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)


class StripeConnectFake:
    def __init__(self) -> None:
        self.state = _State()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._hold: tuple[str, str] | None = None
        self.held = threading.Event()
        self._release = threading.Event()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> StripeConnectFake:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()

    # --- test controls ---------------------------------------------------------------------------------

    def expire_idempotency_keys(self) -> None:
        """Make 24 hours pass: Stripe no longer remembers any Idempotency-Key."""
        with self._lock:
            self.state.idempotency.clear()

    def hold_next(self, method: str, path: str) -> None:
        """The next `method path` request is handled (its effect is stored, its Idempotency-Key recorded),
        then its response is held back until `release()`; `held` is set while it waits."""
        with self._lock:
            self.held.clear()
            self._release.clear()
            self._hold = (method.upper(), path)

    def release(self) -> None:
        """Let a held response go (to a client that may be dead by then)."""
        self._release.set()

    def add_account(self, account_id: str | None = None, *, onboarded: bool = True) -> str:
        """An account made elsewhere; onboarded (able to receive transfers) unless told otherwise."""
        with self._lock:
            account = self._new_account({"type": "express", "country": "FR"}, account_id)
            if onboarded:
                self._set_onboarded(account)
        return str(account["id"])

    def complete_onboarding(self, account_id: str) -> dict[str, Any]:
        """The shopkeeper finished Stripe's onboarding form: the account can take charges and payouts."""
        with self._lock:
            account = self.state.accounts[account_id]
            self._set_onboarded(account)
            return dict(account)

    @staticmethod
    def _set_onboarded(account: dict[str, Any]) -> None:
        account.update(charges_enabled=True, payouts_enabled=True, details_submitted=True)

    @property
    def accounts(self) -> list[dict[str, Any]]:
        return list(self.state.accounts.values())

    @property
    def requests(self) -> list[RecordedRequest]:
        return list(self.state.requests)

    @property
    def transfers(self) -> list[dict[str, Any]]:
        return list(self.state.transfers.values())

    # --- HTTP ------------------------------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self._handle(request)
        with self._lock:
            hold = self._hold == (request.method, request.path)
            if hold:
                self._hold = None
        if hold:  # waits outside the lock: other requests (a restarted worker's) are served meanwhile
            self.held.set()
            self._release.wait(timeout=120)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        if request.method == "POST":
            params = unflatten(parse_qsl(request.get_data(as_text=True), keep_blank_values=True))
        else:
            params = unflatten(list(request.args.items(multi=True)))
        with self._lock:
            self.state.requests.append(RecordedRequest(request.method, request.path, params, dict(request.headers)))
            if not request.headers.get("Authorization", "").startswith("Bearer sk_test_"):
                return _error(401, "invalid_request_error", "Invalid API Key provided.")
            key = request.headers.get("Idempotency-Key")
            fingerprint = json.dumps([request.path, params], sort_keys=True)
            if request.method == "POST" and key and key in self.state.idempotency:
                stored_fingerprint, body, status, _ = self.state.idempotency[key]
                if stored_fingerprint != fingerprint:
                    return _error(400, "idempotency_error",
                                  "Keys for idempotent requests can only be used with the same parameters they "
                                  "were first used with.")
                response = _json(body, status)
                response.headers["Idempotent-Replayed"] = "true"
                return response
            body, status = self._route(request.method, request.path, params)
            if request.method == "POST" and key:
                self.state.idempotency[key] = (fingerprint, body, status, request.path)
            return _json(body, status)

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[dict[str, Any], int]:
        if method == "POST" and path == "/v1/accounts":
            return self._new_account(params), 200
        if match := re.fullmatch(r"/v1/accounts/([\w]+)", path):
            account = self.state.accounts.get(match[1])
            return (account, 200) if account else _missing("account", match[1])
        if method == "POST" and path == "/v1/account_links":
            missing = [name for name in ("account", "refresh_url", "return_url", "type") if not params.get(name)]
            if missing:
                return _error_body("invalid_request_error", f"Missing required param: {missing[0]}.", missing[0]), 400
            if params.get("account") not in self.state.accounts:
                return _missing("account", str(params.get("account")))
            now = int(time.time())
            return {"object": "account_link", "created": now, "expires_at": now + 300,
                    "url": f"{self.api_base}/onboarding/{params['account']}"}, 200
        if method == "POST" and path == "/v1/transfers":
            return self._create_transfer(params)
        if method == "GET" and path == "/v1/transfers":
            return self._list_transfers(params), 200
        if method == "POST" and (match := re.fullmatch(r"/v1/transfers/(\w+)/reversals", path)):
            return self._reverse(match[1], params)
        if method == "GET" and (match := re.fullmatch(r"/v1/transfers/(\w+)", path)):
            transfer = self.state.transfers.get(match[1])
            return (transfer, 200) if transfer else _missing("transfer", match[1])
        return _error_body("invalid_request_error", f"Unrecognized request URL ({method}: {path}).", None), 404

    def _new_account(self, params: dict[str, Any], account_id: str | None = None) -> dict[str, Any]:
        account = {
            "id": account_id or f"acct_fake{next(self._ids):06d}",
            "object": "account",
            "type": params.get("type", "express"),
            "country": params.get("country", "FR"),
            "email": params.get("email"),
            "metadata": params.get("metadata", {}),
            "charges_enabled": False,
            "payouts_enabled": False,
            "details_submitted": False,
        }
        self.state.accounts[str(account["id"])] = account
        return account

    def _create_transfer(self, params: dict[str, Any]) -> tuple[dict[str, Any], int]:
        try:
            amount = int(params["amount"])
            currency = str(params["currency"])
        except (KeyError, ValueError):
            return _error_body("invalid_request_error", "Missing required param: amount.", "amount"), 400
        if amount <= 0:
            return _error_body("invalid_request_error", "Invalid positive integer", "amount"), 400
        destination = params.get("destination")
        if destination not in self.state.accounts:
            return _error_body("invalid_request_error", f"No such destination: '{destination}'", "destination",
                               code="resource_missing"), 400
        if not self.state.accounts[destination]["payouts_enabled"]:
            return _error_body("invalid_request_error",
                               "Your destination account needs to have at least one of the following capabilities "
                               "enabled: transfers, crypto_transfers, legacy_payments", "destination",
                               code="insufficient_capabilities_for_transfer"), 400
        transfer_id = f"tr_fake{next(self._ids):06d}{secrets.token_hex(3)}"
        transfer = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "currency": currency,
            "created": int(time.time()),
            "destination": destination,
            "transfer_group": params.get("transfer_group"),
            "source_transaction": params.get("source_transaction"),
            "metadata": params.get("metadata", {}),
            "reversed": False,
            "reversals": {"object": "list", "data": [], "has_more": False,
                          "url": f"/v1/transfers/{transfer_id}/reversals"},
        }
        self.state.transfers[transfer_id] = transfer
        return transfer, 200

    def _list_transfers(self, params: dict[str, Any]) -> dict[str, Any]:
        items = [t for t in reversed(self.state.transfers.values())
                 if "transfer_group" not in params or t["transfer_group"] == params["transfer_group"]]
        if "starting_after" in params:
            ids = [t["id"] for t in items]
            start = ids.index(params["starting_after"]) + 1 if params["starting_after"] in ids else len(ids)
            items = items[start:]
        limit = int(params.get("limit", 10))
        return {"object": "list", "url": "/v1/transfers", "data": items[:limit], "has_more": len(items) > limit}

    def _reverse(self, transfer_id: str, params: dict[str, Any]) -> tuple[dict[str, Any], int]:
        transfer = self.state.transfers.get(transfer_id)
        if transfer is None:
            return _missing("transfer", transfer_id)
        remaining = transfer["amount"] - transfer["amount_reversed"]
        amount = int(params.get("amount", remaining))
        if remaining == 0:
            return _error_body("invalid_request_error", "You have already reversed this transfer.", None), 400
        if amount <= 0 or amount > remaining:
            return _error_body("invalid_request_error",
                               f"Amount must be no more than {remaining} (the amount not yet reversed).",
                               "amount"), 400
        reversal = {"id": f"trr_fake{next(self._ids):06d}", "object": "transfer_reversal", "amount": amount,
                    "currency": transfer["currency"], "transfer": transfer_id, "metadata": params.get("metadata", {})}
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        transfer["reversals"]["data"].append(reversal)
        return reversal, 200


def _error_body(kind: str, message: str, param: str | None, code: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"type": kind, "message": message}
    if param:
        error["param"] = param
    if code:
        error["code"] = code
    return {"error": error}


def _missing(kind: str, identifier: str) -> tuple[dict[str, Any], int]:
    return _error_body("invalid_request_error", f"No such {kind}: '{identifier}'", "id", code="resource_missing"), 404


def _error(status: int, kind: str, message: str) -> Response:
    return _json(_error_body(kind, message, None), status)


def _json(body: dict[str, Any], status: int) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
