"""The association's members: the list page, its CSV, the API, and a resident leaving from the account page."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from shopapp.animations.models import Animation, Registration
from shopapp.extensions import db
from shopapp.members.models import Membership
from tests.conftest import csrf_token, text_of


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def members(app, make_user):  # type: ignore[no-untyped-def]
    """Ben joined on 28 Feb 23:30 UTC (1 March in Paris), Ana on 1 March, « =1+1 » on 2 April; Cléo is no
    member. Ana was checked in at two animations, registered without coming to a third, and checked in
    at one cancelled afterwards: 2 attended."""
    ana = make_user(email="ana@example.org", name="Ana Martin")
    ben = make_user(email="ben@example.org", name="Ben Roux")
    cleo = make_user(email="cleo@example.org", name="Cléo Petit")
    odd = make_user(email="odd@example.org", name="=1+1")
    with app.app_context():
        for user_id, joined in ((ana, utc(2025, 3, 1, 10)), (ben, utc(2025, 2, 28, 23, 30)), (odd, utc(2025, 4, 2, 9))):
            db.session.add(Membership(user_id=user_id, joined_at=joined, consent_text="J'adhère.", consent_at=joined))
        for n, (status, checked) in enumerate((("published", True), ("published", True), ("published", False),
                                               ("cancelled", True))):
            animation = Animation(title=f"Atelier {n}", kind="tasting", starts_at=utc(2025, 3, 10 + n, 10),
                                  ends_at=utc(2025, 3, 10 + n, 11), capacity=10, status=status)
            db.session.add(animation)
            db.session.flush()
            at = utc(2025, 3, 10 + n, 10) if checked else None
            db.session.add(Registration(animation_id=animation.id, user_id=ana, seats=1, status="registered",
                                        checked_in_at=at))
            db.session.add(Registration(animation_id=animation.id, user_id=cleo, seats=1, status="registered",
                                        checked_in_at=at))
        db.session.commit()
    return {"ana": ana, "ben": ben, "cleo": cleo, "odd": odd}


def test_the_member_list_page_shows_who_since_when_and_animations(members, client, admin):
    page = text_of(client.get("/association/membres"))

    assert "3 membres." in page
    assert "Cléo" not in page
    rows = page.split("<tbody>")[1]
    assert rows.index("Ben Roux") < rows.index("Ana Martin") < rows.index("=1+1")
    assert "<td>ana@example.org</td><td>1 mars 2025</td>\n      <td>2</td>" in page
    assert 'href="/association/membres"' in page and 'aria-current="page"' in page


def test_the_member_csv_holds_the_same_list_with_this_years_fee(app, members, client, admin):
    from shopapp.core.clock import local_to_utc, venue_today
    from shopapp.members.models import MembershipFee

    with app.app_context():
        year = venue_today().year
        # Ana paid this year's fee by card on 5 January (local), Ben last year's at the desk only.
        db.session.add(MembershipFee(user_id=members["ana"], member_name="Ana Martin", year=year, amount_cents=1500,
                                     method="card", paid_at=local_to_utc(datetime(year, 1, 5, 0, 30)),
                                     stripe_payment_intent_id="pi_fee_ana"))
        db.session.add(MembershipFee(user_id=members["ben"], member_name="Ben Roux", year=year - 1, amount_cents=1200,
                                     method="desk", paid_at=local_to_utc(datetime(year - 1, 3, 2, 10))))
        db.session.add(MembershipFee(user_id=members["odd"], member_name="=1+1", year=year, amount_cents=1205,
                                     method="desk", paid_at=local_to_utc(datetime(year, 2, 28, 18))))
        db.session.commit()

    response = client.get("/association/membres.csv")

    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="membres.csv"'
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert rows == [
        ["nom", "e-mail", "membre depuis", "animations suivies", f"cotisation {year}", "cotisation réglée le",
         "cotisation réglée par"],
        ["Ben Roux", "ben@example.org", "01/03/2025", "0", "", "", ""],  # this year's is still due
        ["Ana Martin", "ana@example.org", "01/03/2025", "2", "15,00", f"05/01/{year}", "carte"],
        ["'=1+1", "odd@example.org", "02/04/2025", "0", "12,05", f"28/02/{year}", "comptoir"],  # never a formula
    ]


def test_the_members_api(members, client, make_user):
    make_user(email="admin@example.org", roles=("admin",))
    make_user(email="venue@example.org", roles=("venue",))

    def token(email: str) -> dict[str, str]:
        response = client.post("/api/v1/auth/token", json={"email": email, "password": "motdepasse1"})
        return {"Authorization": f"Bearer {response.json['token']}"}

    response = client.get("/api/v1/association/members", headers=token("admin@example.org"))

    assert response.status_code == 200
    assert response.json["items"] == [
        {"id": members["ben"], "name": "Ben Roux", "email": "ben@example.org", "member_since": "2025-03-01",
         "animations_attended": 0, "fee_paid_via": None},
        {"id": members["ana"], "name": "Ana Martin", "email": "ana@example.org", "member_since": "2025-03-01",
         "animations_attended": 2, "fee_paid_via": None},
        {"id": members["odd"], "name": "=1+1", "email": "odd@example.org", "member_since": "2025-04-02",
         "animations_attended": 0, "fee_paid_via": None},
    ]
    assert client.get("/api/v1/association/members", headers=token("venue@example.org")).status_code == 403
    assert client.get("/api/v1/association/members", headers=token("ana@example.org")).status_code == 403
    assert client.get("/api/v1/association/members").status_code == 401


@pytest.mark.parametrize("path", ["/association/membres", "/association/membres.csv"])
def test_only_admins_see_the_members(members, client, auth, make_user, path):
    make_user(email="venue@example.org", roles=("venue",))
    auth.login("venue@example.org")

    assert client.get(path).status_code == 403


def test_a_resident_leaves_from_the_account_page(app, members, client, auth):
    auth.login("ana@example.org")
    account = text_of(client.get("/compte"))

    response = client.post("/adhesion/quitter", data={"csrf_token": csrf_token(client, "/compte"),
                                                      "depuis": "compte"})
    after = text_of(client.get("/compte"))

    assert "Vous êtes membre depuis le 1 mars 2025." in account and "Quitter l'association" in account
    assert response.status_code == 302 and response.headers["Location"] == "/compte"
    assert "Vous n'êtes plus membre." in after and "Quitter l'association" not in after
    with app.app_context():
        assert db.session.query(Membership).filter_by(user_id=members["ana"]).count() == 0
