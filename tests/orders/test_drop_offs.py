"""Bag labels and drop-offs recorded at the desk: by label (API and page) or by hand with a reason."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from shopapp.catalog.tokens import issue_shop_token
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.orders import fulfilment
from shopapp.orders.models import CODE_ALPHABET, Order, OrderEvent, OrderPart
from tests.conftest import csrf_token, text_of
from tests.orders.services import call, checkout, fill_basket


@pytest.fixture
def two_shop_order(app, world, make_user):  # type: ignore[no-untyped-def]
    """A confirmed order with one part from each of two shops; returns (order_id, [part ids], [shop ids])."""
    bakery = world.shop("Boulangerie Aurore", keeper="baker@example.org")
    cheese = world.shop("Fromagerie du Marché", keeper="cheese@example.org")
    bread = world.product(bakery, "Baguette")
    comte = world.product(cheese, "Comté", 900)
    slot = world.slot()
    resident = make_user(email="res@example.org", name="Camille Martin")
    make_user(email="desk@example.org", roles=("venue",))
    fill_basket(app, resident, (bread, 2), (comte, 1))
    order_id = checkout(app, resident, slot)
    with app.app_context():
        parts = db.session.scalars(select(OrderPart).where(OrderPart.order_id == order_id)
                                   .order_by(OrderPart.id)).all()
        return order_id, [p.id for p in parts], [p.shop_id for p in parts]


def _ready(app, part_id: int, shop_id: int) -> None:  # type: ignore[no-untyped-def]
    for status in ("preparing", "ready"):
        assert call(app, fulfilment.set_part_status, part_id, status, shop_id=shop_id, actor_id=None) == part_id


def _label(app, part_id: int) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.get_one(OrderPart, part_id).label


def _token(client, email):  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/auth/token", json={"email": email, "password": "motdepasse1"})
    return {"Authorization": f"Bearer {response.json['token']}"}


def _status(app, order_id: int) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    with app.app_context():
        order = db.session.get_one(Order, order_id)
        return order.status, [p.status for p in order.parts]


def test_every_part_gets_a_unique_typable_label(app, two_shop_order):
    _order_id, parts, _shops = two_shop_order
    labels = [_label(app, p) for p in parts]
    assert len(set(labels)) == 2
    assert all(len(label) == 6 and set(label) <= set(CODE_ALPHABET) for label in labels)


def test_labels_are_unique_in_the_schema(app, two_shop_order):
    _order_id, parts, _shops = two_shop_order
    taken = _label(app, parts[0])
    with app.app_context():
        db.session.get_one(OrderPart, parts[1]).label = taken
        with pytest.raises(Exception):  # noqa: B017 - IntegrityError, wrapped differently by each driver
            db.session.flush()
        db.session.rollback()


def test_venue_records_drop_offs_by_label_and_the_order_becomes_ready(app, client, two_shop_order):
    order_id, parts, shops = two_shop_order
    for part, shop in zip(parts, shops, strict=True):
        _ready(app, part, shop)
    h = _token(client, "desk@example.org")

    first = client.post("/api/v1/venue/drop-offs", json={"label": _label(app, parts[0]).lower()}, headers=h)
    again = client.post("/api/v1/venue/drop-offs", json={"label": _label(app, parts[0])}, headers=h)
    assert _status(app, order_id) == ("confirmed", ["at_venue", "ready"])
    second = client.post("/api/v1/venue/drop-offs", json={"label": _label(app, parts[1])}, headers=h)

    assert first.status_code == 200, first.json
    assert (first.json["id"], first.json["status"], first.json["all_at_venue"]) == (parts[0], "at_venue", False)
    assert first.json["label"] == _label(app, parts[0])
    assert first.json["merchant"]["name"] == "Boulangerie Aurore"
    assert again.status_code == 200 and again.json["status"] == "at_venue"
    assert second.status_code == 200 and second.json["all_at_venue"] is True
    assert _status(app, order_id) == ("ready_for_pickup", ["at_venue", "at_venue"])
    with app.app_context():
        desk_id = db.session.scalar(select(Order.user_id).where(Order.id == order_id))
        events = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id,
                                                             OrderEvent.to_status == "at_venue")
                                        .order_by(OrderEvent.id)).all()
        assert [(e.part_id, e.from_status, e.note) for e in events] == [
            (parts[0], "ready", "comptoir (étiquette)"), (parts[1], "ready", "comptoir (étiquette)")]
        assert all(e.actor_id is not None and e.actor_id != desk_id for e in events)


def test_drop_off_api_404_unknown_409_not_ready_and_already_collected(app, client, two_shop_order):
    order_id, parts, shops = two_shop_order
    h = _token(client, "desk@example.org")

    unknown = client.post("/api/v1/venue/drop-offs", json={"label": "ZZZZZZZ"}, headers=h)
    not_ready = client.post("/api/v1/venue/drop-offs", json={"label": _label(app, parts[0])}, headers=h)
    empty = client.post("/api/v1/venue/drop-offs", json={"label": ""}, headers=h)
    for part, shop in zip(parts, shops, strict=True):
        _ready(app, part, shop)
        client.post("/api/v1/venue/drop-offs", json={"label": _label(app, part)}, headers=h)
    collected = client.post(f"/api/v1/venue/orders/{order_id}/collect", json={"paid_via": "cash"}, headers=h)
    after = client.post("/api/v1/venue/drop-offs", json={"label": _label(app, parts[0])}, headers=h)

    assert unknown.status_code == 404 and unknown.json["error"]["code"] == "unknown_label"
    assert not_ready.status_code == 409 and not_ready.json["error"]["code"] == "part_not_ready"
    assert empty.status_code == 422
    assert collected.status_code == 200
    assert after.status_code == 409 and after.json["error"]["code"] == "already_collected"


def test_drop_off_api_is_refused_to_residents_shopkeepers_and_shop_tokens(app, client, two_shop_order):
    _order_id, parts, shops = two_shop_order
    _ready(app, parts[0], shops[0])
    label = _label(app, parts[0])
    with app.app_context():
        _row, own_token = issue_shop_token(shops[0], "Caisse", actor_id=None)
        _row, other_token = issue_shop_token(shops[1], "Caisse", actor_id=None)
        commit()

    answers = [
        client.post("/api/v1/venue/drop-offs", json={"label": label}, headers=_token(client, "res@example.org")),
        client.post("/api/v1/venue/drop-offs", json={"label": label}, headers=_token(client, "baker@example.org")),
        client.post("/api/v1/venue/drop-offs", json={"label": label},
                    headers={"Authorization": f"Bearer {own_token}"}),
        client.post("/api/v1/venue/drop-offs", json={"label": label},
                    headers={"Authorization": f"Bearer {other_token}"}),
        client.post("/api/v1/venue/drop-offs", json={"label": label}),
    ]

    assert [a.status_code for a in answers][:2] == [403, 403]
    assert all(a.status_code in (401, 403) and "error" in a.json for a in answers)
    assert _status(app, _order_id)[1][0] == "ready"


def test_desk_page_records_a_scanned_label_and_shows_the_last_scans(app, client, auth, two_shop_order):
    order_id, parts, shops = two_shop_order
    _ready(app, parts[0], shops[0])
    auth.login("desk@example.org")
    token = csrf_token(client, "/comptoir/depots")

    ok = client.post("/comptoir/depots", data={"label": f" {_label(app, parts[0]).lower()}\n", "csrf_token": token})
    page = client.get("/comptoir/depots")
    refused = client.post("/comptoir/depots", data={"label": _label(app, parts[1]), "csrf_token": token},
                          follow_redirects=True)
    unknown = client.post("/comptoir/depots", data={"label": "NOPE99", "csrf_token": token}, follow_redirects=True)
    blank = client.post("/comptoir/depots", data={"label": "", "csrf_token": token})

    assert ok.status_code == 302 and ok.headers["Location"].endswith("/comptoir/depots")
    html = page.get_data(as_text=True)
    assert 'class="scan-result scan-ok"' in html and 'aria-live="polite"' in html
    assert "Sac de Boulangerie Aurore déposé" in html and "1 part attendue encore" in html
    assert re.search(r'<input id="label"[^>]*autofocus', html)
    assert _label(app, parts[0]) in html.split("Derniers dépôts")[1]
    assert "scan-error" in refused.get_data(as_text=True) and "pas prête" in text_of(refused)
    assert "Étiquette inconnue" in text_of(unknown)
    assert blank.status_code == 422
    assert _status(app, order_id) == ("confirmed", ["at_venue", "received"])
    assert "Dépôts des boutiques" in client.get("/comptoir").get_data(as_text=True)


def test_desk_page_is_refused_to_residents_and_shopkeepers(client, auth, two_shop_order):
    auth.login("res@example.org")
    assert client.get("/comptoir/depots").status_code == 403
    auth.logout()
    auth.login("baker@example.org")
    assert client.get("/comptoir/depots").status_code == 403
    assert client.post("/comptoir/depots", data={"label": "ABCDEF"}).status_code in (400, 403)


def test_manual_drop_off_needs_a_reason_and_is_audited(app, client, auth, two_shop_order):
    order_id, parts, shops = two_shop_order
    _ready(app, parts[1], shops[1])
    auth.login("desk@example.org")
    page = f"/comptoir/commandes/{order_id}"
    token = csrf_token(client, page)
    action = f"/comptoir/commandes/{order_id}/parts/{parts[1]}/depot"

    assert f'action="{action}"' in client.get(page).get_data(as_text=True)
    blank = client.post(action, data={"reason": "   ", "csrf_token": token})
    assert _status(app, order_id)[1] == ["received", "ready"]
    done = client.post(action, data={"reason": "Étiquette déchirée, sac apporté par le fromager", "csrf_token": token})
    not_ready = client.post(f"/comptoir/commandes/{order_id}/parts/{parts[0]}/depot",
                            data={"reason": "oubli", "csrf_token": token})
    wrong_order = client.post(f"/comptoir/commandes/{order_id + 999}/parts/{parts[0]}/depot",
                              data={"reason": "oubli", "csrf_token": token})

    assert blank.status_code == 422 and "Indiquez la raison" in text_of(blank)
    assert done.status_code == 302
    assert not_ready.status_code == 422 and "pas prête" in text_of(not_ready)
    assert wrong_order.status_code == 404
    assert _status(app, order_id)[1] == ["received", "at_venue"]
    with app.app_context():
        event = db.session.scalars(select(OrderEvent).where(OrderEvent.part_id == parts[1],
                                                            OrderEvent.to_status == "at_venue")).one()
        assert event.note == "comptoir (saisie manuelle) : Étiquette déchirée, sac apporté par le fromager"
        assert event.actor_id is not None


def test_manual_drop_off_service_refuses_a_missing_reason(app, two_shop_order):
    _order_id, parts, shops = two_shop_order
    _ready(app, parts[0], shops[0])
    error = call(app, fulfilment.desk_drop_off, parts[0], actor_id=1, via=fulfilment.DROP_OFF_MANUAL, reason=" ")
    assert error.status == 422 and "reason" in error.fields


def test_shop_prints_a_bag_label_with_qr_code_and_code(app, client, auth, two_shop_order):
    order_id, parts, shops = two_shop_order
    _ready(app, parts[0], shops[0])
    auth.login("baker@example.org")
    label = _label(app, parts[0])

    page = client.get(f"/preparation/parts/{parts[0]}/etiquette?bags=3")
    default = client.get(f"/preparation/parts/{parts[0]}/etiquette?bags=abc")
    others = client.get(f"/preparation/parts/{parts[1]}/etiquette")
    listing = client.get("/preparation").get_data(as_text=True)

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<svg" in html and f'<p class="label-code">{label}</p>' in html
    assert 'viewBox="0 0 174 174"' in html  # a full 21-module QR code (not Micro QR), with its quiet zone
    assert "Camille Martin" in html and "3 sacs" in html
    with app.app_context():
        assert db.session.get_one(Order, order_id).number in html
    assert default.status_code == 200 and "1 sac" in text_of(default)
    assert others.status_code == 404
    assert f"/preparation/parts/{parts[0]}/etiquette" in listing
