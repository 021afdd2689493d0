"""Residents nominate shops; each resident's support counts once; the association ranks and marks them."""

from __future__ import annotations

from sqlalchemy import select

from shopapp.association.models import Nomination, NominationSupport, ShopDecision
from shopapp.extensions import db
from tests.association.conftest import post
from tests.conftest import Auth, text_of


def _nominate(client, name: str, trade: str = "Librairie") -> int:  # type: ignore[no-untyped-def]
    post(client, "/proposer-une-boutique", {"name": name, "trade": trade, "reason": "Elle nous manque"},
         "/proposer-une-boutique")


def _supports(app) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with app.app_context():
        from shopapp.association.nominations import ranked_nominations

        return {item.nomination.name: item.supports for item in ranked_nominations()}


def test_support_is_counted_once_per_resident(app, make_user):
    for email in ("a@example.org", "b@example.org"):
        make_user(email=email, roles=("resident",))
    nina, bob = app.test_client(), app.test_client()
    Auth(nina).login("a@example.org")
    Auth(bob).login("b@example.org")
    _nominate(nina, "Librairie du Port")
    with app.app_context():
        nomination_id = db.session.scalar(select(Nomination.id))

    first = post(bob, f"/proposer-une-boutique/{nomination_id}/soutenir", token_page="/proposer-une-boutique")
    second = post(bob, f"/proposer-une-boutique/{nomination_id}/soutenir", token_page="/proposer-une-boutique")
    again_by_author = post(nina, f"/proposer-une-boutique/{nomination_id}/soutenir",
                           token_page="/proposer-une-boutique")

    assert (first.status_code, second.status_code, again_by_author.status_code) == (302, 302, 302)
    assert _supports(app) == {"Librairie du Port": 2}
    assert "Vous soutenez déjà cette proposition." in text_of(bob.get("/proposer-une-boutique"))
    assert "2 soutiens" in text_of(app.test_client().get("/proposer-une-boutique"))


def test_the_association_sees_nominations_ranked_by_support_and_marks_them(app, client, make_user, admin):
    for email in ("a@example.org", "b@example.org"):
        make_user(email=email, roles=("resident",))
    nina, bob = app.test_client(), app.test_client()
    Auth(nina).login("a@example.org")
    Auth(bob).login("b@example.org")
    _nominate(nina, "Cave Dupont", "Caviste")
    _nominate(nina, "Librairie du Port")
    with app.app_context():
        librairie = db.session.scalar(select(Nomination.id).where(Nomination.name == "Librairie du Port"))
    post(bob, f"/proposer-une-boutique/{librairie}/soutenir", token_page="/proposer-une-boutique")

    page = text_of(client.get("/association/propositions"))
    marked = post(client, f"/association/propositions/{librairie}/statut", {"status": "contacted"},
                  "/association/propositions")

    assert page.index("Librairie du Port") < page.index("Cave Dupont")
    assert marked.status_code == 302
    with app.app_context():
        assert db.session.get(Nomination, librairie).status == "contacted"
        decision = db.session.scalar(select(ShopDecision))
        assert (decision.action, decision.nomination_id, decision.actor_id, decision.reason) == (
            "nomination_status", librairie, admin, "open → contacted")


def test_anonymous_visitors_cannot_support(app, client, make_user):
    make_user(email="a@example.org", roles=("resident",))
    nina = app.test_client()
    Auth(nina).login("a@example.org")
    _nominate(nina, "Librairie du Port")
    with app.app_context():
        nomination_id = db.session.scalar(select(Nomination.id))

    response = post(client, f"/proposer-une-boutique/{nomination_id}/soutenir", token_page="/proposer-une-boutique")

    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")
    with app.app_context():
        assert len(db.session.scalars(select(NominationSupport)).all()) == 1
