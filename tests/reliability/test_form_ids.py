"""Ids typed into HTML forms (hidden fields, radios, checkboxes) beyond any row id: a clear refusal, never
a server error, nothing changed. The URL map and the API bound their ids the same way
(tests/reliability/test_id_probing.py, tests/reliability/test_fuzz_api.py)."""

from __future__ import annotations

import pytest

from tests.conftest import Auth, csrf_token
from tests.orders.services import checkout, fill_basket
from tests.reliability.conftest import assert_unchanged, snapshot

pytestmark = pytest.mark.reliability

HUGE = ["2147483648", "99999999999999999999", "-1", "0"]


@pytest.fixture
def town(app, world, make_user, no_dispatch):  # type: ignore[no-untyped-def]
    bread = world.product(world.shop("Boulangerie Aurore"), "Pain de campagne", 450, stock=10)
    slot, later = world.slot(hours_from_now=50), world.slot(hours_from_now=74)
    resident = make_user(email="suzanne@example.org", name="Suzanne Morel")
    make_user(email="venue@example.org", name="Comptoir", roles=("venue",))
    fill_basket(app, resident, (bread, 1))
    order = checkout(app, resident, slot)
    fill_basket(app, resident, (bread, 1))  # a basket ready for the next checkout
    return {"bread": bread, "slot": slot, "later": later, "order": order}


def _posts(town):  # type: ignore[no-untyped-def]
    """(who, path, form fields) for each form that carries ids; `{id}` is replaced by the value tried."""
    return [
        ("suzanne@example.org", "/panier/ajouter", {"product_id": "{id}", "quantity": "1"}),
        ("suzanne@example.org", "/commande", {"slot_id": "{id}", "payment_method": "at_pickup",
                                               "accept_terms": "y", "idempotency_key": "k-{id}"}),
        ("suzanne@example.org", "/commande", {"slot_id": str(town["later"]), "payment_method": "at_pickup",
                                               "accept_terms": "y", "idempotency_key": "j-{id}",
                                               "join_animation_ids": "{id}"}),
        ("suzanne@example.org", f"/mes-commandes/{town['order']}/creneau", {"slot_id": "{id}"}),
        ("venue@example.org", f"/comptoir/commandes/{town['order']}/animations", {"registration_ids": "{id}"}),
        ("venue@example.org", "/lieu/animations/nouvelle", {
            "title": "Dégustation", "kind": "degustation", "starts_at": "2030-01-10T18:00",
            "ends_at": "2030-01-10T19:00", "capacity": "10", "audience": "everyone", "product_ids": "{id}"}),
    ]


@pytest.mark.parametrize("value", HUGE)
def test_out_of_range_ids_in_forms_are_refused_clearly(app, town, value):
    problems = []
    for who, path, fields in _posts(town):
        client = app.test_client()
        Auth(client).login(who)
        data = {key: item.replace("{id}", value) for key, item in fields.items()}
        before = snapshot(app)
        response = client.post(path, data={**data, "csrf_token": csrf_token(client, "/compte")})
        if response.status_code >= 500:
            problems.append(f"{path} with {value}: {response.status_code}")
        elif response.status_code not in (400, 404, 409, 422):
            problems.append(f"{path} with {value}: {response.status_code}, expected a refusal")
        else:
            assert_unchanged(before, snapshot(app))
    assert problems == []
