"""Every route (read from the URL map) × every role: the expected answer, never a server error.

The rule of each route is the `_access` mark its decorator leaves (public, login, roles…; a test in
tests/accounts makes every route carry one). Anonymous visitors are sent to log in (pages) or get
401 (API); a signed-in user without the role gets 403; an allowed user gets anything but 401/403
(404 for the made-up ids used here). Path arguments are filled with ids that exist for nobody, and
back-office shop slugs with a real shop nobody here works for: its shopkeeper-only pages answer 404
to the shopkeeper of another shop (`shop_for_user` hides that the shop exists).

State-changing requests carry a valid CSRF token, so that the role rule is what is tested; a second
test sends them without one. GET requests must leave every table and the mail outbox as they were.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from shopapp.catalog.models import Shop, ShopStaff
from shopapp.extensions import db, limiter
from tests.conftest import Auth, csrf_token

pytestmark = pytest.mark.reliability

ROLES = ["anonymous", "resident", "shopkeeper", "venue", "admin"]
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
OTHER_SHOP = "boutique-de-personne"
WEBHOOK = "/webhooks/stripe"
# RFC 8058: a mail client unsubscribes with one POST carrying no cookie and no CSRF token; the signed link is
# the authority and it can only turn an optional notice off (tests/worker/test_unsubscribe.py).
ONE_CLICK_UNSUBSCRIBE = "/desabonnement/<token>"


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
    values: dict[str, Any] = {}
    for name, converter in rule._converters.items():
        if name == "shop_slug":
            values[name] = OTHER_SHOP
        else:
            values[name] = 999_999 if isinstance(converter, IntegerConverter) else "inconnu"
    return rule.build(values, append_unknown=False)[1]


def _problem(role: str, method: str, url: str, status: int, denial: str | None, hides: bool) -> str | None:
    api = url.startswith("/api/")
    if status >= 500:
        return f"{role} {method} {url}: {status}"
    if denial == "login" and status not in ((401,) if api else (302, 401)):
        return f"{role} {method} {url}: {status}, expected to be sent to log in"
    if denial == "forbidden" and status != 403:
        return f"{role} {method} {url}: {status}, expected 403"
    if denial is None and status in (401, 403):
        return f"{role} {method} {url}: {status}, expected access"
    if hides and status != 404:
        return f"{role} {method} {url}: {status}, expected 404 for another shop's back-office"
    return None


def _hides(rule, role: str) -> bool:  # type: ignore[no-untyped-def]
    """The shopkeeper of another shop asking for this shop's back-office: 404, never the page."""
    return role == "shopkeeper" and "shop_slug" in rule.arguments


def snapshot(app) -> dict[str, tuple[int, str]]:  # type: ignore[no-untyped-def]
    """Row count of every table (one query) and a digest of the rows of the non-empty ones, plus the
    mail outbox's file count: any insert, delete or update shows."""
    tables = db.metadata.sorted_tables
    with app.app_context():
        counts = db.session.execute(
            select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables))
        ).one()
        state: dict[str, tuple[int, str]] = {}
        for table, count in zip(tables, counts, strict=True):
            digest = ""
            if count:
                rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
                digest = hashlib.sha256(repr(rows).encode()).hexdigest()
            state[table.name] = (count, digest)
        db.session.remove()
    outbox = Path(os.environ["MAIL_OUTBOX_DIR"])
    state["mail outbox"] = (len(list(outbox.glob("*.eml"))) if outbox.exists() else 0, "")
    return state


def is_csrf_refusal(response: Any) -> bool:
    """The CSRF error (400, with its own message on pages and its own code in JSON), not another 400."""
    body = response.get_data(as_text=True)
    return response.status_code == 400 and ("csrf_failed" in body or "Le formulaire a expiré" in body)


