"""Sequential-id probing: a signed-in user asking for other people's ids (and the ids next to their own)
gets 404 — never the data, never a 403 that confirms the id exists — and nothing changes.

Two residents (Alice, Bob) each order from two shops (A, B); Alice has an API token and an animation
seat; each shop has a till token. Bob probes Alice's things, the keeper of shop B probes shop A's,
through the pages (session cookie) and through the API (Bob's or the keeper's bearer token, shop B's
till token).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from shopapp.extensions import db
from shopapp.orders.models import OrderLine
from tests.animations.conftest import Animations
from tests.conftest import Auth, csrf_token
from tests.orders.conftest import World, world  # noqa: F401  (fixture used below)
from tests.orders.services import checkout, fill_basket
from tests.reliability.test_access_matrix import changed, snapshot

pytestmark = pytest.mark.reliability


def _near(own: list[int], others: list[int]) -> list[int]:
    """The ids to probe: everybody else's, and the ones right next to the caller's own."""
    return sorted(({*others} | {i + d for i in own for d in (-1, 1)}) - {*own} - {0})


class Town:
    def __init__(self, app: Any, world: World, make_user: Any) -> None:  # noqa: F811
        from shopapp.accounts.models import User
        from shopapp.accounts.services import issue_api_token
        from shopapp.animations import registrations
        from shopapp.catalog.models import Shop, ShopStaff
        from shopapp.catalog.tokens import issue_shop_token
        from shopapp.core.transaction import commit
        from shopapp.orders.models import Order, OrderPart

        self.shop_a = world.shop("Boulangerie Aurore", keeper="keeper-a@example.org")
        self.shop_b = world.shop("Fromagerie Bastide", keeper="keeper-b@example.org")
        self.product_a = world.product(self.shop_a, name="Pain de seigle secret")
        self.product_b = world.product(self.shop_b, name="Tomme de Bastide")
        slot = world.slot()
        self.alice = make_user(email="alice@example.org", name="Alice Secrète")
        self.bob = make_user(email="bob@example.org", name="Bob")
        fill_basket(app, self.alice, (self.product_a, 1), (self.product_b, 1))
        self.order_a = checkout(app, self.alice, slot)
        fill_basket(app, self.bob, (self.product_a, 2), (self.product_b, 2))
        self.order_b = checkout(app, self.bob, slot)
        self.animation = Animations(app, world, make_user).make(shop_ids=(self.shop_a,))
        with app.app_context():
            parts = db.session.scalars(select(OrderPart).order_by(OrderPart.id)).all()
            self.parts_a = [p.id for p in parts if p.shop_id == self.shop_a]
            self.parts_b = [p.id for p in parts if p.shop_id == self.shop_b]
            alice_order = db.session.get(Order, self.order_a)
            # What Bob must never see of Alice, and the keeper of shop B of shop A (Bob ordered from
            # shop A too, so its product names are not Alice's secret).
            self.secrets = [
                alice_order.number,
                alice_order.pickup_code,
                "alice@example.org",
                "Alice Secrète",
                "jeton-alice",
            ]
            self.shop_secrets = [alice_order.number, "Pain de seigle secret", "caisse-a", "keeper-a@example.org"]
            self.slug_a = db.session.get(Shop, self.shop_a).slug
            self.slug_b = db.session.get(Shop, self.shop_b).slug
            users = {u.email: u for u in db.session.scalars(select(User))}
            alice_token, self.alice_bearer = issue_api_token(users["alice@example.org"], "jeton-alice")
            bob_token, self.bob_bearer = issue_api_token(users["bob@example.org"], "jeton-bob")
            _k, self.keeper_b_bearer = issue_api_token(users["keeper-b@example.org"], "jeton-b")
            till_a, self.till_a_plain = issue_shop_token(self.shop_a, "caisse-a", actor_id=None)
            till_b, self.till_b_plain = issue_shop_token(self.shop_b, "caisse-b", actor_id=None)
            registrations.register(self.animation, self.alice)
            commit()
            self.alice_token, self.bob_token = alice_token.id, bob_token.id
            self.till_a, self.till_b = till_a.id, till_b.id
            staff = db.session.scalars(select(ShopStaff).order_by(ShopStaff.id)).all()
            for member in staff:  # each keeper owns their shop, so manages its team
                member.is_owner = True
            commit()
            self.staff_a = [s.id for s in staff if s.shop_id == self.shop_a]
            self.staff_b = [s.id for s in staff if s.shop_id == self.shop_b]


@pytest.fixture
def town(app, world, make_user) -> Town:  # type: ignore[no-untyped-def]  # noqa: F811
    return Town(app, world, make_user)


class Prober:
    """Sends the probes and lists every answer that is not a clean 404."""

    def __init__(self, secrets: list[str]) -> None:
        self.secrets = secrets
        self.problems: list[str] = []
        self.count = 0

    def expect_404(self, who: str, method: str, url: str, response: Any) -> None:
        self.count += 1
        body = response.get_data(as_text=True)
        if response.status_code != 404:
            self.problems.append(f"{who} {method} {url}: {response.status_code}, expected 404")
        leaked = [s for s in self.secrets if s in body]
        if leaked:
            self.problems.append(f"{who} {method} {url}: the answer shows {leaked}")


def _browser(app: Any, email: str) -> tuple[Any, str]:
    client = app.test_client()
    assert Auth(client).login(email).status_code == 302
    return client, csrf_token(client, "/compte")


def _bearer(app: Any, plain: str) -> Any:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {plain}"
    return client


def test_a_resident_probing_ids_gets_404_and_never_the_data(app, town):
    before = snapshot(app)
    probe = Prober(town.secrets)
    page, token = _browser(app, "bob@example.org")
    api = _bearer(app, town.bob_bearer)
    form = {"csrf_token": token}
    for order_id in _near([town.order_b], [town.order_a]):
        for path in (f"/mes-commandes/{order_id}", f"/commande/{order_id}/paiement", f"/commande/{order_id}/retour"):
            probe.expect_404("Bob", "GET", path, page.get(path))
        path = f"/mes-commandes/{order_id}/annuler"
        probe.expect_404("Bob", "POST", path, page.post(path, data=form))
        path = f"/api/v1/orders/{order_id}"
        probe.expect_404("Bob", "GET", path, api.get(path))
        probe.expect_404("Bob", "POST", path + "/cancel", api.post(path + "/cancel", json={}))
    for token_id in _near([town.bob_token], [town.alice_token]):
        path = f"/compte/jetons/{token_id}/revoquer"
        probe.expect_404("Bob", "POST", path, page.post(path, data=form))
    # An animation Alice (not Bob) is registered to: Bob's cancellation finds nothing of his.
    path = f"/api/v1/animations/{town.animation}/registrations/mine"
    probe.expect_404("Bob", "DELETE", path, api.delete(path))
    assert probe.problems == []
    assert probe.count == 15
    # His lists and his data export show only his own things.
    for response in (
        page.get("/mes-commandes"),
        page.get("/compte"),
        page.get("/compte/mes-donnees.json"),
        page.get("/mes-animations"),
        api.get("/api/v1/orders"),
        api.get("/api/v1/me"),
    ):
        assert response.status_code == 200
        assert [s for s in town.secrets if s in response.get_data(as_text=True)] == []
    assert changed(before, snapshot(app)) == []
    # The same addresses answer their owner: the 404s above come from the ownership rule, not a typo.
    alice, _token = _browser(app, "alice@example.org")
    alice_api = _bearer(app, town.alice_bearer)
    assert alice.get(f"/mes-commandes/{town.order_a}").status_code == 200
    assert alice.get(f"/commande/{town.order_a}/retour").status_code == 200
    assert alice_api.get(f"/api/v1/orders/{town.order_a}").status_code == 200
    assert alice_api.get("/api/v1/me").status_code == 200


def test_a_shopkeeper_probing_another_shops_ids_gets_404_and_never_the_data(app, town):
    before = snapshot(app)
    probe = Prober(town.shop_secrets)
    page, token = _browser(app, "keeper-b@example.org")
    callers = {"keeper B (bearer)": _bearer(app, town.keeper_b_bearer), "till B": _bearer(app, town.till_b_plain)}
    form = {"csrf_token": token}
    own, other = town.slug_b, town.slug_a
    for part_id in _near(town.parts_b, town.parts_a):
        path = f"/preparation/parts/{part_id}/statut"
        probe.expect_404("keeper B", "POST", path, page.post(path, data={**form, "status": "preparing"}))
        path = f"/preparation/parts/{part_id}/refuser"
        probe.expect_404("keeper B", "GET", path, page.get(path))
        probe.expect_404("keeper B", "POST", path, page.post(path, data={**form, "confirm": "y"}))
        for who, api in callers.items():
            path = f"/api/v1/shop/order-parts/{part_id}/status"
            probe.expect_404(who, "POST", path, api.post(path, json={"status": "preparing"}))
        with app.app_context():
            line_ids = db.session.scalars(select(OrderLine.id).where(OrderLine.part_id == part_id)).all() or [1]
        for line_id in line_ids:
            path = f"/preparation/parts/{part_id}/lignes/{line_id}/refuser"
            probe.expect_404("keeper B", "POST", path,
                             page.post(path, data={**form, "reason": "rupture", "confirm": "y"}))
            for who, api in callers.items():
                path = f"/api/v1/shop/order-parts/{part_id}/lines/{line_id}/refuse"
                probe.expect_404(who, "POST", path, api.post(path, json={"reason": "Rupture de stock"}))
    for product_id in _near([town.product_b], [town.product_a]):
        for slug in (own, other):
            base = f"/ma-boutique/{slug}/produits/{product_id}"
            probe.expect_404("keeper B", "GET", base, page.get(base))
            probe.expect_404("keeper B", "POST", base, page.post(base, data={**form, "name": "Volé"}))
            for action in ("activation", "photo", "stock"):
                probe.expect_404(
                    "keeper B",
                    "POST",
                    f"{base}/{action}",
                    page.post(f"{base}/{action}", data={**form, "delta": "5", "reason": "x"}),
                )
        base = f"/api/v1/shop/products/{product_id}"
        for who, api in callers.items():
            probe.expect_404(who, "GET", base, api.get(base))
            probe.expect_404(who, "PUT", base + "/stock", api.put(base + "/stock", json={"quantity": 0}))
            probe.expect_404(who, "GET", base + "/stock-movements", api.get(base + "/stock-movements"))
            probe.expect_404(
                who,
                "POST",
                base + "/stock-movements",
                api.post(base + "/stock-movements", json={"delta": -1, "reason": "casse"}),
            )
        probe.expect_404(
            "keeper B (bearer)", "PATCH", base, callers["keeper B (bearer)"].patch(base, json={"name": "Volé"})
        )
    for token_id in _near([town.till_b], [town.till_a]):
        for slug in (own, other):
            path = f"/ma-boutique/{slug}/jetons/{token_id}/revoquer"
            probe.expect_404("keeper B", "POST", path, page.post(path, data=form))
    for member_id in _near(town.staff_b, town.staff_a):
        path = f"/boutique/equipe/{member_id}/retirer"
        probe.expect_404("keeper B", "POST", path, page.post(path, data=form))
    # Statements, exports and lists of shop A, asked for by name.
    for path in (
        f"/ma-boutique/{other}/releves",
        f"/ma-boutique/{other}/releves.csv",
        f"/ma-boutique/{other}/releves/facture",
        f"/ma-boutique/{other}/produits",
        f"/ma-boutique/{other}/jetons",
        f"/ma-boutique/{other}/stock-bas",
        f"/ma-boutique/{other}/import",
        f"/preparation?shop={other}",
        f"/preparation/liste?shop={other}",
        f"/boutique/equipe?shop={other}",
    ):
        probe.expect_404("keeper B", "GET", path, page.get(path))
    for path in (
        f"/api/v1/shop/statements?shop={other}",
        f"/api/v1/shop/orders?shop={other}",
        f"/api/v1/shop/products?shop={other}",
        f"/api/v1/shop/low-stock?shop={other}",
    ):
        for who, api in callers.items():
            probe.expect_404(who, "GET", path, api.get(path))
    assert probe.problems == []
    assert probe.count == 86
    assert changed(before, snapshot(app)) == []
    # The same addresses answer shop A's own keeper and till (still valid: nothing was revoked).
    keeper_a, _token = _browser(app, "keeper-a@example.org")
    till_a = _bearer(app, town.till_a_plain)
    for path in (
        f"/ma-boutique/{other}/produits/{town.product_a}",
        f"/ma-boutique/{other}/releves",
        f"/ma-boutique/{other}/releves.csv",
        f"/preparation?shop={other}",
        f"/boutique/equipe?shop={other}",
    ):
        assert keeper_a.get(path).status_code == 200, path
    for path in (
        f"/api/v1/shop/products/{town.product_a}",
        f"/api/v1/shop/products/{town.product_a}/stock-movements",
        f"/api/v1/shop/statements?shop={other}",
        f"/api/v1/shop/orders?shop={other}",
    ):
        assert till_a.get(path).status_code == 200, path
