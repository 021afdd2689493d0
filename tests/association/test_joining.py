"""Joining: application → queue → approval (shop + owner + invitation) → first log-in; info requests, refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from shopapp.accounts.models import User
from shopapp.association.models import Invitation, ShopApplication, ShopDecision
from shopapp.association.siret import is_valid_siret
from shopapp.catalog.models import Shop, ShopStaff
from shopapp.core.clock import utcnow
from shopapp.core.outbox import OutboxJob
from shopapp.extensions import db
from tests.association.conftest import APPLICATION, apply, link_in, post
from tests.conftest import csrf_token, text_of


@pytest.mark.parametrize(("value", "valid"), [
    ("73282932000074", True),
    ("732 829 320 00074", True),
    ("73282932000075", False),   # wrong key
    ("7328293200007", False),    # 13 digits
    ("7328293200007A", False),
    ("35600000049837", True),    # La Poste: digit sum 45, a multiple of 5
    ("35600000049838", False),   # La Poste: digit sum 46
])
def test_siret_is_checked_by_its_key(value, valid):
    assert is_valid_siret(value) is valid


def _count(app, model) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_application_lands_in_the_association_queue(app, client, make_user, auth):
    response = apply(client)

    assert response.status_code == 302 and response.headers["Location"] == "/rejoindre/merci"
    with app.app_context():
        (application,) = db.session.scalars(select(ShopApplication)).all()
        assert (application.shop_name, application.siret, application.email, application.status) == (
            "Fromagerie Lucas", "73282932000074", "lucas@example.org", "submitted")
    make_user(email="admin@example.org", roles=("admin",))
    auth.login("admin@example.org")
    assert "Fromagerie Lucas" in text_of(client.get("/association/candidatures"))


def test_an_invalid_siret_is_refused_with_a_french_message_and_nothing_is_stored(app, client):
    response = apply(client, siret="73282932000075")

    assert response.status_code == 422
    assert "Le numéro SIRET doit compter 14 chiffres avec une clé de contrôle juste." in text_of(response)
    assert _count(app, ShopApplication) == 0


def _application_id(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(ShopApplication.id))


def test_approval_creates_the_shop_and_its_owner_who_sets_a_password_and_lands_logged_in(
        app, client, admin, run_jobs, mail_outbox):
    apply(client)
    application_id = _application_id(app)

    response = post(client, f"/association/candidatures/{application_id}/approuver", {"approve-reason": "Bienvenue"})

    assert response.status_code == 302 and response.headers["Location"] == "/association/boutiques/fromagerie-lucas"
    with app.app_context():
        shop = db.session.scalar(select(Shop))
        owner = db.session.scalar(select(User).where(User.email == "lucas@example.org"))
        staff = db.session.scalar(select(ShopStaff))
        decision = db.session.scalar(select(ShopDecision))
        assert (shop.slug, shop.name, shop.status, shop.trade, shop.address) == (
            "fromagerie-lucas", "Fromagerie Lucas", "approved", "Fromagerie", "12 rue des Halles")
        assert (owner.name, owner.roles) == ("Lucas Martin", ["shopkeeper"])
        assert (staff.shop_id, staff.user_id, staff.is_owner) == (shop.id, owner.id, True)
        assert (decision.action, decision.actor_id, decision.reason, decision.shop_id, decision.application_id) == (
            "approve", admin, "Bienvenue", shop.id, application_id)
        assert db.session.get(ShopApplication, application_id).status == "approved"
    assert run_jobs() == ["association.send_invitation"]
    (message,) = mail_outbox()
    assert message["To"] == "lucas@example.org"
    assert message["Subject"] == "Votre accès à Fromagerie Lucas sur Adopte mon commerçant"
    link = link_in(message)
    assert link.startswith("/invitation/")

    owner_client = app.test_client()
    token = csrf_token(owner_client, link)
    landed = owner_client.post(link, data={"password": "fromage2024", "confirm": "fromage2024", "csrf_token": token})

    assert landed.status_code == 302 and landed.headers["Location"] == "/ma-boutique"
    assert owner_client.get("/compte").status_code == 200
    assert "Fromagerie Lucas" in text_of(owner_client.get("/ma-boutique", follow_redirects=True))
    # Single use: the same link no longer works, and the password is the one chosen.
    again = app.test_client().get(link)
    assert again.status_code == 400 and "Cette invitation a déjà servi" in text_of(again)
    with app.app_context():
        assert db.session.scalar(select(Invitation)).accepted_at is not None


def test_approval_reuses_an_existing_account_and_grants_the_shopkeeper_role(app, client, make_user, admin,
                                                                            run_jobs, mail_outbox):
    resident = make_user(email="lucas@example.org", name="Lucas", roles=("resident",))
    apply(client, email="Lucas@Example.org")

    post(client, f"/association/candidatures/{_application_id(app)}/approuver")
    run_jobs()

    with app.app_context():
        assert _count(app, User) == 2
        assert db.session.get(User, resident).roles == ["resident", "shopkeeper"]
        assert db.session.scalar(select(Invitation)).needs_password is False
    (message,) = mail_outbox()
    assert link_in(message) == "/connexion"


def test_a_clashing_shop_name_gets_a_numbered_slug(app, client, admin):
    with app.app_context():
        db.session.add(Shop(slug="fromagerie-lucas", name="Autre", trade="Fromagerie", status="approved"))
        db.session.commit()
    apply(client)

    post(client, f"/association/candidatures/{_application_id(app)}/approuver")

    with app.app_context():
        assert sorted(db.session.scalars(select(Shop.slug))) == ["fromagerie-lucas", "fromagerie-lucas-2"]


def test_asking_for_information_emails_the_question(app, client, admin, run_jobs, mail_outbox):
    apply(client)
    application_id = _application_id(app)

    response = post(client, f"/association/candidatures/{application_id}/informations",
                    {"info-reason": "Avez-vous un point de vente fixe ?"})

    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(ShopApplication, application_id).status == "info_requested"
        decision = db.session.scalar(select(ShopDecision))
        assert (decision.action, decision.reason, decision.actor_id) == (
            "request_info", "Avez-vous un point de vente fixe ?", admin)
    assert run_jobs() == ["association.send_decision"]
    (message,) = mail_outbox()
    assert message["To"] == APPLICATION["email"]
    assert "Avez-vous un point de vente fixe ?" in message.get_body(("plain",)).get_content()


def test_refusal_with_a_reason_is_emailed_and_logged(app, client, admin, run_jobs, mail_outbox):
    apply(client)
    application_id = _application_id(app)

    response = post(client, f"/association/candidatures/{application_id}/refuser",
                    {"refuse-reason": "Hors du périmètre du centre-ville."})

    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(ShopApplication, application_id).status == "refused"
        decision = db.session.scalar(select(ShopDecision))
        assert (decision.action, decision.reason, decision.actor_id) == (
            "refuse", "Hors du périmètre du centre-ville.", admin)
    assert _count(app, Shop) == 0
    run_jobs()
    (message,) = mail_outbox()
    assert message["Subject"] == "Votre candidature Fromagerie Lucas"
    assert "Hors du périmètre du centre-ville." in message.get_body(("plain",)).get_content()


def test_refusal_without_a_reason_changes_nothing(app, client, admin):
    apply(client)
    application_id = _application_id(app)

    response = post(client, f"/association/candidatures/{application_id}/refuser", {"refuse-reason": "  "})

    assert response.status_code == 422
    assert "Ce champ est obligatoire." in text_of(response)
    with app.app_context():
        assert db.session.get(ShopApplication, application_id).status == "submitted"
    assert (_count(app, ShopDecision), _count(app, OutboxJob)) == (0, 0)


def test_a_decided_application_cannot_be_decided_again(app, client, admin):
    apply(client)
    application_id = _application_id(app)
    post(client, f"/association/candidatures/{application_id}/refuser", {"refuse-reason": "Non."})

    response = post(client, f"/association/candidatures/{application_id}/approuver")

    assert response.status_code == 409
    assert (_count(app, Shop), _count(app, ShopDecision)) == (0, 1)


def test_an_expired_invitation_link_is_refused(app, client, admin, run_jobs, mail_outbox, monkeypatch):
    apply(client)
    post(client, f"/association/candidatures/{_application_id(app)}/approuver")
    run_jobs()
    link = link_in(mail_outbox()[0])
    monkeypatch.setitem(app.config, "INVITATION_MAX_AGE", -1)

    response = app.test_client().get(link)

    assert response.status_code == 400 and "Cette invitation a expiré" in text_of(response)


def test_a_session_opened_by_accepting_an_invitation_expires_when_idle_like_any_log_in(
        app, client, admin, run_jobs, mail_outbox):
    apply(client)
    post(client, f"/association/candidatures/{_application_id(app)}/approuver", {"approve-reason": "Bienvenue"})
    run_jobs()
    link = link_in(mail_outbox()[0])
    owner_client = app.test_client()
    token = csrf_token(owner_client, link)
    owner_client.post(link, data={"password": "fromage2024", "confirm": "fromage2024", "csrf_token": token})
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])

    with time_machine.travel(utcnow() + idle - timedelta(minutes=1)):
        still_in = owner_client.get("/compte")
    with time_machine.travel(utcnow() + 2 * idle + timedelta(minutes=1)):
        expired = owner_client.get("/compte")

    assert still_in.status_code == 200
    assert expired.status_code == 302 and expired.headers["Location"].startswith("/connexion")
