"""Every GET route (read from the URL map) × every role: the expected answer, never a server error.

The rule of each route is the `_access` mark its decorator leaves (public, login, roles…; a test in
tests/accounts makes every route carry one). Anonymous visitors are sent to log in (pages) or get
401 (API); a signed-in user without the role gets 403; an allowed user gets anything but 401/403
(404 for the made-up ids used here). Path arguments are filled with ids that exist for nobody.
"""

from __future__ import annotations

import pytest

from shopapp.catalog.models import Shop, ShopStaff
from shopapp.extensions import db
from tests.conftest import Auth

pytestmark = pytest.mark.reliability

ROLES = ["anonymous", "resident", "shopkeeper", "venue", "admin"]


def _denial(access: tuple, role: str) -> str | None:
    """'login', 'forbidden' or None (allowed) for this route rule and role."""
    kind = access[0]
    if kind == "public":
        return None
    if role == "anonymous":
        return "login"
    if kind == "login":
        return None
    allowed = {str(r) for r in access[1:] if str(r) in ROLES}
    return None if role in allowed else "forbidden"


def _url(rule) -> str:  # type: ignore[no-untyped-def]
    values = {}
    for name, converter in rule._converters.items():
        values[name] = 999_999 if type(converter).__name__ in ("IntegerConverter",) else "inconnu"
    return rule.build(values, append_unknown=False)[1]


@pytest.fixture
def clients(app, make_user):  # type: ignore[no-untyped-def]
    with app.app_context():
        shop = Shop(slug="une-autre-boutique", name="Une autre boutique", trade="Épicerie", status="approved")
        db.session.add(shop)
        db.session.commit()
        shop_id = shop.id
    result = {"anonymous": app.test_client()}
    for role in ROLES[1:]:
        user_id = make_user(email=f"{role}@example.org", roles=(role,))
        if role == "shopkeeper":
            with app.app_context():
                db.session.add(ShopStaff(shop_id=shop_id, user_id=user_id, is_owner=True))
                db.session.commit()
        client = app.test_client()
        assert Auth(client).login(f"{role}@example.org").status_code == 302
        result[role] = client
    return result


def test_every_get_route_answers_each_role_as_its_rule_says(app, clients):
    problems = []
    rules = [r for r in app.url_map.iter_rules() if "GET" in (r.methods or set()) and r.endpoint != "static"]
    assert len(rules) > 50
    for rule in rules:
        access = getattr(app.view_functions[rule.endpoint], "_access", None)
        assert access is not None, rule.rule
        url = _url(rule)
        for role, client in clients.items():
            status = client.get(url).status_code
            denial = _denial(access, role)
            api = url.startswith("/api/")
            if status >= 500:
                problems.append(f"{role} GET {url}: {status}")
            elif denial == "login" and status not in ((401,) if api else (302, 401)):
                problems.append(f"{role} GET {url}: {status}, expected to be sent to log in")
            elif denial == "forbidden" and status != 403:
                problems.append(f"{role} GET {url}: {status}, expected 403")
            elif denial is None and status in (401, 403):
                problems.append(f"{role} GET {url}: {status}, expected access")
    assert problems == []
