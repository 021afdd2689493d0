"""Role checks: every route declares who may use it; wrong roles get 403, anonymous is sent to log in."""

from __future__ import annotations

import pytest

from tests.conftest import text_of

ROLES = ["resident", "shopkeeper", "venue", "admin"]


def test_every_route_declares_its_access_rule(app):
    missing = [
        rule.rule for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not hasattr(app.view_functions[rule.endpoint], "_access")
    ]
    assert missing == []


@pytest.mark.parametrize("role", ROLES)
def test_staff_mail_page_admits_only_venue_and_admin(client, auth, make_user, role):
    make_user(email=f"{role}@example.org", roles=(role,))
    auth.login(f"{role}@example.org")

    status = client.get("/equipe/courriels").status_code

    assert status == (200 if role in ("venue", "admin") else 403)


def test_anonymous_is_redirected_to_login_on_pages_and_gets_401_on_api(client):
    page = client.get("/equipe/courriels")
    api = client.get("/api/v1/me")

    assert page.status_code == 302 and page.headers["Location"].startswith("/connexion")
    assert api.status_code == 401 and api.json["error"]["code"] == "unauthorized"


def test_403_page_is_french(client, auth, make_user):
    make_user(email="r@example.org", roles=("resident",))
    auth.login("r@example.org")

    html = text_of(client.get("/equipe/courriels"))

    assert "Accès refusé" in html
