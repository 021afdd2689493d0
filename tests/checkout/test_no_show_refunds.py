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


def _two_shops(world, perishable: bool = False):  # type: ignore[no-untyped-def]
    bakery, cheese = world.shop("Boulangerie"), world.shop("Fromagerie")
    bread = world.product(bakery, "Pain", 335, stock=10, perishable=perishable)
    comte = world.product(cheese, "Comté", 1299, stock=10, perishable=perishable)
    return [(bread, 3), (comte, 1)]


def _no_show(app, client, world, make_user, localstripe, *, policy="refund", fee_cents=0,
             method="card", basket=_two_shops) -> int:  # type: ignore[no-untyped-def]
    """A two-shop order paid by card (or at pickup), ready at the venue, past its holding period."""
    with app.app_context():
        venue = db.session.get(Venue, world.venue_id)
        venue.no_show_policy, venue.no_show_fee_cents = policy, fee_cents
        commit()
    lines = basket(world)
    make_user(email="res@example.org")
    order_id = order_by_api(client, token_headers(client, "res@example.org"), world.slot(),
                            lines, method=method).json["id"]
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

    order_id = _no_show(app, client, world, make_user, localstripe, policy="pay_shops",
                        basket=lambda w: _two_shops(w, perishable=True))
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


def test_pay_the_shops_is_offered_for_the_products_marked_perishable(app, client, make_user, auth,
                                                                     world):  # type: ignore[no-untyped-def]
    make_user(email="admin@example.org", roles=("admin",))
    auth.login("admin@example.org")

    html = client.get("/association/reglages").get_data(as_text=True)

    assert 'value="pay_shops"' in html and "marque « périssable »" in html and "rembourser le reste" in html
    assert "toute la commande compte comme périssable" not in html


def _fee_rows(app) -> list[tuple[int, int, int, int]]:  # type: ignore[no-untyped-def]
    from shopapp.payments.models import NoShowFee

    with app.app_context():
        return [tuple(r) for r in db.session.execute(
            select(NoShowFee.order_id, NoShowFee.amount_cents, NoShowFee.ht_cents, NoShowFee.vat_cents))]


def test_the_fee_kept_is_the_associations_income_once_in_the_fec_the_receipt_and_its_figures(
        app, client, world, make_user, auth, localstripe, no_dispatch):  # type: ignore[no-untyped-def]
    from shopapp.core.clock import utcnow
    from shopapp.payments import fec, ledger

    order_id = _no_show(app, client, world, make_user, localstripe, policy="fee", fee_cents=250)

    _apply_twice(app, order_id)

    # 2,50 € kept with taxes: HT 2,08 € + VAT 0,42 € (20 %, the commission's rate), one row for the order.
    assert _fee_rows(app) == [(order_id, 250, 208, 42)]
    assert _refunded(app) == (2304, 2054)  # kept = captured − refunded, to the cent
    with app.app_context():
        number = db.session.get(Order, order_id).number
        assert ledger.balances() == {}  # no shop part is credited for an order nobody collected
        lines = [line.split("\t") for line in fec.fec_text(utcnow().year).splitlines()[1:]]
    nr = [(li[4], li[11], li[12]) for li in lines if li[0] == "NR" and li[8] == number]
    assert nr == [("511200", "2,50", "0,00"), ("708800", "0,00", "2,08"), ("445710", "0,00", "0,42")]

    auth.login("res@example.org")
    receipt = " ".join(client.get(f"/mes-commandes/{order_id}/recu").get_data(as_text=True).split())
    receipt = receipt.replace("\u202f", " ").replace("\xa0", " ")
    assert "Frais de commande non retirée, retenus par l'association" in receipt
    assert "2,50 € (dont TVA 20 % : 0,42 € ; HT 2,08 €)" in receipt
    assert '<strong>2,50 €</strong>' in receipt  # finally paid: 23,04 € − 20,54 € refunded
    auth.logout()
    make_user(email="admin@example.org", roles=("admin",))
    auth.login("admin@example.org")
    figures = " ".join(client.get("/association/commissions").get_data(as_text=True).split())
    figures = figures.replace("\u202f", " ").replace("\xa0", " ")
    assert "Frais de commandes non retirées" in figures
    assert "<td>1</td><td>2,08 €</td><td>0,42 €</td><td>2,50 €</td>" in figures


def test_a_fee_larger_than_the_order_keeps_all_it_paid_as_the_fee(app, client, world, make_user, localstripe,
                                                                  no_dispatch):  # type: ignore[no-untyped-def]
    order_id = _no_show(app, client, world, make_user, localstripe, policy="fee", fee_cents=5000)

    _apply_twice(app, order_id)

    # 23,04 € kept: VAT 3,84 € (23,04 × 20/120), HT 19,20 €.
    assert _fee_rows(app) == [(order_id, 2304, 1920, 384)]


