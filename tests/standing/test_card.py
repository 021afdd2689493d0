"""A standing order paid by a saved card, against localstripe: the card is saved with a SetupIntent,
each occurrence is charged off-session; a card that asks for 3-D Secure leaves the order waiting and the
resident gets one notice with the link to confirm the payment; a declined card makes no order."""

from __future__ import annotations

from datetime import timedelta

import stripe
from sqlalchemy import select

from shopapp.core.clock import utcnow
from shopapp.core.outbox import OutboxJob
from shopapp.extensions import db
from shopapp.orders.models import Order
from shopapp.payments.models import Payment
from shopapp.standing.notices import send_occurrence_notice
from shopapp.standing.occurrences import OCCURRENCE_NOTICE_TASK
from tests.checkout.flow import deliver, token_headers
from tests.conftest import csrf_token
from tests.payments.conftest import TEST_SECRET_KEY, authenticate_on_localstripe
from tests.standing.conftest import beat, occurrence_rows, orders_of, slot_at


def _card_standing(app, client, world, make_user, localstripe, card: str):  # type: ignore[no-untyped-def]
    bakery = world.shop("Boulangerie Aurore")
    bread = world.product(bakery, "Pain de campagne", 420, stock=20)
    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    slot_id = slot_at(app, world, start)
    make_user(email="camille@example.org", name="Camille")
    headers = token_headers(client, "camille@example.org")
    created = client.post("/api/v1/standing-orders", headers=headers, json={
        "lines": [{"product_id": bread, "quantity": 2}], "every_weeks": 1, "first_pickup_slot_id": slot_id,
        "payment_method": "card"})
    assert created.status_code == 201, created.json
    body = created.json
    assert body["payment_method"] == "card" and body["card_saved"] is False
    secret = body["card_setup_client_secret"]
    # What Stripe.js does in the browser (confirmCardSetup), 3-D Secure passed when asked.
    stripe_client = stripe.StripeClient(TEST_SECRET_KEY, base_addresses={"api": localstripe.api_base},
                                        max_network_retries=0)
    setup_id = secret.split("_secret_")[0]
    setup = stripe_client.v1.setup_intents.confirm(setup_id, params={"client_secret": secret, "payment_method_data": {
        "type": "card", "card": {"number": card, "exp_month": 12, "exp_year": 2030, "cvc": "123"}}})
    if setup.status == "requires_action":
        setup = stripe_client.v1.setup_intents.confirm(setup_id, params={"client_secret": secret})
    assert setup.status == "succeeded"
    return body["id"], bread, start, headers


def _intent(app, order_id):  # type: ignore[no-untyped-def]
    with app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
        return payment.stripe_payment_intent_id, payment.status


def _status(app, order_id):  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.get(Order, order_id).status


