"""Cancelling an order (resident) and refusing a part (shop) ask for a confirmation that works without
JavaScript: a box to tick in the same form; untouched, nothing changes."""

from __future__ import annotations

from shopapp.extensions import db
from shopapp.orders.models import Order, OrderPart
from tests.conftest import csrf_token, text_of
from tests.orders.services import checkout, fill_basket


def _order(app, world, make_user, keeper: str | None = None) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    shop = world.shop("Boulangerie Aurore", keeper=keeper)
    bread = world.product(shop, "Baguette")
    resident = make_user(email="res@example.org")
    fill_basket(app, resident, (bread, 2))
    order_id = checkout(app, resident, world.slot())
    with app.app_context():
        return order_id, db.session.get(Order, order_id).parts[0].id


def _status(app, model, row_id: int) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.get(model, row_id).status


def test_the_order_page_asks_to_tick_a_box_before_cancelling(app, client, auth, world, make_user):
    order_id, _part = _order(app, world, make_user)
    auth.login("res@example.org")

    page = text_of(client.get(f"/mes-commandes/{order_id}"))

    assert 'type="checkbox"' in page and "Je confirme l'annulation de toute la commande" in page
    assert 'id="confirm" name="confirm" required' in page


def test_cancelling_without_the_confirmation_changes_nothing(app, client, auth, world, make_user):
    order_id, _part = _order(app, world, make_user)
    auth.login("res@example.org")
    token = csrf_token(client, f"/mes-commandes/{order_id}")

    response = client.post(f"/mes-commandes/{order_id}/annuler", data={"csrf_token": token})

    assert response.status_code == 422
    assert "Cochez la case pour confirmer l'annulation." in text_of(response)
    assert _status(app, Order, order_id) == "confirmed"


def test_cancelling_with_the_confirmation_cancels(app, client, auth, world, make_user):
    order_id, _part = _order(app, world, make_user)
    auth.login("res@example.org")
    token = csrf_token(client, f"/mes-commandes/{order_id}")

    response = client.post(f"/mes-commandes/{order_id}/annuler", data={"csrf_token": token, "confirm": "y"})

    assert response.status_code == 302
    assert _status(app, Order, order_id) == "cancelled"
    assert "Votre commande est annulée." in text_of(client.get(response.headers["Location"]))


def test_refusing_a_part_without_the_confirmation_changes_nothing(app, client, auth, world, make_user):
    _order_id, part_id = _order(app, world, make_user, keeper="baker@example.org")
    auth.login("baker@example.org")
    page = text_of(client.get("/preparation"))
    token = csrf_token(client, "/preparation")

    refused = client.post(f"/preparation/parts/{part_id}/statut", data={"csrf_token": token, "status": "rejected"})
    unticked = client.post(f"/preparation/parts/{part_id}/refuser",
                           data={"csrf_token": csrf_token(client, f"/preparation/parts/{part_id}/refuser")})

    assert f'href="/preparation/parts/{part_id}/refuser' in page  # the button opens the confirmation page
    assert refused.status_code == 302 and f"/preparation/parts/{part_id}/refuser" in refused.headers["Location"]
    assert unticked.status_code == 422
    assert "Cochez la case pour confirmer le refus" in text_of(unticked)
    assert _status(app, OrderPart, part_id) == "received"


def test_refusing_a_part_with_the_confirmation_refuses_it(app, client, auth, world, make_user):
    _order_id, part_id = _order(app, world, make_user, keeper="baker@example.org")
    auth.login("baker@example.org")
    token = csrf_token(client, f"/preparation/parts/{part_id}/refuser")

    refused = client.post(f"/preparation/parts/{part_id}/refuser", data={"csrf_token": token, "confirm": "y"})

    assert refused.status_code == 302
    assert _status(app, OrderPart, part_id) == "rejected"


def test_other_moves_need_no_confirmation(app, client, auth, world, make_user):
    _order_id, part_id = _order(app, world, make_user, keeper="baker@example.org")
    auth.login("baker@example.org")
    token = csrf_token(client, "/preparation")

    moved = client.post(f"/preparation/parts/{part_id}/statut", data={"csrf_token": token, "status": "preparing"})

    assert moved.status_code == 302
    assert _status(app, OrderPart, part_id) == "preparing"
