"""The demo's card payment route (localstripe only): the payment page hands the card token made by
localstripe's Stripe.js stand-in to `/commande/<id>/paiement/carte-test`, which confirms the intent.

Real parts: the app's route and gateway, localstripe (its `/v1/tokens` is what the stand-in's
`createToken` calls, its `_authenticate` what its 3-D Secure dialog calls), signed webhook deliveries.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

from tests.checkout.flow import deliver, intent_of, order_by_api, order_status, token_headers
from tests.conftest import csrf_token
from tests.payments.conftest import authenticate_on_localstripe


def _card_token(localstripe, number: str) -> str:  # type: ignore[no-untyped-def]
    """What `stripe.createToken(card)` of localstripe's Stripe.js does: a token whose card id we get."""
    data = urllib.parse.urlencode(
        {
            "card[number]": number,
            "card[exp_month]": "12",
            "card[exp_year]": "30",
            "card[cvc]": "123",
            "key": "pk_test_localstripe",
        }
    ).encode()
    with urllib.request.urlopen(f"{localstripe.api_base}/v1/tokens", data, timeout=5) as response:  # noqa: S310
        return str(json.load(response)["card"]["id"])


def _card_order(app, client, auth, world, make_user) -> int:  # type: ignore[no-untyped-def]
    product = world.product(world.shop("Épicerie"), "Miel", 900, stock=5)
    make_user(email="res@example.org")
    created = order_by_api(client, token_headers(client, "res@example.org"), world.slot(), [(product, 1)])
    assert created.status_code == 201
    auth.login("res@example.org")
    return int(created.json["id"])


def _pay(client, order_id: int, token: str):  # type: ignore[no-untyped-def]
    csrf = csrf_token(client, f"/commande/{order_id}/paiement")
    return client.post(
        f"/commande/{order_id}/paiement/carte-test",
        data={"token": token, "csrf_token": csrf},
        headers={"X-CSRFToken": csrf},
    )


def test_declined_card_then_another_card_pays_the_order(app, client, auth, world, make_user, localstripe, no_dispatch):  # type: ignore[no-untyped-def]
    order_id = _card_order(app, client, auth, world, make_user)

    declined = _pay(client, order_id, _card_token(localstripe, "4000000000000341"))
    accepted = _pay(client, order_id, _card_token(localstripe, "4242424242424242"))

    assert declined.status_code == 402
    assert declined.json["error"]["message"] == "Le paiement a été refusé par la banque."
    assert accepted.status_code == 200 and accepted.json == {"status": "succeeded"}
    assert order_status(app, order_id) == ("pending_payment", "pending")  # only the webhook confirms
    assert deliver(client, "evt_paid", "payment_intent.succeeded", intent_of(app, order_id)).status_code == 200
    assert order_status(app, order_id) == ("confirmed", "paid")


def test_3d_secure_left_unfinished_is_offered_again(app, client, auth, world, make_user, localstripe, no_dispatch):  # type: ignore[no-untyped-def]
    order_id = _card_order(app, client, auth, world, make_user)

    first = _pay(client, order_id, _card_token(localstripe, "4000002760003184"))
    # The customer closed the 3-D Secure dialog, came back to the page and pressed "Payer" again.
    again = _pay(client, order_id, _card_token(localstripe, "4000002760003184"))

    assert first.json == {"status": "requires_action"} and again.json == {"status": "requires_action"}
    intent = intent_of(app, order_id)
    assert authenticate_on_localstripe(localstripe, intent) == "succeeded"
    assert deliver(client, "evt_3ds", "payment_intent.succeeded", intent).status_code == 200
    assert order_status(app, order_id) == ("confirmed", "paid")
