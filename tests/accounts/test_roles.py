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
def test_the_local_mail_folder_is_for_admins_only(client, auth, make_user, role):
    # It holds every e-mail written, password-reset links included: venue staff must not read it.
    make_user(email=f"{role}@example.org", roles=(role,))
    auth.login(f"{role}@example.org")

    status = client.get("/equipe/courriels").status_code

    assert status == (200 if role == "admin" else 403)


def test_the_local_mail_folder_does_not_exist_in_production(app, client, auth, make_user, monkeypatch):
    make_user(email="admin@example.org", roles=("admin",))
    auth.login("admin@example.org")
    monkeypatch.setitem(app.config, "PROFILE", "production")

    folder = client.get("/equipe/courriels")
    notices_page = client.get("/equipe/notifications")

    assert folder.status_code == 404
    assert notices_page.status_code == 200 and "/equipe/courriels" not in notices_page.get_data(as_text=True)


def test_venue_staff_reach_the_notices_from_the_menu_but_not_the_mail_folder(client, auth, make_user):
    make_user(email="venue@example.org", roles=("venue",))
    auth.login("venue@example.org")

    home = client.get("/").get_data(as_text=True)
    page = client.get("/equipe/notifications").get_data(as_text=True)

    assert 'href="/equipe/notifications"' in home
    assert "/equipe/courriels" not in home and "/equipe/courriels" not in page


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
