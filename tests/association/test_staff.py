"""A shop's owner invites colleagues, who gain access; removing one ends their access at once."""

from __future__ import annotations

from sqlalchemy import select

from shopapp.accounts.models import User
from shopapp.association.models import ShopDecision
from shopapp.catalog.models import Shop, ShopStaff
from shopapp.core.outbox import OutboxJob
from shopapp.extensions import db
from tests.association.conftest import link_in, post
from tests.conftest import Auth, csrf_token, text_of


def _shop(app, make_user, owner="lucas@example.org", colleague=None) -> int:  # type: ignore[no-untyped-def]
    owner_id = make_user(email=owner, name="Lucas", roles=("shopkeeper",))
    with app.app_context():
        shop = Shop(slug="fromagerie-lucas", name="Fromagerie Lucas", trade="Fromagerie", status="approved")
        db.session.add(shop)
        db.session.flush()
        db.session.add(ShopStaff(shop_id=shop.id, user_id=owner_id, is_owner=True))
        if colleague:
            db.session.add(ShopStaff(shop_id=shop.id, user_id=colleague))
        db.session.commit()
        return shop.id


def test_an_invited_colleague_gains_access_then_loses_it_at_once(app, client, auth, make_user, run_jobs,
                                                                  mail_outbox):
    shop_id = _shop(app, make_user)
    auth.login("lucas@example.org")

    invited = post(client, "/boutique/equipe/inviter", {"name": "Inès", "email": "ines@example.org"},
                   "/boutique/equipe")

    assert invited.status_code == 302
    run_jobs()
    (message,) = mail_outbox()
    assert message["To"] == "ines@example.org"
    colleague = app.test_client()
    link = link_in(message)
    colleague.post(link, data={"password": "motdepasse2", "confirm": "motdepasse2",
                               "csrf_token": csrf_token(colleague, link)})
    assert colleague.get("/ma-boutique/fromagerie-lucas/produits").status_code == 200
    with app.app_context():
        ines = db.session.scalar(select(User).where(User.email == "ines@example.org"))
        member = db.session.scalar(select(ShopStaff).where(ShopStaff.user_id == ines.id))
        assert (ines.roles, member.shop_id, member.is_owner) == (["shopkeeper"], shop_id, False)

    removed = post(client, f"/boutique/equipe/{member.id}/retirer", token_page="/boutique/equipe")

    assert removed.status_code == 302
    assert colleague.get("/ma-boutique/fromagerie-lucas/produits").status_code == 404
    with app.app_context():
        actions = db.session.execute(select(ShopDecision.action, ShopDecision.reason).order_by(ShopDecision.id)).all()
        assert [tuple(a) for a in actions] == [("staff_invited", "ines@example.org"),
                                               ("staff_removed", "ines@example.org")]


def test_a_colleague_who_is_not_the_owner_cannot_manage_the_team(app, client, make_user):
    colleague = make_user(email="paul@example.org", roles=("shopkeeper",))
    _shop(app, make_user, colleague=colleague)
    Auth(client).login("paul@example.org")

    page = client.get("/boutique/equipe")
    invite = client.post("/boutique/equipe/inviter", data={"name": "X", "email": "x@example.org",
                                                           "csrf_token": csrf_token(client, "/compte")})

    assert (page.status_code, invite.status_code) == (403, 403)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "x@example.org")) is None
        assert db.session.scalars(select(OutboxJob)).all() == []


def test_inviting_someone_already_in_the_team_is_refused(app, client, auth, make_user):
    _shop(app, make_user)
    auth.login("lucas@example.org")

    response = post(client, "/boutique/equipe/inviter", {"name": "Lucas", "email": "LUCAS@example.org"},
                    "/boutique/equipe")

    assert response.status_code == 422
    assert "Déjà dans l'équipe." in text_of(response)
    with app.app_context():
        assert len(db.session.scalars(select(ShopStaff)).all()) == 1


def test_the_owner_cannot_be_removed(app, client, auth, make_user):
    _shop(app, make_user)
    auth.login("lucas@example.org")
    with app.app_context():
        owner_row = db.session.scalar(select(ShopStaff.id))

    response = post(client, f"/boutique/equipe/{owner_row}/retirer", token_page="/boutique/equipe")

    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(ShopStaff, owner_row) is not None
