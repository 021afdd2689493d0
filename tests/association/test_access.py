"""Only admins reach /association/*: other roles get 403, anonymous visitors are sent to log in."""

from __future__ import annotations

import pytest

from shopapp.catalog.models import Shop
from shopapp.extensions import db

PAGES = ["/association/candidatures", "/association/boutiques", "/association/boutiques/fromagerie-lucas",
         "/association/propositions", "/association/reglages", "/association/personnes",
         "/association/reglages/informations-legales"]


def test_every_association_route_is_for_admins_only(app):
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/association")]

    assert len(rules) == 45  # 18 + impact dashboard, CSV export, monthly report + 2 payments pages + shop logo
    # + closing and reopening a day + the venue's name and address + people and roles (page, invite, remove)
    # + commission invoices: list, issue a month, page, PDF, credit note, the association's legal identity
    # + accounting: chart of accounts page and its form, the FEC download
    # + the ordering rules (a confirmed address before ordering)
    # + the member list and its CSV
    # + the legal texts (one page, read and saved) + the yearly membership fee
    # + the no-show policy (what happens to the money of a card-paid order nobody collected)
    assert {app.view_functions[rule.endpoint]._access for rule in rules} == {("roles", "admin")}


@pytest.fixture
def shop(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.add(Shop(slug="fromagerie-lucas", name="Fromagerie Lucas", trade="Fromagerie", status="approved"))
        db.session.commit()


@pytest.mark.parametrize("role", ["resident", "shopkeeper", "venue", "admin"])
def test_association_pages_by_role(client, auth, make_user, shop, role):
    make_user(email=f"{role}@example.org", roles=(role,))
    auth.login(f"{role}@example.org")

    statuses = {path: client.get(path).status_code for path in PAGES}

    assert statuses == {path: 200 if role == "admin" else 403 for path in PAGES}


def test_anonymous_visitors_are_sent_to_log_in(client, shop):
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/connexion"), path
