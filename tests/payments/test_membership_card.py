"""The yearly membership fee paid by card: the resident opens the payment from the membership page,
pays with Stripe.js (localstripe), and Stripe's signed `payment_intent.succeeded` webhook records the fee
once — replays record nothing more; the FEC posts it against the card receipts account (511200), the
desk's fees against cash (530000); the member list shows how each was paid."""

from __future__ import annotations

from sqlalchemy import func, select

from shopapp.core.clock import venue_today
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.members import services as members
from shopapp.members.models import MembershipFee
from shopapp.payments import fec
from shopapp.payments.models import MembershipCardPayment, StripeEvent
from shopapp.venue.models import Venue
from tests.checkout.flow import deliver
from tests.checkout.test_demo_card_page import _card_token
from tests.conftest import csrf_token, text_of
from tests.orders.conftest import no_dispatch, world  # noqa: F401 - fixtures reused as they are
from tests.payments.conftest import pay_on_localstripe

FEE = 1500


def _member(app, make_user, email: str, *, fee_cents: int = FEE, joined: bool = True) -> int:  # type: ignore[no-untyped-def]
    user_id = make_user(email=email)
    with app.app_context():
        venue = db.session.scalar(select(Venue))
        venue.membership_fee_cents = fee_cents
        if joined:
            members.join(user_id, consent=True, venue=venue.name)
        commit()
    return user_id


def _start(client) -> object:  # type: ignore[no-untyped-def]
    return client.post("/adhesion/cotisation/carte", data={"csrf_token": csrf_token(client, "/adhesion")})


def _intent(app, user_id: int) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        intent = db.session.scalar(select(MembershipCardPayment.stripe_payment_intent_id)
                                   .where(MembershipCardPayment.user_id == user_id))
        assert intent
        return intent


def _fees(app) -> list[tuple[int, int, str, str | None]]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return [tuple(r) for r in db.session.execute(
            select(MembershipFee.user_id, MembershipFee.amount_cents, MembershipFee.method,
                   MembershipFee.stripe_payment_intent_id).order_by(MembershipFee.id))]


def test_a_member_pays_the_fee_by_card_recorded_once_whatever_the_replays(
        app, client, auth, world, make_user, localstripe, no_dispatch):  # noqa: F811
    user_id = _member(app, make_user, "res@example.org")
    auth.login("res@example.org")

    page = text_of(client.get("/adhesion"))
    started = _start(client)
    again = _start(client)  # a second press: the same payment, the same intent
    pay_page = client.get("/adhesion/cotisation/paiement")
    intent = _intent(app, user_id)

    assert "Payer ma cotisation par carte (15,00" in page
    assert started.status_code == 302 and started.headers["Location"].endswith("/adhesion/cotisation/paiement")
    assert again.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(MembershipCardPayment.id))) == 1
    html = pay_page.get_data(as_text=True)
    assert pay_page.status_code == 200 and 'id="payment-form"' in html
    assert f'data-client-secret="{intent}_secret' in html
    assert _fees(app) == []  # nothing is recorded before Stripe says it is paid

    assert pay_on_localstripe(localstripe, intent) == "succeeded"
    first = deliver(client, "evt_fee_1", "payment_intent.succeeded", intent)
    replay = deliver(client, "evt_fee_1", "payment_intent.succeeded", intent)
    other = deliver(client, "evt_fee_2", "payment_intent.succeeded", intent)  # a second event, same intent

    assert (first.status_code, replay.status_code, other.status_code) == (200, 200, 200)
    assert _fees(app) == [(user_id, FEE, "card", intent)]
    with app.app_context():
        outcomes = dict(db.session.execute(select(StripeEvent.stripe_event_id, StripeEvent.outcome)).tuples().all())
    assert outcomes == {"evt_fee_1": "membership_fee_recorded", "evt_fee_2": "already_succeeded"}
    done = text_of(client.get("/adhesion/cotisation/retour"))
    assert "Votre cotisation" in done and "15,00" in done and "est réglée" in done
    after = text_of(client.get("/adhesion"))
    assert "réglée le" in after and "Payer ma cotisation par carte" not in after
    assert client.get("/adhesion/cotisation/paiement").status_code == 302  # nothing left to pay
    refused = _start(client)
    assert refused.status_code == 302 and "déjà réglée" in text_of(client.get("/adhesion"))


def test_the_demo_card_route_confirms_the_fee_intent_on_localstripe(
        app, client, auth, world, make_user, localstripe, no_dispatch):  # noqa: F811
    user_id = _member(app, make_user, "res@example.org")
    auth.login("res@example.org")
    _start(client)
    csrf = csrf_token(client, "/adhesion/cotisation/paiement")

    def pay(number: str):  # type: ignore[no-untyped-def]
        return client.post("/adhesion/cotisation/carte-test", data={"token": _card_token(localstripe, number),
                                                                    "csrf_token": csrf}, headers={"X-CSRFToken": csrf})

    declined, accepted = pay("4000000000000341"), pay("4242424242424242")

    assert declined.status_code == 402
    assert accepted.status_code == 200 and accepted.json == {"status": "succeeded"}
    assert deliver(client, "evt_fee_ok", "payment_intent.succeeded", _intent(app, user_id)).status_code == 200
    assert _fees(app) == [(user_id, FEE, "card", _intent(app, user_id))]