def changed(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    return sorted(name for name in before if before[name] != after[name])


class Role:
    """A signed-in (or anonymous) browser with its CSRF token."""

    def __init__(self, app, name: str) -> None:  # type: ignore[no-untyped-def]
        self.app = app
        self.name = name
        self.client = app.test_client()
        self.token = ""
        self.login()

    def login(self) -> None:
        if self.name != "anonymous":
            # The matrix posts to /connexion too; the per-address log-in throttle is not under test here.
            with self.app.app_context():
                limiter.reset()
            assert Auth(self.client).login(f"{self.name}@example.org").status_code == 302
        self.token = csrf_token(self.client, "/compte" if self.name != "anonymous" else "/connexion")

    def send(self, method: str, url: str, *, with_csrf: bool = True) -> Any:
        if url.startswith("/api/"):
            headers = {"X-CSRFToken": self.token} if with_csrf else {}
            return self.client.open(url, method=method, json={}, headers=headers)
        data = {"csrf_token": self.token} if with_csrf else {}
        return self.client.open(url, method=method, data=data)


@pytest.fixture
def roles(app, make_user) -> dict[str, Role]:  # type: ignore[no-untyped-def]
    with app.app_context():
        shop = Shop(slug="une-autre-boutique", name="Une autre boutique", trade="Épicerie", status="approved")
        nobody = Shop(slug=OTHER_SHOP, name="Boutique de personne", trade="Épicerie", status="approved")
        db.session.add_all([shop, nobody])
        db.session.commit()
        shop_id = shop.id
    for role in ROLES[1:]:
        user_id = make_user(email=f"{role}@example.org", roles=(role,))
        if role == "shopkeeper":
            with app.app_context():
                db.session.add(ShopStaff(shop_id=shop_id, user_id=user_id, is_owner=True))
                db.session.commit()
    return {role: Role(app, role) for role in ROLES}


def _rules(app, methods: tuple[str, ...]) -> list:  # type: ignore[no-untyped-def]
    return [r for r in app.url_map.iter_rules() if set(methods) & (r.methods or set()) and r.endpoint != "static"]


def test_every_get_route_answers_each_role_as_its_rule_says_and_writes_nothing(app, roles):
    problems = []
    rules = _rules(app, ("GET",))
    assert len(rules) > 50
    before = snapshot(app)
    for rule in rules:
        access = getattr(app.view_functions[rule.endpoint], "_access", None)
        assert access is not None, rule.rule
        url = _url(rule)
        for name, role in roles.items():
            status = role.client.get(url).status_code
            problem = _problem(name, "GET", url, status, _denial(access, name), _hides(rule, name))
            if problem:
                problems.append(problem)
            after = snapshot(app)
            if written := changed(before, after):
                problems.append(f"{name} GET {url} changed {written}")
            before = after
    assert problems == []


def test_every_state_changing_route_answers_each_role_as_its_rule_says(app, roles, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", "whsec_access_matrix")
    problems = []
    rules = _rules(app, WRITE_METHODS)
    assert len(rules) > 60
    for rule in rules:
        access = getattr(app.view_functions[rule.endpoint], "_access", None)
        assert access is not None, rule.rule
        url = _url(rule)
        for method in sorted(set(WRITE_METHODS) & (rule.methods or set())):
            for name, role in roles.items():
                response = role.send(method, url)
                if url == WEBHOOK:
                    # Public, and trusted only through Stripe's signature: an unsigned body is refused.
                    if response.status_code != 400:
                        problems.append(f"{name} {method} {url}: {response.status_code}, expected 400")
                    continue
                problem = _problem(name, method, url, response.status_code, _denial(access, name), _hides(rule, name))
                if problem:
                    problems.append(problem)
                if is_csrf_refusal(response):
                    problems.append(f"{name} {method} {url}: refused for CSRF although the token was sent")
                if rule.endpoint == "accounts.logout" and name != "anonymous":
                    role.login()
    assert problems == []
    # Nobody lost their account or their session on the way (an empty account-deletion form deletes nothing).
    for name, role in roles.items():
        assert role.client.get("/compte").status_code == (302 if name == "anonymous" else 200), name


def _allowed_role(access: tuple) -> str:
    return next(name for name in ROLES if _denial(access, name) is None)


def test_every_state_changing_form_refuses_a_post_without_csrf_token_and_changes_nothing(app, roles):
    problems = []
    rules = [r for r in _rules(app, WRITE_METHODS)
             if r.rule not in (WEBHOOK, ONE_CLICK_UNSUBSCRIBE) and not r.rule.startswith("/api/")]
    assert len(rules) > 40
    for rule in rules:
        access = app.view_functions[rule.endpoint]._access
        name = _allowed_role(access)
        url = _url(rule)
        for method in sorted(set(WRITE_METHODS) & (rule.methods or set())):
            before = snapshot(app)
            response = roles[name].send(method, url, with_csrf=False)
            if not is_csrf_refusal(response):
                problems.append(f"{name} {method} {url} without CSRF token: {response.status_code}")
            if written := changed(before, snapshot(app)):
                problems.append(f"{name} {method} {url} without CSRF token changed {written}")
    assert problems == []


def test_api_writes_from_a_signed_in_browser_need_the_csrf_header(app, roles):
    """The JSON API trusts a session cookie only with the CSRF header (bearer calls need none)."""
    problems = []
    rules = [r for r in _rules(app, WRITE_METHODS) if r.rule.startswith("/api/")]
    for rule in rules:
        access = app.view_functions[rule.endpoint]._access
        name = next(n for n in ROLES[1:] if _denial(access, n) is None)
        url = _url(rule)
        for method in sorted(set(WRITE_METHODS) & (rule.methods or set())):
            before = snapshot(app)
            response = roles[name].send(method, url, with_csrf=False)
            if not is_csrf_refusal(response) or response.get_json()["error"]["code"] != "csrf_failed":
                problems.append(f"{name} {method} {url} without CSRF header: {response.status_code}")
            if written := changed(before, snapshot(app)):
                problems.append(f"{name} {method} {url} without CSRF header changed {written}")
    assert problems == []


def test_the_snapshot_sees_an_update_an_insert_and_a_mail(app, roles):
    """The no-write checks above are only as good as `snapshot`: it must see each kind of change."""
    from shopapp.core import mail

    before = snapshot(app)
    with app.app_context():
        db.session.get(Shop, db.session.scalar(select(Shop.id).where(Shop.slug == OTHER_SHOP))).name = "Renommée"
        db.session.commit()
    after_update = snapshot(app)
    assert changed(before, after_update) == ["shop"]
    with app.app_context():
        db.session.add(Shop(slug="nouvelle", name="Nouvelle", trade="Épicerie", status="approved"))
        db.session.commit()
        mail.send(mail.Mail(to="x@example.org", subject="Sujet", text="Texte"))
    assert changed(after_update, snapshot(app)) == ["mail outbox", "shop"]
