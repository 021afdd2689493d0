"""Bearer tokens: issue, use, revoke; the JSON error envelope."""

from __future__ import annotations

from sqlalchemy import select

from shopapp.accounts.models import ApiToken, User
from shopapp.extensions import db


def _token(client, email="zoe@example.org", password="motdepasse1"):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/token", json={"email": email, "password": password})


def test_token_is_issued_used_and_revoked(app, client, make_user):
    make_user(email="zoe@example.org", name="Zoé", roles=("resident", "venue"))

    issued = _token(client)
    assert issued.status_code == 200
    body = issued.json
    assert body["user"]["email"] == "zoe@example.org"
    assert body["user"]["roles"] == ["resident", "venue"]
    headers = {"Authorization": f"Bearer {body['token']}"}

    assert client.get("/api/v1/me", headers=headers).json["user"]["name"] == "Zoé"
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    refused = client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401
    assert refused.json["error"]["code"] == "unauthorized"


def test_tokens_are_stored_hashed(app, client, make_user):
    make_user(email="zoe@example.org")

    plain = _token(client).json["token"]

    with app.app_context():
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert len(stored) == 1 and plain not in stored[0] and len(stored[0]) == 64


def test_wrong_password_gets_401_envelope(client, make_user):
    make_user(email="zoe@example.org")

    response = _token(client, password="faux")

    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_credentials"


def test_malformed_json_gets_400_envelope(client):
    response = client.post("/api/v1/auth/signup", data="{pas du json", content_type="application/json")

    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed"


def test_invalid_values_get_422_with_fields(app, client):
    response = client.post("/api/v1/auth/signup", json={"email": "pas-une-adresse", "password": "court", "name": ""})

    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"email", "password", "name"}
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []


def test_api_signup_then_duplicate_in_other_case(client):
    first = client.post("/api/v1/auth/signup", json={"email": "Noe@Example.org", "password": "motdepasse1",
                                                     "name": "Noé"})
    again = client.post("/api/v1/auth/signup", json={"email": "noe@example.org", "password": "motdepasse1",
                                                     "name": "Noé"})

    assert first.status_code == 201 and first.json["user"]["email"] == "noe@example.org"
    assert again.status_code == 409 and again.json["error"]["code"] == "email_taken"


def test_revoked_token_from_account_page_stops_working(app, client, make_user, auth):
    make_user(email="zoe@example.org")
    plain = _token(client).json["token"]
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    auth.login("zoe@example.org")
    from tests.conftest import csrf_token

    client.post(f"/compte/jetons/{token_id}/revoquer", data={"csrf_token": csrf_token(client, "/compte")})

    fresh = app.test_client()
    assert fresh.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 401


def test_session_cookie_api_write_needs_csrf(client, make_user, auth):
    make_user(email="zoe@example.org")
    auth.login("zoe@example.org")

    response = client.delete("/api/v1/auth/token")

    assert response.status_code == 400
    assert response.json["error"]["code"] == "csrf_failed"
