"""A shop refuses one line of its part: the card payment gives back exactly that line, the desk takes
less on a pay-at-pickup order, the resident is told once, the ledger balances after settlement."""

from __future__ import annotations

from sqlalchemy import select

from shopapp.core.transaction import commit
from shopapp.dev.invariants import check_invariants
from shopapp.extensions import db
from shopapp.orders import fulfilment
from shopapp.orders.models import Order, OrderLine, OrderPart
from shopapp.orders.notices import send_line_refused
from shopapp.payments import ledger, refunds, settlement
from shopapp.payments.models import Payment, Refund, RefundStatus
from tests.checkout.flow import bring_to_venue_and_collect, deliver, intent_of, order_by_api, token_headers
from tests.payments.conftest import pay_on_localstripe


def _order(app, client, world, make_user, *, card: bool, localstripe=None):  # type: ignore[no-untyped-def]
    bakery, cheese = world.shop("Boulangerie"), world.shop("Fromagerie")
    bread = world.product(bakery, "Pain", 335, stock=10)
    croissant = world.product(bakery, "Croissant", 120, stock=10)
    comte = world.product(cheese, "Comté", 1299, stock=10)
    make_user(email="res@example.org")
    lines = [(bread, 3), (croissant, 2), (comte, 1)]
    if card:
        order_id = order_by_api(client, token_headers(client, "res@example.org"), world.slot(), lines).json["id"]
        intent = intent_of(app, order_id)
        pay_on_localstripe(localstripe, intent)
        assert deliver(client, "evt_ok", "payment_intent.succeeded", intent).status_code == 200
    else:
        order_id = order_by_api(client, token_headers(client, "res@example.org"), world.slot(), lines,
                                method="at_pickup").json["id"]
    with app.app_context():
        part = db.session.scalar(select(OrderPart).where(OrderPart.order_id == order_id, OrderPart.shop_id == bakery))
        croissant_line = next(line.id for line in part.lines if line.product_id == croissant)
        return order_id, part.id, bakery, croissant_line, croissant


def test_refusing_one_line_of_a_card_order_refunds_exactly_that_line(
    app, client, world, make_user, localstripe, mail_outbox, no_dispatch
):  # type: ignore[no-untyped-def]
    order_id, part_id, bakery, line_id, croissant = _order(app, client, world, make_user, card=True,
                                                           localstripe=localstripe)
    with app.app_context():
        fulfilment.refuse_line(part_id, line_id, "Produit abîmé", shop_id=bakery, actor_id=None)
        commit()
        order, part = db.session.get(Order, order_id), db.session.get(OrderPart, part_id)
        assert (order.total_cents, part.subtotal_cents, order.refund_due_cents) == (2304, 1005, 240)
        assert db.session.get(OrderLine, line_id).refusal_reason == "Produit abîmé"
        refunds.refund_refused_line(order_id, line_id)
        refunds.refund_refused_line(order_id, line_id)  # a redelivered job refunds nothing more
        refunds.refund_due(order_id)  # the part is still supplied: nothing to refund for it
        commit()
        (refund,) = db.session.scalars(select(Refund)).all()
        assert (refund.amount_cents, refund.part_id) == (240, None)
        refunds.execute_refund(refund.id)
        commit()
        assert db.session.get(Refund, refund.id).status == RefundStatus.SUCCEEDED
        payment = db.session.scalar(select(Payment))
        assert (payment.amount_captured_cents, payment.amount_refunded_cents) == (2544, 240)
        assert send_line_refused(line_id) == 1
        assert send_line_refused(line_id) == 0  # exactly once
        commit()
    assert world.stock(croissant) == (10, 0)
    (notice,) = mail_outbox()
    body = notice.get_body(preferencelist=("plain",)).get_content()
    assert "Croissant" in body and "Raison : Produit abîmé" in body
    assert "Cet article vous sera remboursé : 2,40\u00a0€." in body

    bring_to_venue_and_collect(app, order_id)
    with app.app_context():
        settlement.settle_collected_order(order_id)
        commit()
        kinds = dict((e.kind, e.amount_cents) for e in ledger.entries_for_part(part_id) if e.kind == "sale")
        assert kinds == {"sale": 1005}
        assert check_invariants() == []


def test_refusing_one_line_of_a_pay_at_pickup_order_lowers_what_the_desk_takes(
    app, client, world, make_user, no_dispatch
):  # type: ignore[no-untyped-def]
    order_id, part_id, bakery, line_id, _croissant = _order(app, client, world, make_user, card=False)
    with app.app_context():
        fulfilment.refuse_line(part_id, line_id, "Rupture de stock", shop_id=bakery, actor_id=None)
        commit()
        assert refunds.refund_refused_line(order_id, line_id) == []
        assert db.session.get(Order, order_id).total_cents == 2304
    bring_to_venue_and_collect(app, order_id, paid_via="cash")
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.paid_cents, order.refund_due_cents) == (2304, 0)
        settlement.settle_collected_order(order_id)
        commit()
        assert db.session.scalars(select(Refund)).all() == []
        assert check_invariants() == []
