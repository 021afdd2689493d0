"""The animation pages render for their audiences, and forms re-render with 422 on errors."""

from __future__ import annotations

from tests.conftest import csrf_token, text_of


def test_resident_pages(app, client, auth, world, animations, make_user, no_dispatch):
    cheese = world.shop("Fromagerie Lucas")
    comte = world.product(cheese, "Comté 18 mois", 890)
    animation = animations.make("Dégustation de comtés", product_ids=(comte,))
    make_user(email="ana@example.org")
    auth.login("ana@example.org")

    agenda = client.get("/agenda")
    week = client.get("/agenda?vue=semaine")
    page = text_of(client.get(f"/agenda/{animation}"))
    registered = client.post(f"/agenda/{animation}/inscription",
                             data={"csrf_token": csrf_token(client, f"/agenda/{animation}"), "seats": "2"})
    mine = text_of(client.get("/mes-animations"))
    account = text_of(client.get("/compte"))

    assert agenda.status_code == 200 and week.status_code == 200
    assert f'name="product_id" value="{comte}"' in page and "Ajouter au panier" in page
    assert registered.status_code == 302
    assert "Dégustation de comtés" in mine and "Inscrit (2 places)" in mine
    assert "Mes animations et mon agenda personnel" in account


def test_venue_creates_an_animation_from_the_form_and_a_bad_one_is_422(app, client, auth, world, animations):
    _staff = animations.staff_id
    auth.login("venue@example.org")
    token = csrf_token(client, "/lieu/animations/nouvelle")
    good = {"csrf_token": token, "title": "Repair café", "kind": "repair_cafe", "description": "",
            "starts_at": "2027-03-28T10:00", "ends_at": "2027-03-28T12:00", "capacity": "10", "audience": "everyone"}

    created = client.post("/lieu/animations/nouvelle", data=good)
    bad = client.post("/lieu/animations/nouvelle", data={**good, "starts_at": "2027-03-28T02:30"})
    listing = text_of(client.get("/lieu/animations"))

    assert created.status_code == 302
    assert bad.status_code == 422 and "Cette heure n'existe pas" in text_of(bad)
    assert "Repair café" in listing and "Brouillon" in listing


def test_shop_proposal_page(app, client, auth, world, animations):
    shop = world.shop("Fromagerie Lucas", keeper="lucas@example.org")
    world.product(shop, "Comté", 890)
    auth.login("lucas@example.org")

    page = client.get("/boutique/animations")
    sent = client.post("/boutique/animations", data={
        "csrf_token": csrf_token(client, "/boutique/animations"), "title": "Dégustation", "kind": "tasting",
        "starts_at": "2027-02-04T18:00", "ends_at": "2027-02-04T19:00", "capacity": "12", "audience": "everyone"})

    assert page.status_code == 200 and sent.status_code == 302
    assert "Proposée par une boutique" in text_of(client.get("/boutique/animations"))


def test_residents_cannot_reach_venue_pages(client, auth, make_user):
    make_user(email="ana@example.org")
    auth.login("ana@example.org")

    assert client.get("/lieu/animations").status_code == 403
    assert client.get("/lieu/tableau-de-bord").status_code == 403
