"""Refunds of orders paid at pickup: nothing is due for a part rejected before collection; after the
desk took the money, a shop part (whole or some lines) is given back at the desk, the way it was paid,
and enters the same ledger as a card refund; never more than what was paid.

Real parts: the checkout API, the shops' and desk's services, the desk's refund page, the ledger, and
the Connect fake (tests/support/stripe_connect_fake.py) for the transfers and their reversal.
"""

from __future__ import annotations

from sqlalchemy import func, select

from shopapp.catalog.models import Shop
from shopapp.core.transaction import commit
from shopapp.dev.invariants import check_invariants
from shopapp.extensions import db
from shopapp.orders import fulfilment
from shopapp.orders.models import OrderLine, OrderPart
from shopapp.payments import ledger, payouts, refunds, settlement
from shopapp.payments.models import CardPaymentStatus, LedgerEntry, Payment, Payout, Refund, RefundStatus
from tests.checkout.flow import bring_to_venue_and_collect, order_by_api, token_headers
from tests.conftest import csrf_token, text_of


def _two_shop_pickup_order(app, client, world, make_user, connect_fake=None) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """Bread 3 × 3,35 € at 10 % and Comté 12,99 € at 7,5 %, paid at pickup. → (order, bread part, cheese part)."""
    bakery, cheese = world.shop("Boulangerie"), world.shop("Fromagerie")
    with app.app_context():
        for shop_id, rate in ((bakery, 1000), (cheese, 750)):
            shop = db.session.get(Shop, shop_id)
            shop.commission_rate_bps = rate
            shop.stripe_account_id = connect_fake.add_account() if connect_fake else None
        commit()
    bread, comte = world.product(bakery, "Pain", 335, stock=10), world.product(cheese, "Comté", 1299, stock=10)
    make_user(email="res@example.org")
    created = order_by_api(
        client, token_headers(client, "res@example.org"), world.slot(), [(bread, 3), (comte, 1)], method="at_pickup"
    )
    assert created.status_code == 201 and created.json["status"] == "confirmed"
    order_id = created.json["id"]
    with app.app_context():
        bread_part, cheese_part = db.session.scalars(
            select(OrderPart.id).where(OrderPart.order_id == order_id).order_by(OrderPart.id)
        ).all()
    return order_id, bread_part, cheese_part


def _desk(client, auth, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user(email="desk@example.org", roles=("venue",))
    auth.login("desk@example.org")


def _refund_page_post(client, order_id: int, **fields: str):  # type: ignore[no-untyped-def]
    page = f"/comptoir/commandes/{order_id}/remboursement"
    return client.post(page, data={"csrf_token": csrf_token(client, page), **fields})


def _part_kinds(part_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(LedgerEntry.kind, func.sum(LedgerEntry.amount_cents))
        .where(LedgerEntry.part_id == part_id)
        .group_by(LedgerEntry.kind)
    ).all()
    return {str(kind): int(total) for kind, total in rows}


def test_part_rejected_before_collection_is_no_longer_due(
    app, client, auth, world, make_user, mail_outbox, no_dispatch
):  # type: ignore[no-untyped-def]
    from shopapp.orders.notices import send_part_rejected

    order_id, bread_part, cheese_part = _two_shop_pickup_order(app, client, world, make_user)
    with app.app_context():
        part = db.session.get(OrderPart, bread_part)
        fulfilment.set_part_status(bread_part, "rejected", shop_id=part.shop_id, actor_id=None)
        commit()
        assert refunds.refund_due(order_id) == []
        send_part_rejected(bread_part)
        commit()
    (notice,) = mail_outbox()
    body = notice.get_body(preferencelist=("plain",)).get_content()
    assert "Vous n'aurez pas à payer ces articles (10,05\u00a0€ de moins)." in body
    assert "remboursé" not in body

    _desk(client, auth, make_user)
    page = client.get(f"/comptoir/commandes/{order_id}/remboursement")
    refused = _refund_page_post(client, order_id, scope=f"part-{bread_part}")
    assert "Commande à payer au retrait, pas encore payée : il n'y a rien à rembourser." in text_of(page)
    assert refused.status_code == 422
    assert "n'a pas encore été payée : il n'y a rien à rembourser" in text_of(refused)

    with app.app_context():
        cheese_shop = db.session.get(OrderPart, cheese_part).shop_id
        for status in ("preparing", "ready", "at_venue"):
            fulfilment.set_part_status(cheese_part, status, shop_id=cheese_shop, actor_id=None)
        commit()
        fulfilment.collect_order(order_id, actor_id=None, paid_via="cash")
        commit()
        settlement.settle_collected_order(order_id)
        commit()
        payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
        assert (payment.status, payment.amount_captured_cents) == (CardPaymentStatus.SUCCEEDED, 1299)
        assert _part_kinds(bread_part) == {}
        assert _part_kinds(cheese_part) == {"pickup_receipt": 1299, "commission": -97, "commission_vat": -19}
    # The rejected part was never paid: it cannot be refunded after collection either.
    again = _refund_page_post(client, order_id, scope=f"part-{bread_part}")
    assert again.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Refund)) == 0
        assert db.session.scalar(select(Payment.amount_refunded_cents)) == 0
        assert check_invariants() == []


