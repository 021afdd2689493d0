"""The optional yearly membership fee: set by the association, shown when joining, received at the desk once
per member and year, and in the association's books (the FEC export)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shopapp.association.models import SettingChange
from shopapp.core.clock import venue_today
from shopapp.extensions import db
from shopapp.members.models import Membership, MembershipFee
from shopapp.payments import fec
from shopapp.venue.models import Venue
from tests.conftest import Auth, csrf_token, text_of


@pytest.fixture
def venue(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        venue = Venue(name="La Halle Commune", address="3 place de la Halle")
        db.session.add(venue)
        db.session.commit()
        return venue.id


def _set_fee(app, cents: int) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.scalar(select(Venue)).membership_fee_cents = cents
        db.session.commit()


def _member(app, make_user, email: str = "ana@example.org", name: str = "Ana Martin") -> int:  # type: ignore[no-untyped-def]
    user_id = make_user(email=email, name=name)
    with app.app_context():
        db.session.add(Membership(user_id=user_id, consent_text="J'adhère."))
        db.session.commit()
    return user_id


def _fees(app) -> list[tuple[int | None, int, int]]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return [tuple(r) for r in db.session.execute(  # type: ignore[misc]
            select(MembershipFee.user_id, MembershipFee.year, MembershipFee.amount_cents))]


def test_the_association_sets_the_fee_in_euros_and_it_is_audited(app, client, admin, venue):
    page = "/association/reglages"

    wrong = client.post("/association/reglages/cotisation", data={"fee": "-3", "csrf_token": csrf_token(client, page)})
    too_much = client.post("/association/reglages/cotisation",
                           data={"fee": "1500", "csrf_token": csrf_token(client, page)})
    saved = client.post("/association/reglages/cotisation",
                        data={"fee": "12,50", "csrf_token": csrf_token(client, page)})

    assert wrong.status_code == 422 and "Indiquez un montant en euros" in text_of(wrong)
    assert too_much.status_code == 422 and "Entre 0 et 1 000 €." in text_of(too_much)
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(Venue, venue).membership_fee_cents == 1250
        change = db.session.scalar(select(SettingChange).where(SettingChange.key == "venue.membership_fee_cents"))
        assert (change.old_value, change.new_value) == ("0", "1250")


def test_joining_shows_the_fee_and_the_desk_records_it_once(app, client, make_user, venue):
    _set_fee(app, 1500)
    ana = _member(app, make_user)
    make_user(email="desk@example.org", roles=("venue",))
    with app.app_context():
        year = venue_today().year
    resident = Auth(client)
    resident.login("ana@example.org")
    assert f"Cotisation {year} : 15,00" in text_of(client.get("/adhesion")).replace("\u202f", " ")
    resident.logout()
    Auth(client).login("desk@example.org")

    desk = text_of(client.get("/comptoir/cotisations"))
    token = {"csrf_token": csrf_token(client, "/comptoir/cotisations")}
    first = client.post(f"/comptoir/cotisations/{ana}", data=token)
    again = client.post(f"/comptoir/cotisations/{ana}", data=token, follow_redirects=True)

    assert "Ana Martin" in desk and "Cotisation reçue" in desk
    assert first.status_code == 302
    assert "déjà enregistrée" in text_of(again)
    assert _fees(app) == [(ana, year, 1500)]
    assert "réglée le" in text_of(client.get("/comptoir/cotisations"))


def test_no_fee_for_a_non_member_nor_when_membership_is_free(app, client, make_user, venue):
    make_user(email="desk@example.org", roles=("venue",))
    ana = _member(app, make_user)
    cleo = make_user(email="cleo@example.org", name="Cléo")
    Auth(client).login("desk@example.org")

    free = client.post(f"/comptoir/cotisations/{ana}", data={"csrf_token": csrf_token(client, "/comptoir/cotisations")},
                       follow_redirects=True)
    _set_fee(app, 1000)
    stranger = client.post(f"/comptoir/cotisations/{cleo}",
                           data={"csrf_token": csrf_token(client, "/comptoir/cotisations")}, follow_redirects=True)

    assert "ne demande pas de cotisation" in text_of(free)
    assert "n'est pas membre" in text_of(stranger)
    assert _fees(app) == []


def test_only_the_desk_and_admins_record_fees(app, client, make_user, venue):
    _set_fee(app, 1000)
    ana = _member(app, make_user)
    Auth(client).login("ana@example.org")

    assert client.get("/comptoir/cotisations").status_code == 403
    assert client.post(f"/comptoir/cotisations/{ana}",
                       data={"csrf_token": csrf_token(client, "/compte")}).status_code == 403
    assert _fees(app) == []


def test_fees_are_in_the_fec_as_balanced_entries_of_their_own_journal(app, make_user, venue):
    ana = _member(app, make_user)
    ben = _member(app, make_user, "ben@example.org", "Ben Roux")
    with app.app_context():
        year = venue_today().year
        db.session.add_all([MembershipFee(user_id=ana, member_name="Ana Martin", year=year, amount_cents=1500),
                            MembershipFee(user_id=ben, member_name="Ben Roux", year=year, amount_cents=1500),
                            MembershipFee(user_id=None, member_name="Ancien membre", year=year - 1,
                                          amount_cents=1000)])
        db.session.commit()
        lines = [line for line in fec.fec_lines(year) if line.journal == "AD"]
        total = db.session.scalar(select(func.sum(MembershipFee.amount_cents)).where(MembershipFee.year == year))

    assert len(lines) == 4 and {line.number for line in lines} == {"AD000001", "AD000002"}
    for number in ("AD000001", "AD000002"):
        entry = [line for line in lines if line.number == number]
        assert sum(line.debit for line in entry) == sum(line.credit for line in entry) == 1500
    assert {line.account for line in lines} == {"530000", "756000"}
    assert sum(line.credit for line in lines) == total == 3000