@pytest.mark.parametrize("policy", ["refund", "pay_shops"])
def test_no_fee_is_recorded_under_the_other_policies(app, client, world, make_user, localstripe, no_dispatch,
                                                     policy):  # type: ignore[no-untyped-def]
    order_id = _no_show(app, client, world, make_user, localstripe, policy=policy, fee_cents=250)

    _apply_twice(app, order_id)

    assert _fee_rows(app) == []


def _mixed(world):  # type: ignore[no-untyped-def]
    """Bread (perishable) and a jar of jam (not) at the bakery, Comté (perishable) at the cheese shop, a
    book (not) at the bookshop: 14,55 € + 12,99 € + 18,00 € = 45,54 €."""
    bakery, cheese, books = world.shop("Boulangerie"), world.shop("Fromagerie"), world.shop("Librairie")
    return [(world.product(bakery, "Pain", 335, stock=10, perishable=True), 3),
            (world.product(bakery, "Confiture", 450, stock=10), 1),
            (world.product(cheese, "Comté", 1299, stock=10, perishable=True), 1),
            (world.product(books, "Roman", 1800, stock=10), 1)]


def test_pay_the_shops_pays_the_perishable_lines_and_refunds_the_rest_to_the_cent(
        app, client, world, make_user, localstripe, no_dispatch):  # type: ignore[no-untyped-def]
    from shopapp.core.outbox import OutboxJob
    from shopapp.payments import fec, ledger, payouts, settlement
    from shopapp.payments.models import LedgerEntry, Payout

    order_id = _no_show(app, client, world, make_user, localstripe, policy="pay_shops", basket=_mixed)
    bakery_part, cheese_part, book_part = _parts(app, order_id)

    def payout_jobs() -> list[int]:
        return sorted(job["part_id"] for job in db.session.scalars(
            select(OutboxJob.payload).where(OutboxJob.task_name == payouts.PAY_OUT_PART_TASK)))

    with app.app_context():
        order = db.session.get(Order, order_id)
        assert [p.perishable_cents for p in order.parts] == [1005, 1299, 0]
        assert (order.no_show_refund_cents, order.no_show_fee_cents) == (450 + 1800, 1005 + 1299)
        for _run in range(2):  # the worker's step, twice (a second beat, a retry)
            refunds.refund_no_show(order_id)
            assert settlement.settle_no_show_order(order_id) == 2  # the book's part has nothing perishable
            commit()
        # The cheese shop's part is all perishable: paid at once; the bakery's waits for its jam's refund.
        assert payout_jobs() == [cheese_part, cheese_part]
        for refund_id in db.session.scalars(select(Refund.id).order_by(Refund.id)).all():
            refunds.execute_refund(refund_id)
            refunds.execute_refund(refund_id)
            commit()
        assert payout_jobs() == [bakery_part, cheese_part, cheese_part]
        for part_id in (bakery_part, cheese_part):
            payouts.pay_out_part(part_id)  # no connected account in this world: owed, pending
            commit()
        refunded = [tuple(r) for r in db.session.execute(
            select(Refund.part_id, Refund.amount_cents, Refund.status).order_by(Refund.id))]
        balances = [ledger.part_balance(p) for p in (bakery_part, cheese_part, book_part)]
        bakery_rows = sorted((k, c) for k, c in db.session.execute(
            select(LedgerEntry.kind, LedgerEntry.amount_cents).where(LedgerEntry.part_id == bakery_part)))
        assert db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.part_id == book_part)) is None
        assert sorted(db.session.scalars(select(Payout.part_id))) == [bakery_part, cheese_part]
        payout_amounts = dict(db.session.execute(select(Payout.part_id, Payout.amount_cents)).tuples().all())
        lines = [line.split("\t") for line in fec.fec_text(utcnow_year()).splitlines()[1:]]
        assert check_invariants() == []

    assert refunded == [(bakery_part, 450, RefundStatus.SUCCEEDED), (book_part, 1800, RefundStatus.SUCCEEDED)]
    assert _refunded(app) == (4554, 2250)
    # Bakery: 14,55 € received, commission 10 % 1,46 € + VAT 0,29 €; the jam's 4,50 € refunded gives back
    # 0,45 € + 0,09 € → 8,84 € owed, exactly what the bread alone earns (10,05 − 1,01 − 0,20).
    assert bakery_rows == sorted([("sale", 1455), ("commission", -146), ("commission_vat", -29),
                                  ("refund", -450), ("commission", 45), ("commission_vat", 9)])
    # Cheese: 12,99 € → 1,30 + 0,26 withheld → 11,43 €. The book's part: refunded, nothing settled.
    assert balances == [884, 1143, 0]
    assert payout_amounts == {bakery_part: 884, cheese_part: 1143}
    # The FEC: each shop's account (467000) ends at what it is owed; the refunds leave the card account.
    shops: dict[str, int] = {}
    for li in lines:
        if li[4] == "467000":
            shops[li[6]] = shops.get(li[6], 0) + _cents(li[12]) - _cents(li[11])
    assert sorted(shops.values()) == [884, 1143]
    card = sum(_cents(li[11]) - _cents(li[12]) for li in lines if li[4] == "511200")
    assert card == 1455 + 1299 - 450  # the card account holds what was kept of the settled parts
    text, _html = _notice(app, order_id)
    text = text.replace("\u202f", " ").replace("\xa0", " ")
    assert "les commerçants sont payés pour ces produits (23,04 €) ; le reste, 22,50 €, vous est remboursé" in text


