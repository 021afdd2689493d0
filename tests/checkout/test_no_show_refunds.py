"""Card-paid no-shows: the association's policy applied once per order, to the cent, in the ledger and
the resident's notice; pay-at-pickup no-shows unchanged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from shopapp.core.clock import as_utc
from shopapp.core.transaction import commit
from shopapp.dev.invariants import check_invariants
from shopapp.extensions import db
from shopapp.notices.rendering import Recipient, render_mail
from shopapp.orders import fulfilment
from shopapp.orders.models import Order, OrderPart, PickupSlot
from shopapp.orders.notices import _load_context
from shopapp.payments import refunds
from shopapp.payments.models import Payment, Refund, RefundStatus
from shopapp.venue.models import Venue
from tests.checkout.flow import deliver, intent_of, order_by_api, token_headers
from tests.payments.conftest import pay_on_localstripe

BREAD, COMTE = 3 * 335, 1299  # the two parts, 2 304 cents in all


def _no_show(app, client, world, make_user, localstripe, *, policy="refund", fee_cents=0,
             method="card") -> int:  # type: ignore[no-untyped-def]
    """A two-shop order paid by card (or at pickup), ready at the venue, past its holding period."""
    with app.app_context():
        venue = db.session.get(Venue, world.venue_id)
        venue.no_show_policy, venue.no_show_fee_cents = policy, fee_cents
        commit()
    bakery, cheese = world.shop("Boulangerie"), world.shop("Fromagerie")
    bread, comte = world.product(bakery, "Pain", 335, stock=10), world.product(cheese, "Comté", 1299, stock=10)
    make_user(email="res@example.org")
    order_id = order_by_api(client, token_headers(client, "res@example.org"), world.slot(),
                            [(bread, 3), (comte, 1)], method=method).json["id"]
    if method == "card":
        intent = intent_of(app, order_id)
        pay_on_localstripe(localstripe, intent)
        assert deliver(client, "evt_ok", "payment_intent.succeeded", intent).status_code == 200
    with app.app_context():
        for part in db.session.scalars(select(OrderPart).where(OrderPart.order_id == order_id)).all():
            for status in ("preparing", "ready", "at_venue"):
                fulfilment.set_part_status(part.id, status, shop_id=part.shop_id, actor_id=None)
        commit()
        order = db.session.get(Order, order_id)
        slot = db.session.get(PickupSlot, order.pickup_slot_id)
        holding = db.session.get(Venue, world.venue_id).holding_minutes
        late = as_utc(slot.ends_at) + timedelta(minutes=holding + 60)
        assert fulfilment.mark_no_shows(now=late) == 1
        commit()
    return order_id


def _apply_twice(app, order_id: int) -> list[tuple[int, int, str]]:  # type: ignore[no-untyped-def]
    """Run the worker's no-show step twice (a second beat, a retry), send the refunds to Stripe."""
    with app.app_context():
        refunds.refund_no_show(order_id)
        commit()
        refunds.refund_no_show(order_id)
        commit()
        for refund_id in db.session.scalars(select(Refund.id).order_by(Refund.id)).all():
            refunds.execute_refund(refund_id)
            refunds.execute_refund(refund_id)
            commit()
        rows = db.session.execute(select(Refund.part_id, Refund.amount_cents, Refund.status)
                                  .order_by(Refund.id)).all()
        assert check_invariants() == []
        return [tuple(r) for r in rows]


def _parts(app, order_id: int) -> list[int]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return list(db.session.scalars(select(OrderPart.id).where(OrderPart.order_id == order_id)
                                       .order_by(OrderPart.id)))


def _notice(app, order_id: int) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    with app.app_context(), app.test_request_context():
        ctx = _load_context(order_id)
        assert ctx is not None
        mail = render_mail("order_no_show", Recipient(email="res@example.org", locale="fr"), **ctx.as_dict())
        return " ".join(mail.text.split()), mail.html or ""


def _refunded(app) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with app.app_context():
        payment = db.session.scalar(select(Payment))
        return payment.amount_captured_cents, payment.amount_refunded_cents


def test_full_refund_by_default_once(app, client, world, make_user, localstripe, no_dispatch):  # type: ignore[no-untyped-def]
    order_id = _no_show(app, client, world, make_user, localstripe)
    bread_part, cheese_part = _parts(app, order_id)

    rows = _apply_twice(app, order_id)

    assert rows == [(bread_part, BREAD, RefundStatus.SUCCEEDED), (cheese_part, COMTE, RefundStatus.SUCCEEDED)]
    assert _refunded(app) == (2304, 2304)
    text, html = _notice(app, order_id)
    assert "Votre paiement de 23,04 € vous est remboursé en entier" in text.replace("\u202f", " ").replace("\xa0", " ")
    assert "remboursé en entier" in html


def test_refund_minus_a_fee_keeps_the_fee_to_the_cent(app, client, world, make_user, localstripe,
                                                     no_dispatch):  # type: ignore[no-untyped-def]
    order_id = _no_show(app, client, world, make_user, localstripe, policy="fee", fee_cents=250)
    bread_part, cheese_part = _parts(app, order_id)

    rows = _apply_twice(app, order_id)

    # Spread in part order: the bakery's part in full, the fee kept on the cheese shop's.
    assert rows == [(bread_part, BREAD, RefundStatus.SUCCEEDED),
                    (cheese_part, COMTE - 250, RefundStatus.SUCCEEDED)]
    assert _refunded(app) == (2304, 2054)
    text, _html = _notice(app, order_id)
    text = text.replace("\u202f", " ").replace("\xa0", " ")
    assert "2,50 € de frais sont retenus : 20,54 € vous sont remboursés" in text


