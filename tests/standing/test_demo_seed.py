"""The demo town's weekly basket: `flask dev seed` gives the demo resident a standing order, so their page
and the shops' standing quantities show something in `make demo`."""

from __future__ import annotations

from sqlalchemy import select

from shopapp.accounts.services import get_user_by_email
from shopapp.core.clock import venue_time
from shopapp.core.transaction import commit
from shopapp.dev.invariants import check_invariants
from shopapp.dev.seed import DEMO_PASSWORD, seed_demo, seed_standing_order
from shopapp.extensions import db
from shopapp.orders.slots import generate_slots
from shopapp.standing import services
from shopapp.standing.models import StandingOrder
from tests.conftest import text_of


def test_the_demo_resident_has_a_weekly_basket_the_shops_see(app, client, auth):  # type: ignore[no-untyped-def]
    with app.app_context():
        seed_demo()
        generate_slots(4)
        assert seed_standing_order() == 1
        commit()
        assert seed_standing_order() == 0  # run again: the resident keeps the one they have
        [standing] = db.session.scalars(select(StandingOrder)).all()
        standing_id = standing.id
        assert standing.user_id == get_user_by_email("resident@example.org").id
        assert (standing.status, standing.every_weeks, standing.payment_method) == ("active", 1, "at_pickup")
        assert (standing.weekday, standing.pickup_time.strftime("%H:%M")) == (6, "10:00")
        assert sorted((line.product.sku, line.quantity) for line in standing.lines) == [
            ("BOU-001", 2), ("BOU-008", 4), ("FRO-001", 2), ("PRI-001", 1)]
        upcoming = services.next_pickup(standing)
        assert upcoming is not None and upcoming.pickup_slot_id is not None
        assert venue_time(upcoming.starts_at).strftime("%H:%M") == "10:00"
        assert check_invariants() == []

    auth.login("resident@example.org", DEMO_PASSWORD)
    mine = text_of(client.get(f"/mon-panier-de-la-semaine/{standing_id}"))
    assert "2 × Baguette tradition" in mine and "4 × Croissant pur beurre" in mine
    assert "Sauter cette date" in mine
    auth.logout()
    auth.login("boulangerie-du-marche@example.org", DEMO_PASSWORD)
    forecast = client.get("/ma-boutique/boulangerie-du-marche/paniers-de-la-semaine")
    assert forecast.status_code == 200
    assert "Baguette tradition" in text_of(forecast) and "Croissant pur beurre" in text_of(forecast)
