"""People and roles: the association invites venue staff and admins, sees who holds which role, and
removes a role — that person's open sessions and API tokens are refused on their very next request; the
last admin stays."""

from __future__ import annotations

from sqlalchemy import select

from shopapp.accounts.models import User
from shopapp.association.models import RoleChange
from shopapp.extensions import db
from tests.association.conftest import link_in, post
from tests.conftest import Auth, csrf_token, text_of

PAGE = "/association/personnes"


def _user_id(app, email):  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def _api_token(app, email):  # type: ignore[no-untyped-def]
    response = app.test_client().post("/api/v1/auth/token", json={"email": email, "password": "motdepasse1"})
    return {"Authorization": f"Bearer {response.json['token']}"}


def _audit(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(RoleChange.action, RoleChange.role, RoleChange.email).order_by(RoleChange.id))]


def test_invited_venue_staff_accept_and_hold_the_role(app, client, admin, run_jobs, mail_outbox):
    invited = post(client, f"{PAGE}/inviter", {"name": "Vera Comptoir", "email": "Vera@example.org", "role": "venue"},
                   PAGE)

    assert invited.status_code == 302
    run_jobs()
    (message,) = mail_outbox()
    assert message["To"] == "vera@example.org"
    assert "équipe du lieu" in message["Subject"]
    vera = app.test_client()
    link = link_in(message)
    assert "Vous rejoignez l’équipe du lieu" in text_of(vera.get(link))
    accepted = vera.post(link, data={"password": "motdepasse2", "confirm": "motdepasse2",
                                     "csrf_token": csrf_token(vera, link)})
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/comptoir"
    assert vera.get("/comptoir").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "vera@example.org")).roles == ["venue"]
    assert _audit(app) == [("invited", "venue", "vera@example.org")]
    page = text_of(client.get(PAGE))
    assert "Vera Comptoir" in page and "Équipe du lieu" in page


def test_an_existing_account_invited_as_admin_gains_the_role_and_signs_in_as_usual(app, client, admin, make_user,
                                                                                   run_jobs, mail_outbox):
    make_user(email="bruno@example.org", name="Bruno", roles=("resident",))

    post(client, f"{PAGE}/inviter", {"name": "Bruno", "email": "bruno@example.org", "role": "admin"}, PAGE)
    again = post(client, f"{PAGE}/inviter", {"name": "Bruno", "email": "bruno@example.org", "role": "admin"}, PAGE)

    assert again.status_code == 422 and "Cette personne a déjà ce rôle." in text_of(again)
    run_jobs()
    (message,) = mail_outbox()
    assert "/connexion" in link_in(message)
    bruno = app.test_client()
    Auth(bruno).login("bruno@example.org")
    assert bruno.get(PAGE).status_code == 200


def test_removing_a_role_cuts_an_open_session_and_an_api_token_at_once(app, client, admin, make_user):
    make_user(email="vera@example.org", name="Vera", roles=("venue",))
    vera = app.test_client()
    Auth(vera).login("vera@example.org")
    headers = _api_token(app, "vera@example.org")
    assert vera.get("/comptoir").status_code == 200
    assert vera.get("/api/v1/me", headers=headers).status_code == 200

    removed = post(client, f"{PAGE}/{_user_id(app, 'vera@example.org')}/retirer", {"role": "venue"}, PAGE)

    assert removed.status_code == 302
    after = vera.get("/comptoir")
    assert after.status_code == 302 and after.headers["Location"].startswith("/connexion")
    assert vera.get("/api/v1/me", headers=headers).status_code == 401
    assert _audit(app) == [("removed", "venue", "vera@example.org")]


def test_the_last_admin_cannot_be_removed(app, client, admin, make_user):
    refused = post(client, f"{PAGE}/{admin}/retirer", {"role": "admin"}, PAGE)

    assert refused.status_code == 409
    assert "Impossible de retirer le dernier administrateur" in text_of(refused)
    assert client.get(PAGE).status_code == 200  # still an admin, still signed in
    assert _audit(app) == []

    other = make_user(email="zoe@example.org", name="Zoé", roles=("admin",))
    assert post(client, f"{PAGE}/{other}/retirer", {"role": "admin"}, PAGE).status_code == 302
    assert post(client, f"{PAGE}/{admin}/retirer", {"role": "admin"}, PAGE).status_code == 409


def test_only_admins_manage_people(app, client, make_user):
    make_user(email="vera@example.org", roles=("venue",))
    target = make_user(email="zoe@example.org", roles=("admin",))
    Auth(client).login("vera@example.org")

    page = client.get(PAGE)
    token = csrf_token(client, "/compte")
    removal = client.post(f"{PAGE}/{target}/retirer", data={"role": "admin", "csrf_token": token})

    assert (page.status_code, removal.status_code) == (403, 403)
    with app.app_context():
        assert db.session.get(User, target).roles == ["admin"]