def _notice_jobs(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        return [job.payload["occurrence_id"] for job in db.session.scalars(
            select(OutboxJob).where(OutboxJob.task_name == OCCURRENCE_NOTICE_TASK))]


def test_saved_card_is_charged_off_session_and_the_order_confirmed(app, client, world, make_user, localstripe,
                                                                   no_dispatch):  # type: ignore[no-untyped-def]
    standing_id, bread, start, headers = _card_standing(app, client, world, make_user, localstripe,
                                                        "4242424242424242")

    assert beat(app, start - timedelta(hours=3)) == 1

    [(order_id, _when, total)] = orders_of(app, standing_id)
    assert total == 840 and _status(app, order_id) == "confirmed"
    intent_id, payment_status = _intent(app, order_id)
    assert payment_status == "succeeded"
    intent = stripe.StripeClient(TEST_SECRET_KEY, base_addresses={"api": localstripe.api_base}).v1 \
        .payment_intents.retrieve(intent_id)
    assert (intent.status, intent.amount, intent.customer) == ("succeeded", 840, intent.customer)
    assert [row[1] for row in occurrence_rows(app, standing_id)] == ["placed"]
    assert _notice_jobs(app) == []
    assert client.get(f"/api/v1/standing-orders/{standing_id}", headers=headers).json["card_saved"] is True
    # Stripe's webhook for that success later finds it done.
    assert deliver(client, "evt_standing_1", "payment_intent.succeeded", intent_id).status_code == 200
    assert _status(app, order_id) == "confirmed"
    assert world.stock(bread) == (20, 2)


def test_a_card_asking_for_3d_secure_waits_for_the_resident_with_one_notice(app, client, world, make_user,
                                                                            localstripe, no_dispatch,
                                                                            mail_outbox):  # type: ignore[no-untyped-def]
    standing_id, bread, start, _headers = _card_standing(app, client, world, make_user, localstripe,
                                                         "4000002760003184")

    assert beat(app, start - timedelta(hours=3)) == 1
    assert beat(app, start - timedelta(hours=2)) == 0

    [(order_id, _when, _total)] = orders_of(app, standing_id)
    assert _status(app, order_id) == "pending_payment"
    intent_id, payment_status = _intent(app, order_id)
    assert payment_status == "pending"
    [(_day, outcome, occurrence_order, _detail)] = occurrence_rows(app, standing_id)
    assert (outcome, occurrence_order) == ("awaiting_payment", order_id)
    [occurrence_id] = _notice_jobs(app)
    with app.app_context():
        assert send_occurrence_notice(occurrence_id) == 1
        assert send_occurrence_notice(occurrence_id) == 0  # told once
    [message] = mail_outbox()
    assert message["To"] == "camille@example.org"
    assert "confirmez le paiement" in message["Subject"]
    assert f"/commande/{order_id}/paiement" in message.get_body(("plain",)).get_content()
    assert world.stock(bread) == (20, 2)  # held for the resident meanwhile
    token = csrf_token(client, "/connexion")
    client.post("/connexion", data={"email": "camille@example.org", "password": "motdepasse1", "csrf_token": token})
    order_page = client.get(f"/mes-commandes/{order_id}").get_data(as_text=True)
    assert f'href="/commande/{order_id}/paiement"' in order_page and "Mon panier de la semaine" in order_page
    assert client.get(f"/commande/{order_id}/paiement").status_code == 200

    # The resident passes 3-D Secure on the payment page; Stripe's webhook confirms the order.
    assert authenticate_on_localstripe(localstripe, intent_id) == "succeeded"
    assert deliver(client, "evt_standing_3ds", "payment_intent.succeeded", intent_id).status_code == 200
    assert _status(app, order_id) == "confirmed"


def test_a_declined_card_makes_no_order_and_is_told(app, client, world, make_user, localstripe, no_dispatch):  # type: ignore[no-untyped-def]
    standing_id, bread, start, _headers = _card_standing(app, client, world, make_user, localstripe,
                                                         "4000000000000341")

    assert beat(app, start - timedelta(hours=3)) == 1

    assert orders_of(app, standing_id) == []
    [(_day, outcome, order_id, detail)] = occurrence_rows(app, standing_id)
    assert (outcome, order_id, detail["reason"]) == ("payment_failed", None, "declined")
    assert world.stock(bread) == (20, 0)
    with app.app_context():
        assert db.session.scalar(select(Payment.id)) is None
    assert len(_notice_jobs(app)) == 1


def test_the_page_saves_the_card_after_stripe_js_confirmed_it(app, client, auth, world, make_user, localstripe):  # type: ignore[no-untyped-def]
    import re

    from shopapp.standing.models import StandingOrder
    from tests.conftest import text_of
    from tests.orders.services import checkout, fill_basket

    bakery = world.shop("Boulangerie Aurore")
    bread = world.product(bakery, "Pain de campagne", 420, stock=20)
    resident = make_user(email="camille@example.org", name="Camille")
    fill_basket(app, resident, (bread, 2))
    order_id = checkout(app, resident, world.slot())
    slot_id = slot_at(app, world, utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=2))
    auth.login("camille@example.org")
    path = f"/mon-panier-de-la-semaine/nouveau?commande={order_id}"
    assert "Carte bancaire enregistrée" in text_of(client.get(path))

    made = client.post("/mon-panier-de-la-semaine/nouveau", data={
        "csrf_token": csrf_token(client, path), "order_id": str(order_id), "every_weeks": "2",
        "slot_id": str(slot_id), "payment_method": "card"})
    with app.app_context():
        standing_id = db.session.scalar(select(StandingOrder.id))
    assert made.status_code == 302
    assert made.headers["Location"].endswith(f"/mon-panier-de-la-semaine/{standing_id}/carte")
    page = client.get(f"/mon-panier-de-la-semaine/{standing_id}/carte")
    secret = re.search(r'data-client-secret="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert secret.startswith("seti_")
    stripe_client = stripe.StripeClient(TEST_SECRET_KEY, base_addresses={"api": localstripe.api_base})
    stripe_client.v1.setup_intents.confirm(secret.split("_secret_")[0], params={
        "client_secret": secret, "payment_method_data": {
            "type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}})

    saved = client.post(f"/mon-panier-de-la-semaine/{standing_id}/carte",
                        data={"csrf_token": csrf_token(client, f"/mon-panier-de-la-semaine/{standing_id}/carte")},
                        follow_redirects=True)

    assert "Votre carte est enregistrée" in text_of(saved)
    with app.app_context():
        standing = db.session.get(StandingOrder, standing_id)
        assert standing.stripe_payment_method_id.startswith("pm_") and standing.every_weeks == 2
