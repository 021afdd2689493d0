"""The impact dashboard: a seeded month computed by hand, the CSV holding the same numbers, the charts."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from itertools import count
from typing import Any

import pytest

from shopapp.animations.models import Animation, Registration, WalkIn
from shopapp.association import dashboard
from shopapp.catalog.models import Shop
from shopapp.extensions import db
from shopapp.orders.models import Order, OrderPart, PickupSlot
from shopapp.payments.models import LedgerEntry
from shopapp.venue.models import Venue
from tests.conftest import text_of

_numbers = count(1)


def plain(response: Any) -> str:
    """The page's text without tags, spaces collapsed."""
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", text_of(response)))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class Seed:
    """Rows written directly (historic months cannot go through checkout, whose slots lie ahead)."""

    def __init__(self, app: Any, make_user: Any):
        self.app = app
        self.user_id = make_user(email="habitant@example.org", roles=("resident",))
        with app.app_context():
            venue = Venue(name="La Halle Commune", address="3 place de la Halle")
            db.session.add(venue)
            db.session.commit()
            self.venue_id = venue.id

    def shop(self, name: str, status: str = "approved") -> int:
        with self.app.app_context():
            shop = Shop(slug=f"shop-{next(_numbers)}", name=name, trade="Commerce", status=status)
            db.session.add(shop)
            db.session.commit()
            return shop.id

    def slot(self, starts_at: datetime) -> int:
        with self.app.app_context():
            slot = PickupSlot(venue_id=self.venue_id, starts_at=starts_at,
                              ends_at=starts_at.replace(minute=59), capacity=10)
            db.session.add(slot)
            db.session.commit()
            return slot.id

    def order(self, placed_at: datetime, slot_id: int, status: str, payment_status: str,
              parts: list[tuple[int, int, str]], method: str = "at_pickup") -> list[int]:
        """An order placed at `placed_at` with parts (shop id, subtotal, part status); returns the part ids."""
        n = next(_numbers)
        with self.app.app_context():
            order = Order(number=f"AMC-{n:05d}", pickup_code=f"C{n:05d}", user_id=self.user_id,
                          pickup_slot_id=slot_id, status=status, payment_method=method,
                          payment_status=payment_status, total_cents=sum(p[1] for p in parts), created_at=placed_at,
                          collected_at=placed_at if status == "collected" else None)
            order.parts = [OrderPart(shop_id=shop, subtotal_cents=cents, status=part_status)
                           for shop, cents, part_status in parts]
            db.session.add(order)
            db.session.commit()
            return [part.id for part in order.parts]

    def animation(self, starts_at: datetime, status: str = "published",
                  registrations: tuple[tuple[int, int, str, bool], ...] = (), walk_ins: tuple[int, ...] = ()) -> None:
        """An animation with registrations (user id, seats, status, checked in) and walk-ins (seats)."""
        with self.app.app_context():
            animation = Animation(title=f"Atelier {next(_numbers)}", kind="tasting", starts_at=starts_at,
                                  ends_at=starts_at.replace(hour=starts_at.hour + 1), capacity=20, status=status)
            db.session.add(animation)
            db.session.flush()
            for user_id, seats, reg_status, checked_in in registrations:
                db.session.add(Registration(animation_id=animation.id, user_id=user_id, seats=seats, status=reg_status,
                                            checked_in_at=starts_at if checked_in else None))
            for seats in walk_ins:
                db.session.add(WalkIn(animation_id=animation.id, seats=seats, created_at=starts_at))
            db.session.commit()

    def ledger(self, part_id: int, kind: str, cents: int, at: datetime) -> None:
        with self.app.app_context():
            part = db.session.get(OrderPart, part_id)
            db.session.add(LedgerEntry(shop_id=part.shop_id, part_id=part.id, order_id=part.order_id, kind=kind,
                                       amount_cents=cents, reference=f"ref-{next(_numbers)}", created_at=at))
            db.session.commit()


