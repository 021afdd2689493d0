"""The animations JSON API: listing, registrations, venue and shop endpoints, audience rules."""

from __future__ import annotations

from datetime import datetime

from tests.animations.conftest import PARIS


def _token(client, email):  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/auth/token", json={"email": email, "password": "motdepasse1"})
    return {"Authorization": f"Bearer {response.json['token']}"}


def _member(app, user_id: int) -> None:  # type: ignore[no-untyped-def]
    from shopapp.core.transaction import commit
    from shopapp.members.services import join

    with app.app_context():
        join(user_id, consent=True, venue="La Halle Commune")
        commit()


def test_listing_shows_published_animations_with_seats_and_merchants(app, client, world, animations):
    cheese = world.shop("Fromagerie Lucas")
    comte = world.product(cheese, "Comté 18 mois", 890)
    shown = animations.make("Dégustation de comtés", capacity=12, product_ids=(comte,))
    animations.make("Brouillon", publish=False)

    items = client.get("/api/v1/animations").json["items"]

    assert [(i["id"], i["title"], i["kind"], i["capacity"], i["seats_left"], i["status"]) for i in items] == [
        (shown, "Dégustation de comtés", "tasting", 12, 12, "published")]
    assert items[0]["merchants"] == [{"id": cheese, "slug": "shop-1", "name": "Fromagerie Lucas"}]
    assert items[0]["product_ids"] == [comte]


def test_members_only_animations_are_hidden_from_non_members(app, client, world, animations, make_user):
    public = animations.make("Pour tous")
    private = animations.make("Entre membres", audience="members")
    outsider = make_user(email="out@example.org")
    member = make_user(email="in@example.org")
    _member(app, member)
    out_h, in_h = _token(client, "out@example.org"), _token(client, "in@example.org")

    anonymous = [i["id"] for i in client.get("/api/v1/animations").json["items"]]
    as_outsider = [i["id"] for i in client.get("/api/v1/animations", headers=out_h).json["items"]]
    as_member = [i["id"] for i in client.get("/api/v1/animations", headers=in_h).json["items"]]
    direct = client.get(f"/api/v1/animations/{private}", headers=out_h)
    registering = client.post(f"/api/v1/animations/{private}/registrations", json={"seats": 1}, headers=out_h)
    page = client.get(f"/agenda/{private}")
    agenda = client.get("/agenda").get_data(as_text=True)

    assert anonymous == [public] and as_outsider == [public]
    assert as_member == [public, private]
    assert direct.status_code == 404 and registering.status_code == 404 and page.status_code == 404
    assert "Entre membres" not in agenda and "Pour tous" in agenda
    assert animations.seats_taken(private) == 0
    assert outsider


def test_register_then_cancel_through_the_api(app, client, world, animations, make_user, no_dispatch):
    animation = animations.make(capacity=2)
    make_user(email="ana@example.org")
    make_user(email="bob@example.org")
    ana, bob = _token(client, "ana@example.org"), _token(client, "bob@example.org")

    first = client.post(f"/api/v1/animations/{animation}/registrations", json={"seats": 2}, headers=ana)
    second = client.post(f"/api/v1/animations/{animation}/registrations", json={"seats": 1}, headers=bob)
    again = client.post(f"/api/v1/animations/{animation}/registrations", json={"seats": 1}, headers=bob)
    cancelled = client.delete(f"/api/v1/animations/{animation}/registrations/mine", headers=ana)
    missing = client.delete(f"/api/v1/animations/{animation}/registrations/mine", headers=ana)
    listed = client.get("/api/v1/animations").json["items"][0]

    assert (first.status_code, first.json["status"]) == (201, "registered")
    assert (second.status_code, second.json["status"]) == (201, "waitlisted")
    assert (again.status_code, again.json["error"]["code"]) == (409, "already_registered")
    assert (cancelled.status_code, cancelled.json["status"]) == (200, "cancelled")
    assert missing.status_code == 404
    assert listed["seats_left"] == 1  # Bob was promoted into one of the two freed seats
    assert client.post(f"/api/v1/animations/{animation}/registrations", json={"seats": 1}).status_code == 401


