"""The association may require a confirmed e-mail address before ordering; ordering stays open otherwise."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from shopapp.accounts import services as accounts
from shopapp.association.models import SettingChange
from shopapp.extensions import db
from shopapp.venue.models import Venue
from tests.conftest import csrf_token


def _token(client, email):  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/auth/token", json={"email": email, "password": "motdepasse1"})
    return {"Authorization": f"Bearer {response.json['token']}"}


def _require(app, required: bool) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.scalar(select(Venue)).require_confirmed_email = required
        db.session.commit()


def _basket(client, world, headers) -> int:  # type: ignore[no-untyped-def]
    bread = world.product(world.shop(), stock=10)
    client.post("/api/v1/basket/lines", json={"product_id": bread, "quantity": 1}, headers=headers)
    return world.slot()


def test_an_unconfirmed_address_orders_while_the_association_does_not_require_it(app, client, world, make_user):
    make_user(email="res@example.org")
    headers = _token(client, "res@example.org")
    slot = _basket(client, world, headers)

    placed = client.post("/api/v1/orders", json={"pickup_slot_id": slot, "payment_method": "at_pickup"},
                         headers=headers)

    assert placed.status_code == 201


def test_a_required_confirmation_stops_the_order_until_the_link_is_opened(app, client, world, make_user):
    make_user(email="res@example.org")
    headers = _token(client, "res@example.org")
    slot = _basket(client, world, headers)
    _require(app, True)
    order = {"pickup_slot_id": slot, "payment_method": "at_pickup"}

    refused = client.post("/api/v1/orders", json=order, headers=headers)
    with app.app_context():
        link = accounts.confirmation_link(accounts.get_user_by_email("res@example.org"))
    opened = client.get(urlsplit(link).path)
    placed = client.post("/api/v1/orders", json=order, headers=headers)

    assert refused.status_code == 403 and refused.json["error"]["code"] == "email_not_confirmed"
    assert "Confirmez d'abord votre adresse e-mail" in refused.json["error"]["message"]
    assert opened.status_code == 200 and "adresse e-mail est confirmée" in opened.get_data(as_text=True)
    assert placed.status_code == 201


def test_the_association_turns_the_rule_on_and_it_is_audited(app, client, auth, world, make_user):
    world.shop()  # the venue exists
    make_user(email="admin@example.org", roles=("admin",))
    auth.login("admin@example.org")

    response = client.post("/association/reglages/commandes", data={
        "require_confirmed_email": "y", "csrf_token": csrf_token(client, "/association/reglages")})

    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Venue)).require_confirmed_email is True
        change = db.session.scalar(select(SettingChange).where(SettingChange.key == "venue.require_confirmed_email"))
        assert (change.old_value, change.new_value) == ("False", "True")