@pytest.fixture
def march(app, make_user):  # type: ignore[no-untyped-def]
    """March 2025 (Paris), with rows just outside it on both sides. DST starts on 30 March 2025:
    the month runs from 2025-02-28 23:00 UTC to 2025-03-31 22:00 UTC."""
    seed = Seed(app, make_user)
    a, b, c = seed.shop("Boulangerie Aurore"), seed.shop("Fromagerie Lucas"), seed.shop("Primeur Léa")
    suspended = seed.shop("Caviste Hugo", status="suspended")
    cancelled_only = seed.shop("Fleuriste Inès")

    february_slot = seed.slot(utc(2025, 2, 20, 16))
    slot_1 = seed.slot(utc(2025, 3, 10, 16))
    slot_2 = seed.slot(utc(2025, 3, 12, 16))
    last_evening = seed.slot(utc(2025, 3, 31, 21))  # 23:00 in Paris, still March
    seed.slot(utc(2025, 3, 20, 16))  # no order: not a slot "used"
    april_slot = seed.slot(utc(2025, 3, 31, 22))  # midnight in Paris: April

    # 1 March 00:30 in Paris: a two-shop basket, collected.
    o1 = seed.order(utc(2025, 2, 28, 23, 30), slot_1, "collected", "paid",
                    [(a, 1000, "at_venue"), (b, 2500, "at_venue")])
    # Two shops at checkout, one part rejected: still a multi-shop basket; only 8,00 € reached a shop.
    o2 = seed.order(utc(2025, 3, 5, 10), slot_1, "collected", "paid", [(a, 800, "at_venue"), (c, 1200, "rejected")])
    # A no-show paid at the desk: nothing was paid.
    seed.order(utc(2025, 3, 10, 9), slot_2, "no_show", "void", [(b, 1500, "at_venue")])
    # A no-show paid by card: the shop was paid.
    seed.order(utc(2025, 3, 15, 9), slot_2, "no_show", "paid", [(a, 2000, "at_venue")], method="card")
    # A suspended shop's sale: its money counts, the shop is not an active (approved) shop.
    seed.order(utc(2025, 3, 20, 9), slot_2, "collected", "paid", [(suspended, 900, "at_venue")])
    # Cancelled: never counted, its shop is not active.
    seed.order(utc(2025, 3, 22, 9), slot_2, "cancelled", "void", [(cancelled_only, 3000, "cancelled")])
    # Still being prepared: an order, no money yet, its slot is used with no pickup.
    seed.order(utc(2025, 3, 25, 9), last_evening, "confirmed", "due", [(b, 700, "received")])
    # 1 April 00:30 and 28 February 23:30 in Paris: other months.
    o8 = seed.order(utc(2025, 3, 31, 22, 30), april_slot, "collected", "paid", [(a, 5000, "at_venue")])
    seed.order(utc(2025, 2, 28, 22, 30), february_slot, "collected", "paid", [(b, 4000, "at_venue")])

    seed.ledger(o1[0], "commission", -100, utc(2025, 3, 10, 17))
    seed.ledger(o1[1], "commission", -250, utc(2025, 3, 10, 17))
    seed.ledger(o2[0], "commission", -80, utc(2025, 3, 12, 17))
    seed.ledger(o2[0], "commission", 20, utc(2025, 3, 20, 9))  # commission given back on a refund
    seed.ledger(o1[0], "commission_vat", -20, utc(2025, 3, 10, 17))  # memo, not commission
    seed.ledger(o1[0], "sale", 1000, utc(2025, 3, 10, 17))
    seed.ledger(o8[0], "commission", -30, utc(2025, 2, 28, 23, 30))  # 1 March 00:30 in Paris
    seed.ledger(o8[0], "commission", -500, utc(2025, 3, 31, 22, 30))  # April in Paris

    # Animations: the resident came with two people; a neighbour came alone; a third registered and did
    # not come; the desk let in 3 then 1 people without a booking. A cancelled animation (with a walk-in)
    # does not count; the April one is April's.
    # "Then bought": the resident ordered after 15 March 11:00 (orders of 20 and 25 March; the one of
    # 22 March is cancelled), the neighbour never did. In April the resident's last order (31 March
    # 22:30) came before the animation of 2 April: 0 of 1, although that order was collected in April.
    neighbour = make_user(email="voisine@example.org", roles=("resident",))
    absent = make_user(email="absent@example.org", roles=("resident",))
    seed.animation(utc(2025, 3, 15, 10), registrations=(
        (seed.user_id, 2, "registered", True), (neighbour, 1, "registered", True), (absent, 4, "registered", False)),
        walk_ins=(3, 1))
    seed.animation(utc(2025, 3, 16, 10), status="cancelled", registrations=((neighbour, 1, "registered", True),),
                   walk_ins=(2,))
    seed.animation(utc(2025, 4, 2, 10), registrations=((seed.user_id, 1, "registered", True),))
    return seed


def test_month_bounds_follow_paris_time_across_dst(app_ctx):
    month = dashboard.month_of(2025, 3)

    assert (month.start, month.end) == (utc(2025, 2, 28, 23), utc(2025, 3, 31, 22))