def test_venue_creates_edits_publishes_and_cancels(app, client, world, make_user, no_dispatch):
    make_user(email="venue@example.org", roles=("venue",))
    h = _token(client, "venue@example.org")
    body = {"title": "Repair café", "kind": "repair_cafe", "starts_at": "2026-11-14T14:00:00",
            "ends_at": "2026-11-14T17:00:00+01:00", "capacity": 15}

    created = client.post("/api/v1/venue/animations", json=body, headers=h)
    animation = created.json["id"]
    hidden = client.get("/api/v1/animations?from=2026-11-14&to=2026-11-14").json["items"]
    patched = client.patch(f"/api/v1/venue/animations/{animation}", json={"capacity": 20, "title": "Repair café !"},
                           headers=h)
    published = client.post(f"/api/v1/venue/animations/{animation}/publish", headers=h)
    listed = client.get("/api/v1/animations?from=2026-11-14&to=2026-11-14").json["items"]
    cancelled = client.post(f"/api/v1/venue/animations/{animation}/cancel", headers=h)
    twice = client.post(f"/api/v1/venue/animations/{animation}/cancel", headers=h)
    invalid = client.post("/api/v1/venue/animations", json={**body, "ends_at": "2026-11-14T13:00:00"}, headers=h)

    assert created.status_code == 201
    assert (created.json["status"], created.json["starts_at"], created.json["ends_at"]) == (
        "draft", "2026-11-14T14:00:00+01:00", "2026-11-14T17:00:00+01:00")
    assert hidden == []
    assert (patched.json["capacity"], patched.json["title"]) == (20, "Repair café !")
    assert published.json["status"] == "published"
    assert [i["id"] for i in listed] == [animation]
    assert cancelled.json["status"] == "cancelled"
    assert twice.status_code == 409
    assert invalid.status_code == 422 and "ends_at" in invalid.json["error"]["fields"]


def test_residents_cannot_use_venue_endpoints(app, client, world, animations, make_user):
    animation = animations.make()
    make_user(email="ana@example.org")
    h = _token(client, "ana@example.org")

    assert client.post(f"/api/v1/venue/animations/{animation}/cancel", headers=h).status_code == 403
    assert client.patch(f"/api/v1/venue/animations/{animation}", json={"capacity": 1}, headers=h).status_code == 403
    assert animations.seats_taken(animation) == 0
    assert client.get("/api/v1/animations").json["items"][0]["capacity"] == 10


def test_a_shop_proposes_but_cannot_publish_without_the_venue(app, client, world, animations, make_user):
    cheese = world.shop("Fromagerie Lucas", keeper="lucas@example.org")
    comte = world.product(cheese, "Comté", 890)
    other = world.product(world.shop("Boulangerie"), "Pain", 300)
    h = _token(client, "lucas@example.org")
    body = {"title": "Dégustation de comtés", "kind": "tasting", "starts_at": "2026-11-12T18:00:00",
            "ends_at": "2026-11-12T19:30:00", "capacity": 12, "product_ids": [comte]}

    proposed = client.post("/api/v1/shop/animations", json=body, headers=h)
    animation = proposed.json["id"]
    publish = client.post(f"/api/v1/venue/animations/{animation}/publish", headers=h)
    foreign = client.post("/api/v1/shop/animations", json={**body, "product_ids": [other]}, headers=h)
    visible_before = client.get("/api/v1/animations?from=2026-11-12&to=2026-11-12").json["items"]

    venue = _token(client, "venue@example.org") if animations.staff_id else None
    approved = client.post(f"/api/v1/venue/animations/{animation}/publish", headers=venue)
    visible_after = client.get("/api/v1/animations?from=2026-11-12&to=2026-11-12").json["items"]

    assert (proposed.status_code, proposed.json["status"]) == (201, "proposed")
    assert proposed.json["merchants"] == [{"id": cheese, "slug": "shop-1", "name": "Fromagerie Lucas"}]
    assert publish.status_code == 403
    assert foreign.status_code == 422
    assert visible_before == []
    assert approved.json["status"] == "published"
    assert [i["id"] for i in visible_after] == [animation]


def test_the_service_refuses_a_shopkeeper_publishing(app, world, animations, make_user):
    from shopapp.animations import services
    from shopapp.errors import ForbiddenError
    from tests.animations.conftest import call

    keeper = make_user(email="lucas@example.org", roles=("shopkeeper",))
    animation = animations.make(publish=False)

    assert isinstance(call(app, services.publish_animation, animation, actor_id=keeper), ForbiddenError)
    assert client_free_listing(app) == []


def client_free_listing(app) -> list[int]:  # type: ignore[no-untyped-def]
    from shopapp.animations.queries import list_animations

    with app.app_context():
        return [a.id for a in list_animations(datetime(2000, 1, 1, tzinfo=PARIS), datetime(2100, 1, 1, tzinfo=PARIS),
                                              None)]
