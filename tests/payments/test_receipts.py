"""Residents' receipts: VAT per rate from TTC prices, refunds and the final amount, who may see one, the
PDF, the API's receipt_url, and the "thank you, here is your receipt" notice sent once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from shopapp.core.money import vat_within
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.orders import fulfilment
from shopapp.orders import notices as order_notices
from shopapp.orders.models import Order, OrderLine
from shopapp.payments import invoices, receipts, refunds, settlement
from tests.orders.conftest import World
from tests.orders.services import call, checkout, fill_basket

PASSWORD = "motdepasse1"


@pytest.fixture
def world(app, make_user) -> World:  # type: ignore[no-untyped-def]
    return World(app, make_user)


def _order(app: Any, world: World, make_user: Any) -> dict[str, Any]:
    """A pay-at-pickup order from two shops, awkward prices over the three VAT rates."""
    baker = world.shop("Boulangerie Aurore")
    grocer = world.shop("Épicerie du Marché")
    products = [
        (world.product(baker, "Baguette", 133, vat_rate_bp=550), 3),
        (world.product(baker, "Jus de pomme", 199, vat_rate_bp=550), 7),
        (world.product(baker, "Sandwich", 457, vat_rate_bp=1000), 1),
        (world.product(baker, "Sac isotherme", 1001, vat_rate_bp=2000), 1),
        (world.product(grocer, "Bougie", 7, vat_rate_bp=2000), 3),
        (world.product(grocer, "Thé", 1, vat_rate_bp=550), 1),
        (world.product(grocer, "Plat cuisiné", 1999, vat_rate_bp=1000), 2),
    ]
    user = make_user(email="alice@example.org")
    fill_basket(app, user, *products)
    order_id = checkout(app, user, world.slot())
    with app.app_context():
        parts = [(p.id, p.shop_id) for p in db.session.get(Order, order_id).parts]
        invoices.save_identity(baker, name="Aurore SARL", address="1 rue du Four", siret="44306184100047",
                               vat_number="FR83443061841")
        commit()
    return {"order": order_id, "user": user, "parts": parts, "baker": baker, "grocer": grocer}


def _collect(app: Any, o: dict[str, Any]) -> None:
    for part_id, shop_id in o["parts"]:
        for status in ("preparing", "ready", "at_venue"):
            call(app, fulfilment.set_part_status, part_id, status, shop_id=shop_id, actor_id=None)
    assert call(app, fulfilment.collect_order, o["order"], actor_id=None, paid_via="cash") == o["order"]
    with app.app_context():  # the worker's `orders.order_collected` job
        settlement.settle_collected_order(o["order"])
        commit()


def test_vat_within_a_price_rounds_half_up_and_leaves_the_rest_as_net() -> None:
    assert vat_within(1000, 2000) == 167
    assert vat_within(211, 550) == 11  # 10.998…
    assert vat_within(0, 1000) == 0
    with pytest.raises(ValueError):
        vat_within(-1, 550)


def test_receipt_vat_per_rate_is_the_sum_of_its_lines(app, world, make_user, client, auth):  # type: ignore[no-untyped-def]
    o = _order(app, world, make_user)
    _collect(app, o)
    with app.test_request_context():
        found = receipts.receipt_for(db.session.get(Order, o["order"]))
        lines = [line for shop in found.shops for line in shop.lines]
        assert {row.rate_bp for row in found.vat_rows} == {550, 1000, 2000}
        for rows, its_lines in [(found.vat_rows, lines)] + [(s.vat_rows, s.lines) for s in found.shops]:
            for row in rows:
                at_rate = [line for line in its_lines if line.vat_rate_bp == row.rate_bp]
                assert row.vat_cents == sum(line.vat_cents for line in at_rate)
                assert row.ttc_cents == sum(line.total_cents for line in at_rate)
                assert row.ht_cents + row.vat_cents == row.ttc_cents
        for row in found.vat_rows:  # the whole receipt's rate = the shops' rows at that rate
            shop_rows = [r for s in found.shops for r in s.vat_rows if r.rate_bp == row.rate_bp]
            assert row.vat_cents == sum(r.vat_cents for r in shop_rows)
        total = db.session.get(Order, o["order"]).total_cents
        assert found.total_cents == total == found.paid_cents == found.final_cents
        # 3 × 1,33 + 7 × 1,99 at 5,5 %: 0,21 + 0,73 (line by line), not 0,94 recomputed on the sum
        assert found.shops[0].vat_rows[0].vat_cents == vat_within(399, 550) + vat_within(1393, 550)

    auth.login("alice@example.org")
    page = client.get(f"/mes-commandes/{o['order']}/recu")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Aurore SARL" in text and "SIRET : 44306184100047" in text and "FR83443061841" in text
    assert "Épicerie du Marché" in text and "Espèces" in text and "Plat cuisiné" in text
    assert f"/mes-commandes/{o['order']}/recu.pdf" in text
    order_page = client.get(f"/mes-commandes/{o['order']}").get_data(as_text=True)
    assert f"/mes-commandes/{o['order']}/recu" in order_page


def test_a_refund_shows_and_the_final_amount_is_what_was_kept(app, world, make_user, client, auth):  # type: ignore[no-untyped-def]
    o = _order(app, world, make_user)
    _collect(app, o)
    with app.app_context():
        line = db.session.scalar(select(OrderLine).where(OrderLine.name == "Plat cuisiné"))
        refunds.refund_order(o["order"], actor_id=None, reason="abîmé", line_quantities={line.id: 1})
        commit()
        total = db.session.get(Order, o["order"]).total_cents
    with app.test_request_context():
        found = receipts.receipt_for(db.session.get(Order, o["order"]))
        assert found.refunded_cents == 1999
        assert found.final_cents == total - 1999 == found.paid_cents - 1999

    auth.login("alice@example.org")
    text = client.get(f"/mes-commandes/{o['order']}/recu").get_data(as_text=True)
    assert "Remboursement" in text and "19,99" in text
    final = text.split("receipt-final", 1)[1]
    assert f"{(total - 1999) // 100},{(total - 1999) % 100:02d}" in final[:200]


def test_only_the_resident_and_the_venue_see_a_receipt_and_only_once_paid(app, world, make_user, client, auth):  # type: ignore[no-untyped-def]
    o = _order(app, world, make_user)
    make_user(email="bob@example.org")
    make_user(email="desk@example.org", roles=("venue",))
    path = f"/mes-commandes/{o['order']}/recu"

    assert client.get(path).status_code in (302, 401)  # anonymous: log in first
    auth.login("alice@example.org")
    assert client.get(path).status_code == 404  # nothing paid or collected yet
    assert client.get(f"/api/v1/orders/{o['order']}").get_json()["receipt_url"] is None
    _collect(app, o)
    assert client.get(path).status_code == 200
    assert client.get(f"/api/v1/orders/{o['order']}").get_json()["receipt_url"].endswith(path)
    auth.logout()

    auth.login("bob@example.org")
    assert client.get(path).status_code == 404
    assert client.get(path + ".pdf").status_code == 404
    assert client.get("/mes-commandes/999999/recu").status_code == 404
    auth.logout()

    auth.login("desk@example.org")
    assert client.get(path).status_code == 200


def test_the_receipt_pdf_is_a_pdf_naming_the_order(app, world, make_user, client, auth):  # type: ignore[no-untyped-def]
    o = _order(app, world, make_user)
    _collect(app, o)
    auth.login("alice@example.org")
    response = client.get(f"/mes-commandes/{o['order']}/recu.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    body = response.get_data()
    assert body.startswith(b"%PDF")
    with app.app_context():
        number = db.session.get(Order, o["order"]).number
    assert f"recu-{number}.pdf" in response.headers["Content-Disposition"]


def test_the_collected_notice_carries_the_receipt_link_once(app, world, make_user, mail_outbox):  # type: ignore[no-untyped-def]
    o = _order(app, world, make_user)
    with app.app_context():
        assert order_notices.send_order_receipt(o["order"]) == 0  # not collected yet: nothing
    _collect(app, o)
    with app.app_context():
        assert order_notices.send_order_receipt(o["order"]) == 1
        assert order_notices.send_order_receipt(o["order"]) == 0  # a redelivered job sends nothing
    sent = [m for m in mail_outbox() if "reçu" in str(m["Subject"])]
    assert len(sent) == 1 and sent[0]["To"] == "alice@example.org"
    body = sent[0].get_body(preferencelist=("plain",)).get_content()
    assert f"/mes-commandes/{o['order']}/recu" in body and f"/mes-commandes/{o['order']}/recu.pdf" in body