def test_card_and_desk_fees_in_the_fec_and_the_member_list(
        app, client, auth, world, make_user, localstripe, no_dispatch):  # noqa: F811
    card_member = _member(app, make_user, "carte@example.org")
    desk_member = _member(app, make_user, "comptoir@example.org")
    admin = make_user(email="admin@example.org", roles=("admin",))
    auth.login("carte@example.org")
    _start(client)
    intent = _intent(app, card_member)
    pay_on_localstripe(localstripe, intent)
    deliver(client, "evt_fee_card", "payment_intent.succeeded", intent)
    with app.app_context():
        members.record_fee(desk_member, "Comptoir", year=venue_today().year, fee_cents=FEE, actor_id=admin)
        commit()
        lines = [line.split("\t") for line in fec.fec_text(venue_today().year).splitlines()[1:]]
    auth.logout()
    auth.login("admin@example.org")
    page = text_of(client.get("/association/membres"))
    api = client.get("/api/v1/association/members").json["items"]

    entries: dict[str, list[tuple[str, str, str]]] = {}
    for li in lines:
        if li[0] == "AD":
            entries.setdefault(li[2], []).append((li[4], li[11], li[12]))
    assert sorted(entries.values()) == sorted([
        [("511200", "15,00", "0,00"), ("756000", "0,00", "15,00")],   # by card: the card receipts account
        [("530000", "15,00", "0,00"), ("756000", "0,00", "15,00")],   # at the desk: cash
    ])
    assert "par carte le" in page and "au comptoir le" in page
    assert {item["email"]: item["fee_paid_via"] for item in api} == {"carte@example.org": "card",
                                                                     "comptoir@example.org": "desk"}


def test_a_card_payment_for_a_year_paid_at_the_desk_meanwhile_is_refunded_not_recorded(
        app, client, auth, world, make_user, localstripe, no_dispatch):  # noqa: F811
    user_id = _member(app, make_user, "res@example.org")
    admin = make_user(email="admin@example.org", roles=("admin",))
    auth.login("res@example.org")
    _start(client)
    intent = _intent(app, user_id)
    with app.app_context():  # the desk takes the fee in cash while the card page is open
        members.record_fee(user_id, "Résidente", year=venue_today().year, fee_cents=FEE, actor_id=admin)
        commit()
    pay_on_localstripe(localstripe, intent)

    assert deliver(client, "evt_fee_late", "payment_intent.succeeded", intent).status_code == 200

    assert [(u, a, m) for u, a, m, _i in _fees(app)] == [(user_id, FEE, "desk")]
    with app.app_context():
        assert db.session.scalar(select(StripeEvent.outcome)) == "refunded_already_paid"


def test_no_card_payment_for_a_non_member_or_when_no_fee_is_asked(
        app, client, auth, world, make_user, localstripe, no_dispatch):  # noqa: F811
    _member(app, make_user, "visiteur@example.org", joined=False)
    auth.login("visiteur@example.org")
    refused = _start(client)
    assert refused.status_code == 302 and "Adhérez d'abord" in text_of(client.get("/adhesion"))
    auth.logout()
    _member(app, make_user, "gratuit@example.org", fee_cents=0)
    auth.login("gratuit@example.org")
    assert _start(client).status_code == 302
    assert "Payer ma cotisation par carte" not in text_of(client.get("/adhesion"))
    with app.app_context():
        assert db.session.scalar(select(func.count(MembershipCardPayment.id))) == 0


def test_the_fee_paid_by_card_is_in_the_members_data_export(
        app, client, auth, world, make_user, localstripe, no_dispatch):  # noqa: F811
    user_id = _member(app, make_user, "res@example.org")
    auth.login("res@example.org")
    _start(client)
    intent = _intent(app, user_id)
    pay_on_localstripe(localstripe, intent)
    assert deliver(client, "evt_fee_export", "payment_intent.succeeded", intent).status_code == 200

    data = client.get("/compte/mes-donnees.json").json

    with app.app_context():
        year = venue_today().year
    [fee] = data["membership_fees"]
    assert (fee["year"], fee["amount_cents"], fee["currency"], fee["paid_via"]) == (year, FEE, "EUR", "card")
    assert fee["paid_at"].startswith(str(year))
    [payment] = data["membership_fee_card_payments"]
    assert (payment["year"], payment["amount_cents"], payment["status"]) == (year, FEE, "succeeded")
    assert payment["succeeded_at"] is not None
    assert intent not in str(data)  # Stripe's identifiers are the association's, not the member's data
