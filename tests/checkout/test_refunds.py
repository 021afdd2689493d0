"""Refunds from the desk's page: one shop's part, over-refund refused, a rejected part refunded by itself."""

from __future__ import annotations

from sqlalchemy import select

from shopapp.core.db import commit
from shopapp.extensions import db
from shopapp.orders import fulfilment
from shopapp.orders.models import OrderPart
from shopapp.payments import refunds
from shopapp.payments.models import Payment, Refund, RefundStatus
from tests.checkout.flow import deliver, intent_of, order_by_api, token_headers
from tests.conftest import csrf_token
from tests.payments.conftest import pay_on_localstripe


def _paid_two_shop_order(app, client, world, make_user, localstripe) -> tuple[int, list[int]]:  # type: ignore[no-untyped-def]
    bakery, cheese = world.shop("Boulangerie"), world.shop("Fromagerie")
    bread, comte = world.product(bakery, "Pain", 335, stock=10), world.product(cheese, "Comté", 1299, stock=10)
    make_user(email="res@example.org")
    order_id = order_by_api(client, token_headers(client, "res@example.org"), world.slot(),
                            [(bread, 3), (comte, 1)]).json["id"]
    intent = intent_of(app, order_id)
    pay_on_localstripe(localstripe, intent)
    assert deliver(client, "evt_ok", "payment_intent.succeeded", intent).status_code == 200
    with app.app_context():
        parts = list(db.session.scalars(select(OrderPart.id).where(OrderPart.order_id == order_id)
                                        .order_by(OrderPart.id)))
    return order_id, parts


def test_desk_refunds_one_shop_part_then_refuses_more(app, client, auth, world, make_user, localstripe,
                                                     no_dispatch):  # type: ignore[no-untyped-def]
    order_id, (bakery_part, _cheese_part) = _paid_two_shop_order(app, client, world, make_user, localstripe)
    make_user(email="desk@example.org", roles=("venue",))
    auth.login("desk@example.org")
    page = f"/comptoir/commandes/{order_id}/remboursement"

    done = client.post(page, data={"csrf_token": csrf_token(client, page), "scope": f"part-{bakery_part}",
                                   "reason": "produit abîmé"})
    again = client.post(page, data={"csrf_token": csrf_token(client, page), "scope": f"part-{bakery_part}"})

    assert done.status_code == 302 and again.status_code == 422
    with app.app_context():
        (refund,) = db.session.scalars(select(Refund)).all()
        assert (refund.part_id, refund.amount_cents) == (bakery_part, 1005)
        refunds.execute_refund(refund.id)
        commit()
        assert db.session.get(Refund, refund.id).status == RefundStatus.SUCCEEDED
        payment = db.session.scalar(select(Payment))
        assert (payment.amount_captured_cents, payment.amount_refunded_cents) == (2304, 1005)


def test_rejected_part_of_a_paid_card_order_is_refunded_once(app, client, world, make_user, localstripe,
                                                            no_dispatch):  # type: ignore[no-untyped-def]
    order_id, (bakery_part, _cheese_part) = _paid_two_shop_order(app, client, world, make_user, localstripe)
    with app.app_context():
        part = db.session.get(OrderPart, bakery_part)
        fulfilment.set_part_status(bakery_part, "rejected", shop_id=part.shop_id, actor_id=None)
        commit()
        refunds.refund_due(order_id)
        refunds.refund_due(order_id)
        commit()
        rows = db.session.execute(select(Refund.part_id, Refund.amount_cents, Refund.reason)).all()
    assert [tuple(r) for r in rows] == [(bakery_part, 1005, "part_not_supplied")]