def test_a_fee_larger_than_the_order_keeps_what_was_paid_never_more(app, client, world, make_user, localstripe,
                                                                   no_dispatch):  # type: ignore[no-untyped-def]
    order_id = _no_show(app, client, world, make_user, localstripe, policy="fee", fee_cents=5000)

    rows = _apply_twice(app, order_id)

    assert rows == []
    assert _refunded(app) == (2304, 0)
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.no_show_refund_cents, order.no_show_fee_cents) == (0, 2304)
    text, _html = _notice(app, order_id)
    assert "il n'y a donc pas de remboursement" in text
    assert "23,04" in text.replace("\u202f", " ").replace("\xa0", " ")


def test_the_policy_in_force_when_marked_applies(app, client, world, make_user, localstripe,
                                                 no_dispatch):  # type: ignore[no-untyped-def]
    order_id = _no_show(app, client, world, make_user, localstripe, policy="fee", fee_cents=100)
    with app.app_context():  # the association changes its mind after the order was marked
        venue = db.session.get(Venue, world.venue_id)
        venue.no_show_policy, venue.no_show_fee_cents = "refund", 0
        commit()

    _apply_twice(app, order_id)

    assert _refunded(app) == (2304, 2204)


def test_a_pay_at_pickup_no_show_is_unchanged(app, client, world, make_user, localstripe,
                                              no_dispatch):  # type: ignore[no-untyped-def]
    order_id = _no_show(app, client, world, make_user, localstripe, policy="fee", fee_cents=250, method="at_pickup")

    with app.app_context():
        assert refunds.refund_no_show(order_id) == []
        order = db.session.get(Order, order_id)
        assert (order.payment_status, order.refund_due_cents) == ("void", 0)
        assert db.session.scalar(select(Refund.id)) is None
    text, _html = _notice(app, order_id)
    assert "Vous n'avez rien à payer." in text


def test_the_no_show_step_is_queued_once_for_a_card_order(app, client, world, make_user, localstripe,
                                                          no_dispatch):  # type: ignore[no-untyped-def]
    from shopapp.core.outbox import OutboxJob

    order_id = _no_show(app, client, world, make_user, localstripe)
    with app.app_context():
        jobs = db.session.scalars(select(OutboxJob.payload)
                                  .where(OutboxJob.task_name == fulfilment.NO_SHOW_REFUND_TASK))
        assert [job["order_id"] for job in jobs] == [order_id]


@pytest.mark.postgres
def test_two_workers_at_once_refund_once(app, client, world, make_user, localstripe, no_dispatch):  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    order_id = _no_show(app, client, world, make_user, localstripe, policy="fee", fee_cents=250)

    def run() -> int:
        with app.app_context():
            done = refunds.refund_no_show(order_id)
            commit()
            return len(done)

    with ThreadPoolExecutor(2) as pool:
        counts = sorted(pool.map(lambda _i: run(), range(2)))

    assert counts == [0, 2]
    assert _refunded(app) == (2304, 2054)


def test_pay_the_shops_settles_each_part_once_with_commission_withheld(app, client, world, make_user, localstripe,
                                                                       no_dispatch):  # type: ignore[no-untyped-def]
    from shopapp.payments import ledger, payouts, settlement
    from shopapp.payments.models import LedgerEntry, Payout

    order_id = _no_show(app, client, world, make_user, localstripe, policy="pay_shops")
    bread_part, cheese_part = _parts(app, order_id)

    with app.app_context():
        for _run in range(2):  # a second beat, a retry
            assert refunds.refund_no_show(order_id) == []
            assert settlement.settle_no_show_order(order_id) == 2
            commit()
        for part_id in (bread_part, cheese_part):
            payouts.pay_out_part(part_id)  # no connected account in this world: owed, pending
            commit()
        balances = [ledger.part_balance(p) for p in (bread_part, cheese_part)]
        kinds = sorted(db.session.execute(select(LedgerEntry.part_id, LedgerEntry.kind, LedgerEntry.amount_cents)
                                          .order_by(LedgerEntry.id)).all())
        payout_parts = sorted(db.session.scalars(select(Payout.part_id)))
        assert check_invariants() == []

    # 10 % commission and 20 % VAT on it, withheld: 10,05 € → 1,01 + 0,20 → 8,84 €; 12,99 € → 1,30 + 0,26 → 11,43 €.
    assert balances == [884, 1143]
    assert [(p, k) for p, k, _c in kinds].count((bread_part, "sale")) == 1
    assert payout_parts == [bread_part, cheese_part]
    assert _refunded(app) == (2304, 0)
    text, _html = _notice(app, order_id)
    text = text.replace("\u202f", " ").replace("\xa0", " ")
    assert "les commerçants sont payés, votre paiement de 23,04 € n'est donc pas remboursé" in text


def test_pay_the_shops_is_offered_and_says_the_whole_order_counts_as_perishable(app, client, make_user, auth,
                                                                                world):  # type: ignore[no-untyped-def]
    make_user(email="admin@example.org", roles=("admin",))
    auth.login("admin@example.org")

    html = client.get("/association/reglages").get_data(as_text=True)

    assert 'value="pay_shops"' in html and "toute la commande compte comme périssable" in html
