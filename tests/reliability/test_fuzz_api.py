"""Schemathesis against the app's own OpenAPI document (/api/v1/openapi.json), in process (WSGI).

Every documented operation gets generated requests, sent once with a resident's bearer token and once
with a shopkeeper's; each answer must not be a server error, must carry a documented status and
content type, and its body must match the documented schema. The run is bounded and deterministic
(FUZZ_EXAMPLES examples per operation, 5 by default; `make fuzz` runs a longer one).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

from shopapp.extensions import limiter
from tests.orders.conftest import World, world  # noqa: F401  (fixture used below)

pytestmark = pytest.mark.reliability

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def bearers(app, world, make_user) -> Callable[[], dict[str, str]]:  # type: ignore[no-untyped-def]  # noqa: F811
    """A small town to talk about (a shop with products and stock, a slot), and a function that
    issues a fresh bearer token per role (an operation may revoke the one it was called with)."""
    from sqlalchemy import select

    from shopapp.accounts.models import User
    from shopapp.accounts.services import issue_api_token
    from shopapp.core.transaction import commit
    from shopapp.extensions import db

    shop_id = world.shop("Boulangerie Aurore", keeper="keeper@example.org")
    for name in ("Baguette", "Pain de campagne"):
        world.product(shop_id, name=name)
    world.slot()
    make_user(email="resident@example.org")

    def fresh() -> dict[str, str]:
        tokens = {}
        with app.app_context():
            for role, email in (("resident", "resident@example.org"), ("shopkeeper", "keeper@example.org")):
                user = db.session.scalar(select(User).where(User.email == email))
                tokens[role] = issue_api_token(user, f"fuzz {role}")[1]
            commit()
            # Sign-up and token requests are throttled per address; the throttle is tested elsewhere.
            limiter.reset()
        return tokens

    return fresh


def _fuzz(operation: Any, mode: GenerationMode, tokens: dict[str, str]) -> None:
    """Send EXAMPLES generated requests to one operation, each once per role's token."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case):  # type: ignore[no-untyped-def]
        for token in tokens.values():
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    run()


def test_api_answers_match_the_openapi_document(app, bearers):  # type: ignore[no-untyped-def]
    # Driven operation by operation with Hypothesis' @given rather than schemathesis' pytest plugin
    # (its lazy loader does not run under pytest 9), so that every operation is covered, in both
    # generation modes, and every broken operation is reported rather than the first one.
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    failures = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            tokens = bearers()
            try:
                _fuzz(operation, mode, tokens)
            except Unsatisfiable:
                pass  # nothing invalid to send: e.g. an operation whose only input is a free-text slug
            except BaseException as error:  # schemathesis raises exception groups; collected, reported at once
                if isinstance(error, KeyboardInterrupt):
                    raise
                failures.append(f"{operation.label} ({mode.value}): {error}")
    assert failures == [], "\n\n".join(failures)


# What the fuzzer found, pinned down: ids beyond a database INTEGER used to reach the driver and
# overflow (500). In a path they now match no route; in a body they are refused with the fields named.


@pytest.mark.parametrize(
    "path",
    ["/api/v1/products/{id}", "/api/v1/orders/{id}", "/produits/{id}", "/api/v1/animations/{id}/registrations/mine"],
)
def test_an_id_too_large_for_the_database_is_not_found(app, bearers, path):  # type: ignore[no-untyped-def]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {bearers()['resident']}"}
    method = "DELETE" if path.endswith("/mine") else "GET"
    for value in (2**31 - 1, 2**31, 2081816058679624990720):
        response = client.open(path.format(id=value), method=method, headers=headers)
        assert response.status_code == 404, value


def test_an_id_too_large_for_the_database_in_a_body_is_refused(app, bearers):  # type: ignore[no-untyped-def]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {bearers()['resident']}"}
    for body, field in (
        ({"product_id": -6129298066533402017792}, "product_id"),
        ({"product_id": 2**31}, "product_id"),
        ({"pickup_slot_id": 2**63, "payment_method": "at_pickup"}, "pickup_slot_id"),
        ({"pickup_slot_id": 1, "payment_method": "at_pickup", "join_animation_ids": [2**40]}, "join_animation_ids.0"),
    ):
        url = "/api/v1/basket/lines" if "product_id" in body else "/api/v1/orders"
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 422, body
        assert field in response.json["error"]["fields"], response.json


def test_the_document_describes_numeric_ids_as_bounded_integers(client):  # type: ignore[no-untyped-def]
    document = client.get("/api/v1/openapi.json").json
    parameter = document["paths"]["/api/v1/orders/{order_id}"]["get"]["parameters"][0]
    assert parameter == {
        "name": "order_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
    }
    assert document["components"]["schemas"]["AddLineIn"]["properties"]["product_id"] == {
        "maximum": 2**31 - 1,
        "minimum": 1,
        "title": "Product Id",
        "type": "integer",
    }