def test_the_seeded_month_matches_the_hand_count(march, app):
    with app.app_context():
        february, mars, april = dashboard.monthly_figures(
            dashboard.months_between(dashboard.month_of(2025, 2), dashboard.month_of(2025, 4)))

    assert mars.month.key == "2025-03"
    assert mars.active_shops == 3  # Aurore, Lucas, Léa (her part was rejected); not the suspended nor cancelled
    assert mars.orders == 6
    assert mars.multi_shop_orders == 2
    assert mars.multi_shop_share.percent_tenths == 333
    assert mars.turnover_cents == 3500 + 800 + 2000 + 900
    assert mars.commission_cents == 100 + 250 + 80 - 20 + 30
    assert (mars.slots_used, mars.pickups) == (3, 3)
    assert mars.pickups_per_slot == [1, 1, 1, 0, 0, 0, 0]  # slots with 0, 1 and 2 pickups
    assert mars.average_pickups_tenths == 10
    assert (mars.collected_orders, mars.no_shows) == (3, 2)
    assert mars.no_show_rate.percent_tenths == 400
    # 2 + 1 checked-in seats and 3 + 1 walk-ins; 2 accounts present, 1 of them ordered afterwards.
    assert (mars.animation_attendees, mars.walk_in_attendees, mars.attendee_accounts,
            mars.attendees_who_bought) == (7, 4, 2, 1)
    assert mars.attended_then_bought.percent_tenths == 500
    assert (february.orders, february.turnover_cents, february.commission_cents) == (1, 4000, 0)
    assert (april.orders, april.turnover_cents, april.commission_cents, april.active_shops) == (1, 5000, 500, 1)
    # The April animation's resident collected order 8 on 1 April (Paris), but had placed it before.
    assert (april.animation_attendees, april.walk_in_attendees, april.attendee_accounts,
            april.attendees_who_bought) == (1, 0, 1, 0)


def test_the_dashboard_page_shows_the_seeded_month(march, client, admin):
    response = client.get("/association/tableau-de-bord?month=2025-03")

    page, words = text_of(response), plain(response)
    assert response.status_code == 200
    assert "Chiffres de mars 2025" in words
    assert "Boutiques actives 3 Commandes 6 Paniers multi-boutiques 33,3 % (2 sur 6)" in words
    assert "Chiffre d’affaires des boutiques 72,00\u00a0€ Commission de l’association 4,40\u00a0€" in words
    assert "Retraits par créneau (moyenne) 1,0 (3 retraits, 3 créneaux)" in words
    assert "Participants aux animations 7 (dont 4 entrées sans inscription)" in words
    assert "Habitants venus à une animation qui ont commandé ensuite 50,0 % (1 sur 2)" in words
    assert "Taux de non-retrait 40,0 % (2 sur 5)" in words
    assert page.count("<svg") == 4 and page.count("<title id=") == 4 and page.count("<desc id=") == 4
    assert "style=" not in page


def test_the_csv_holds_the_same_numbers(march, client, admin):
    response = client.get("/association/tableau-de-bord.csv?from=2025-02&to=2025-04")

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="impact-2025-02-2025-04.csv"'
    assert body.startswith("\ufeffmois;boutiques actives;commandes;")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert [row["mois"] for row in rows] == ["2025-02", "2025-03", "2025-04"]
    assert rows[1] == {
        "mois": "2025-03", "boutiques actives": "3", "commandes": "6", "paniers multi-boutiques": "2",
        "part paniers multi-boutiques (%)": "33,3", "chiffre d'affaires boutiques (€)": "72,00",
        "commission (€)": "4,40", "créneaux utilisés": "3", "retraits": "3", "retraits par créneau (moyenne)": "1,0",
        "créneaux à 0 retrait": "1", "créneaux à 1 retrait": "1", "créneaux à 2 retraits": "1",
        "créneaux à 3 retraits": "0", "créneaux à 4 retraits": "0", "créneaux à 5–9 retraits": "0",
        "créneaux à 10 retraits ou plus": "0", "participants aux animations": "7",
        "dont entrées sans inscription": "4", "comptes présents aux animations": "2",
        "comptes présents ayant commandé après l'animation": "1",
        "commandes retirées": "3", "commandes non retirées": "2",
        "taux de non-retrait (%)": "40,0",
    }
    assert rows[2]["chiffre d'affaires boutiques (€)"] == "50,00" and rows[2]["commission (€)"] == "5,00"


def test_the_printable_report_has_the_figures_charts_and_method(march, client, admin):
    response = client.get("/association/rapport/2025-03")

    page = text_of(response)
    assert response.status_code == 200
    assert "Rapport d’impact sur le centre-ville" in page
    assert "72,00\u00a0€" in page and "33,3 %" in page
    assert page.count('role="img"') == 4
    assert page.count("<details class=\"chart-data\" open>") == 4
    assert "Notes de méthode" in page and "heure de Paris" in page


@pytest.mark.parametrize("path", ["/association/tableau-de-bord?month=2025-13", "/association/rapport/mars",
                                  "/association/tableau-de-bord.csv?from=2025-05&to=2025-03",
                                  "/association/tableau-de-bord.csv?from=2015-01&to=2025-03"])
def test_bad_months_are_refused(client, admin, path):
    assert client.get(path).status_code == 422


def test_an_empty_month_shows_dashes_not_errors(client, admin):
    response = client.get("/association/tableau-de-bord?month=2024-01")

    assert response.status_code == 200
    assert "janvier 2024" in text_of(response)
