"""Membership of the tiers-lieu, and the GDPR export and deletion."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from shopapp.extensions import db
from tests.animations.conftest import call
from tests.conftest import csrf_token, text_of
from tests.orders.services import checkout, fill_basket


def test_joining_records_date_and_consent_and_reveals_members_animations(app, client, auth, world, animations,
                                                                         make_user):
    from shopapp.members.models import Membership

    animations.make("Assemblée des membres", audience="members")
    ana = make_user(email="ana@example.org")
    auth.login("ana@example.org")

    without = client.post("/adhesion", data={"csrf_token": csrf_token(client, "/adhesion")})
    before = text_of(client.get("/agenda"))
    joined = client.post("/adhesion", data={"csrf_token": csrf_token(client, "/adhesion"), "consent": "y"})
    after = text_of(client.get("/agenda"))

    assert without.status_code == 422
    assert joined.status_code == 302
    assert "Assemblée des membres" not in before and "Assemblée des membres" in after
    with app.app_context():
        row = db.session.scalar(select(Membership).where(Membership.user_id == ana))
        assert row.consent_text.startswith("J'adhère à l'association de La Halle Commune.")
        assert row.joined_at is not None and row.consent_at is not None


def _world_with_history(app, world, animations, make_user):  # type: ignore[no-untyped-def]
    from shopapp.animations import registrations
    from shopapp.members.services import join

    shop = world.shop("Fromagerie Lucas")
    comte = world.product(shop, "Comté", 890, stock=10)
    slot = world.slot(hours_from_now=30)
    ana = make_user(email="ana@example.org", name="Ana Martin")
    bob = make_user(email="bob@example.org", name="Bob")
    fill_basket(app, ana, (comte, 2))
    order = checkout(app, ana, slot)
    fill_basket(app, bob, (comte, 1))
    checkout(app, bob, slot)
    tasting = animations.make("Dégustation", capacity=1)
    call(app, registrations.register, tasting, ana, 1)
    call(app, registrations.register, tasting, bob, 1)  # waitlisted
    call(app, join, ana, consent=True, venue="La Halle Commune")
    return ana, bob, order, tasting, shop


def test_export_contains_orders_and_registrations(app, client, auth, world, animations, make_user, no_dispatch):
    _world_with_history(app, world, animations, make_user)
    auth.login("ana@example.org")

    response = client.get("/compte/mes-donnees.json")
    data = json.loads(response.data)

    assert response.status_code == 200 and response.mimetype == "application/json"
    assert data["account"]["email"] == "ana@example.org" and data["account"]["name"] == "Ana Martin"
    assert [(o["total_cents"], o["parts"][0]["shop"], o["parts"][0]["lines"][0]["quantity"])
            for o in data["orders"]] == [(1780, "Fromagerie Lucas", 2)]
    assert [(r["animation"], r["status"], r["seats"]) for r in data["animation_registrations"]] == [
        ("Dégustation", "registered", 1)]
    assert data["membership"]["consent_text"].startswith("J'adhère")


def test_deletion_leaves_no_personal_data_and_shop_totals_unchanged(app, client, auth, world, animations,
                                                                    make_user, no_dispatch):
    from shopapp.accounts.models import ApiToken, User
    from shopapp.animations.models import Registration
    from shopapp.members.models import Membership
    from shopapp.orders.models import Order, OrderPart

    ana, bob, order, tasting, shop = _world_with_history(app, world, animations, make_user)
    client.post("/api/v1/auth/token", json={"email": "ana@example.org", "password": "motdepasse1"})
    with app.app_context():
        totals_before = db.session.execute(select(func.sum(OrderPart.subtotal_cents), func.count(OrderPart.id))
                                           .where(OrderPart.shop_id == shop)).one()
    auth.login("ana@example.org")

    wrong = client.post("/compte/supprimer", data={"csrf_token": csrf_token(client, "/compte/supprimer"),
                                                   "password": "pas-le-bon", "confirm": "y"})
    deleted = client.post("/compte/supprimer", data={"csrf_token": csrf_token(client, "/compte/supprimer"),
                                                     "password": "motdepasse1", "confirm": "y"})
    relogin = auth.login("ana@example.org")

    assert wrong.status_code == 422 and deleted.status_code == 302
    assert relogin.status_code == 422
    with app.app_context():
        user = db.session.get(User, ana)
        assert (user.email, user.name, user.is_enabled, user.roles) == (f"supprime-{ana}@invalid", "Compte supprimé",
                                                                        False, [])
        assert db.session.scalar(select(func.count(ApiToken.id)).where(ApiToken.user_id == ana)) == 0
        assert db.session.scalar(select(func.count(Membership.id)).where(Membership.user_id == ana)) == 0
        kept = db.session.get(Order, order)
        assert kept is not None and kept.user_id == ana and kept.total_cents == 1780
        totals_after = db.session.execute(select(func.sum(OrderPart.subtotal_cents), func.count(OrderPart.id))
                                          .where(OrderPart.shop_id == shop)).one()
        assert tuple(totals_after) == tuple(totals_before) == (2670, 2)
        statuses = dict(db.session.execute(select(Registration.user_id, Registration.status)
                                           .where(Registration.animation_id == tasting)).all())
        assert statuses == {ana: "cancelled", bob: "registered"}  # Ana's seat went to Bob
        dump = json.dumps([[str(v) for v in row] for row in db.session.execute(
            select(User.email, User.name)).all()])
        assert "ana@example.org" not in dump and "Ana Martin" not in dump