def test_desk_refunds_a_shop_part_paid_in_cash_right_after_collection(
    app, client, auth, world, make_user, connect_fake, no_dispatch
):  # type: ignore[no-untyped-def]
    order_id, bread_part, cheese_part = _two_shop_pickup_order(app, client, world, make_user, connect_fake)
    bring_to_venue_and_collect(app, order_id, paid_via="cash")
    _desk(client, auth, make_user)

    # Before the worker settled the collection: the refund settles the part first, then posts.
    page = client.get(f"/comptoir/commandes/{order_id}/remboursement")
    done = _refund_page_post(client, order_id, scope=f"part-{bread_part}", reason="pain rassis")
    assert "le remboursement se fait au comptoir, en espèces" in text_of(page)
    assert done.status_code == 302
    assert "rendez 10,05\u00a0€ en espèces au client" in text_of(client.get(done.headers["Location"]))
    with app.app_context():
        (refund,) = db.session.scalars(select(Refund)).all()
        assert (refund.part_id, refund.amount_cents, refund.status, refund.stripe_refund_id, refund.reason) == (
            bread_part,
            1005,
            RefundStatus.SUCCEEDED,
            None,
            "pain rassis",
        )
        payment = db.session.get(Payment, refund.payment_id)
        assert (payment.amount_captured_cents, payment.amount_refunded_cents) == (2304, 1005)
        # Same entries as a card refund: the refund, the commission (and its VAT) given back.
        assert _part_kinds(bread_part) == {
            "pickup_receipt": 1005,
            "commission": 0,
            "commission_vat": 0,
            "refund": -1005,
        }

        settlement.settle_collected_order(order_id)  # the worker's late job posts nothing new
        commit()
        assert _part_kinds(bread_part)["pickup_receipt"] == 1005
        for part_id in (bread_part, cheese_part):
            payouts.pay_out_part(part_id)
        commit()
        amounts = dict(db.session.execute(select(Payout.part_id, Payout.amount_cents)).all())
        assert amounts == {bread_part: 0, cheese_part: 1183}
        assert ledger.part_balance(bread_part) == 0 and ledger.part_balance(cheese_part) == 0
    assert sorted(t["amount"] for t in connect_fake.transfers) == [1183]  # nothing to pay the bakery

    over = _refund_page_post(client, order_id, scope=f"part-{bread_part}")
    whole = _refund_page_post(client, order_id, scope="order")
    assert over.status_code == 422 and "dépasse ce qui reste remboursable" in text_of(over)
    assert whole.status_code == 302  # what remains: the cheese part
    with app.app_context():
        rows = db.session.execute(select(Refund.part_id, Refund.amount_cents).order_by(Refund.id)).all()
        assert [tuple(r) for r in rows] == [(bread_part, 1005), (cheese_part, 1299)]
        assert db.session.scalar(select(Payment.amount_refunded_cents)) == 2304
        assert check_invariants() == []


def test_partial_refund_on_the_card_terminal_after_payout_reverses_the_shop_share(
    app, client, auth, world, make_user, connect_fake, no_dispatch
):  # type: ignore[no-untyped-def]
    order_id, bread_part, _cheese_part = _two_shop_pickup_order(app, client, world, make_user, connect_fake)
    bring_to_venue_and_collect(app, order_id, paid_via="card_terminal")
    with app.app_context():
        settlement.settle_collected_order(order_id)
        commit()
        payouts.pay_out_part(bread_part)
        commit()
        bread_line = db.session.scalar(select(OrderLine.id).where(OrderLine.part_id == bread_part))
    _desk(client, auth, make_user)

    done = _refund_page_post(client, order_id, scope="lines", **{f"line-{bread_line}": "1"})
    assert done.status_code == 302
    assert "remboursez 3,35\u00a0€ sur le terminal de paiement" in text_of(client.get(done.headers["Location"]))
    with app.app_context():
        (refund,) = db.session.scalars(select(Refund)).all()
        assert (refund.amount_cents, refund.status) == (335, RefundStatus.SUCCEEDED)
        payouts.reverse_for_refund(refund.id)
        payouts.reverse_for_refund(refund.id)  # a redelivered job reverses nothing more
        commit()
        # 335 at 10 %: 34 of commission and 7 of VAT given back (half-up), 294 taken back from the bakery's transfer.
        assert _part_kinds(bread_part) == {
            "pickup_receipt": 1005,
            "commission": -101 + 34,
            "commission_vat": -20 + 7,
            "payout": -884,
            "refund": -335,
            "transfer_reversal": 294,
        }
        assert ledger.part_balance(bread_part) == 0
        assert db.session.scalar(select(Payout.amount_reversed_cents).where(Payout.part_id == bread_part)) == 294
    (transfer,) = connect_fake.transfers
    assert (transfer["amount"], transfer["amount_reversed"]) == (884, 294)

    # Three loaves were bought, one given back: three more is more than what remains on the part.
    over = _refund_page_post(client, order_id, scope="lines", **{f"line-{bread_line}": "3"})
    assert over.status_code == 422 and "dépasse ce qui reste remboursable" in text_of(over)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Refund)) == 1
        assert refunds.part_refundable_cents(bread_part) == 670
        assert check_invariants() == []