def test_pay_the_shops_with_nothing_perishable_refunds_everything(app, client, world, make_user, localstripe,
                                                                  no_dispatch):  # type: ignore[no-untyped-def]
    from shopapp.payments import settlement

    order_id = _no_show(app, client, world, make_user, localstripe, policy="pay_shops")

    rows = _apply_twice(app, order_id)

    bread_part, cheese_part = _parts(app, order_id)
    assert rows == [(bread_part, BREAD, RefundStatus.SUCCEEDED), (cheese_part, COMTE, RefundStatus.SUCCEEDED)]
    with app.app_context():
        assert settlement.settle_no_show_order(order_id) == 0
    assert _refunded(app) == (2304, 2304)
    text, _html = _notice(app, order_id)
    assert "vous est remboursé en entier" in text


def _cents(text: str) -> int:
    units, _, decimals = text.partition(",")
    return int(units) * 100 + int(decimals)


def utcnow_year() -> int:
    from shopapp.core.clock import utcnow

    return utcnow().year


def test_a_refund_of_the_rest_failing_for_good_still_pays_the_shops_for_their_perishable_goods(
        app, client, world, make_user, localstripe, connect_fake, no_dispatch, monkeypatch):  # type: ignore[no-untyped-def]
    from shopapp.core.outbox import OutboxJob
    from shopapp.orders.models import OrderLine
    from shopapp.payments import gateway, ledger, payouts, settlement
    from shopapp.payments.models import Payout, PayoutStatus

    order_id = _no_show(app, client, world, make_user, localstripe, policy="pay_shops", basket=_mixed)
    bakery_part, cheese_part, book_part = _parts(app, order_id)

    def payout_jobs() -> list[int]:
        return sorted(set(job["part_id"] for job in db.session.scalars(
            select(OutboxJob.payload).where(OutboxJob.task_name == payouts.PAY_OUT_PART_TASK))))

    def refused(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise gateway.TerminalPaymentError("Stripe refuse le remboursement : paiement contesté.")

    with app.app_context():
        for part_id in (bakery_part, cheese_part):
            db.session.get(OrderPart, part_id).shop.stripe_account_id = connect_fake.add_account()
        commit()
        refunds.refund_no_show(order_id)
        settlement.settle_no_show_order(order_id)
        commit()
        assert payout_jobs() == [cheese_part]  # the bakery's waits for the refund of its jam
        create_refund = gateway.create_refund
        monkeypatch.setattr(gateway, "create_refund", refused)
        for refund_id in db.session.scalars(select(Refund.id).order_by(Refund.id)).all():
            refunds.execute_refund(refund_id)
            refunds.execute_refund(refund_id)
            commit()
        # The jam's refund failed for good: the bakery's payout goes ahead all the same.
        assert payout_jobs() == [bakery_part, cheese_part]
        for part_id in (bakery_part, cheese_part, bakery_part):
            payouts.pay_out_part(part_id)
            commit()
        failed = [(r.part_id, r.amount_cents, r.status, "contesté" in (r.last_error or ""))
                  for r in db.session.scalars(select(Refund).order_by(Refund.id))]
        paid = {p.part_id: (p.status, p.amount_cents) for p in db.session.scalars(select(Payout))}
        assert check_invariants() == []

        # Staff give the jam back later: the shop was never paid for it, so nothing is taken back.
        monkeypatch.setattr(gateway, "create_refund", create_refund)
        jam = db.session.scalar(select(OrderLine.id).where(OrderLine.name == "Confiture"))
        [again] = refunds.refund_order(order_id, actor_id=None, reason="staff", line_quantities={jam: 1})
        commit()
        refunds.execute_refund(again.id)
        commit()
        payouts.reverse_for_refund(again.id)
        commit()
        balances = [ledger.part_balance(p) for p in (bakery_part, cheese_part)]
        assert check_invariants() == []

    assert failed == [(bakery_part, 450, RefundStatus.FAILED, True), (book_part, 1800, RefundStatus.FAILED, True)]
    # Paid for the bread alone (10,05 − 1,01 − 0,20), not for the jam the resident is owed.
    assert paid == {bakery_part: (PayoutStatus.PAID, 884), cheese_part: (PayoutStatus.PAID, 1143)}
    assert sorted(t["amount"] for t in connect_fake.transfers) == [884, 1143]
    assert balances == [0, 0] and not any("reversals" in r.path for r in connect_fake.requests)
