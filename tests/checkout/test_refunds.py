"""Refunds from the desk's page: one shop's part, over-refund refused, a rejected part refunded by itself."""

from __future__ import annotations

from sqlalchemy import select

from shopapp.core.transaction import commit
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


def test_lines_refunded_before_collection_are_not_paid_out_to_the_shop(app, client, world, make_user, localstripe,
                                                                     connect_fake, no_dispatch):  # type: ignore[no-untyped-def]
    from shopapp.orders.models import OrderLine
    from shopapp.payments import ledger, payouts, settlement
    from tests.checkout.flow import bring_to_venue_and_collect

    order_id, (bakery_part, _cheese_part) = _paid_two_shop_order(app, client, world, make_user, localstripe)
    with app.app_context():
        bread_line = db.session.scalar(select(OrderLine.id).where(OrderLine.part_id == bakery_part))
        # One loaf of three was out of stock at preparation: refunded before the order is collected.
        (refund,) = refunds.refund_order(order_id, actor_id=None, reason="rupture", line_quantities={bread_line: 1})
        commit()
        refund_id = refund.id
        refunds.execute_refund(refund_id)
        commit()
        assert ledger.entries_for_part(bakery_part) == []  # nothing settled yet: nothing to correct
    bring_to_venue_and_collect(app, order_id)
    with app.app_context():
        settlement.settle_collected_order(order_id)
        settlement.settle_collected_order(order_id)  # a redelivered job posts nothing new
        commit()
        db.session.get(OrderPart, bakery_part).shop.stripe_account_id = connect_fake.add_account()
        commit()
        payout = payouts.pay_out_part(bakery_part)
        commit()
        # The refund's reversal job, enqueued when the refund was posted, runs after the transfer (another
        # worker, a redelivery): the transfer was already net of the refund, nothing is taken back.
        payouts.reverse_for_refund(refund_id)
        commit()
        kinds = sorted((e.kind, e.amount_cents) for e in ledger.entries_for_part(bakery_part))
        # 1005 sold at 10 %: 101 commission + 20 VAT; 335 refunded gives 34 + 7 back: the shop gets 590 (670 − 67 − 13).
        assert kinds == [("commission", -101), ("commission", 34), ("commission_vat", -20), ("commission_vat", 7),
                         ("payout", -590), ("refund", -335), ("sale", 1005)]
        assert (payout.status, payout.amount_cents, payout.amount_reversed_cents) == ("paid", 590, 0)
        assert ledger.part_balance(bakery_part) == 0
    (transfer,) = connect_fake.transfers
    assert (transfer["amount"], transfer["amount_reversed"]) == (590, 0)
