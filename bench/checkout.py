"""Checkout bench: `POST /api/v1/orders` from `wrk` at concurrency 32, each request a different resident
(their own bearer token and a basket of 3 lines from 3 shops), against the app under gunicorn
(production profile, PostgreSQL + Redis) with the broker on: the outbox jobs are published after commit
and one Celery worker process consumes them, sending the notices to a local SMTP sink.

Rows:
- `checkout`: throughput with stock and slot room for every buyer; requests/s and orders/s (201 answers)
  apart, p50/p99; its floor is bench/checkout_floor.py (the same writes in one transaction, nothing else),
  driven by the same script; the ratio is orders/s over the floor's orders/s.
- `checkout race`: 200 residents race for scarce stock (20 products × 4 units, each resident wants one)
  and 6 slots of 25 places; the answers by status, and the oversold units and overbooked places read from
  the database afterwards (both must be 0: the bench fails otherwise, as on any 5xx).

`python -m bench.checkout [--quick]`; the database (BENCH_DATABASE_URL + "_checkout") is rebuilt each run.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import secrets
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import harness

CONCURRENCY = int(os.environ.get("BENCH_CHECKOUT_CONCURRENCY", "32"))
RACE_RESIDENTS = 200
SCARCE_PRODUCTS = 20
SCARCE_STOCK = 4  # 80 scarce units for 200 residents who each want one of them
RACE_SLOTS = 6
RACE_SLOT_CAPACITY = 25  # 150 places for 200 residents
SHOPS = 10
PLENTY_PER_SHOP = 3
PLENTY = 10**9  # stock and slot room no run can exhaust


def residents_for_throughput() -> int:
    return int(os.environ.get("BENCH_CHECKOUT_RESIDENTS", "2000" if harness.quick() else "8000"))


def _token_hash(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def prepare(residents: int) -> dict[str, Any]:
    """A fresh database: a venue, shops, plentiful and scarce products, roomy and tight slots, and
    residents with baskets and API tokens (written in bulk). Returns what the rows need."""
    from sqlalchemy import insert, select

    from shopapp.accounts.models import ApiToken, User, UserRole
    from shopapp.accounts.services import TOKEN_PREFIX
    from shopapp.app import create_app
    from shopapp.catalog.models import Product, Shop, StockRecord
    from shopapp.core.clock import utcnow
    from shopapp.extensions import db
    from shopapp.orders.models import Basket, BasketLine, PickupSlot
    from shopapp.venue.models import Venue

    rng = random.Random(7)
    app = create_app()
    with app.app_context():
        db.drop_all()  # a throwaway bench database, rebuilt each run
        db.create_all()
        venue = Venue(name="La Halle Commune", address="Place de la Halle", booking_cutoff_minutes=60)
        db.session.add(venue)
        db.session.flush()
        start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
        roomy = [PickupSlot(venue_id=venue.id, starts_at=start + timedelta(minutes=30 * i),
                            ends_at=start + timedelta(minutes=30 * (i + 1)), capacity=PLENTY) for i in range(6)]
        tight = [PickupSlot(venue_id=venue.id, starts_at=start + timedelta(days=1, minutes=30 * i),
                            ends_at=start + timedelta(days=1, minutes=30 * (i + 1)), capacity=RACE_SLOT_CAPACITY)
                 for i in range(RACE_SLOTS)]
        db.session.add_all(roomy + tight)
        shops = [Shop(slug=f"boutique-{i}", name=f"Boutique {i}", trade="Commerce", status="approved",
                      preparation_minutes=120) for i in range(SHOPS)]
        db.session.add_all(shops)
        db.session.flush()
        plenty: dict[int, list[Product]] = {shop.id: [] for shop in shops}
        scarce: list[Product] = []
        for i in range(SHOPS * PLENTY_PER_SHOP + SCARCE_PRODUCTS):
            is_scarce = i >= SHOPS * PLENTY_PER_SHOP
            shop = shops[i % SHOPS]
            product = Product(shop_id=shop.id, sku=f"B{i}", name=f"Produit {i}", slug=f"produit-{i}",
                              price_cents=100 + i * 10)
            product.stock = StockRecord(on_hand=SCARCE_STOCK if is_scarce else PLENTY)
            db.session.add(product)
            (scarce if is_scarce else plenty[shop.id]).append(product)
        db.session.flush()
        now = utcnow()

        def baskets_of(count: int, prefix: str, race: bool) -> list[tuple[str, int, list[tuple[Product, int]]]]:
            made = []
            for n in range(count):
                three_shops = rng.sample(list(plenty), 3)
                lines = [(rng.choice(plenty[shop_id]), rng.randint(1, 3)) for shop_id in three_shops]
                if race:
                    lines = [(rng.choice(scarce), 1), *lines[:2]]
                made.append((f"{prefix}{n}@bench.example.org", n, lines))
            return made

        everyone = baskets_of(residents, "acheteur", False) + baskets_of(RACE_RESIDENTS, "course", True)
        tokens: list[str] = []
        floor_baskets: dict[str, dict[str, Any]] = {}
        for first in range(0, len(everyone), 1000):
            chunk = everyone[first:first + 1000]
            emails = [email for email, _n, _lines in chunk]
            db.session.execute(insert(User), [{"email": email, "name": f"Résident {n}", "password_hash": "!",
                                               "email_confirmed_at": now} for email, n, _lines in chunk])
            ids = dict(db.session.execute(select(User.email, User.id).where(User.email.in_(emails))).all())
            db.session.execute(insert(UserRole), [{"user_id": ids[email], "role": "resident"} for email in emails])
            plain = {email: TOKEN_PREFIX + secrets.token_urlsafe(32) for email in emails}
            db.session.execute(insert(ApiToken), [{"user_id": ids[email], "token_hash": _token_hash(plain[email]),
                                                   "label": "bench"} for email in emails])
            db.session.execute(insert(Basket), [{"user_id": ids[email]} for email in emails])
            basket_ids = dict(db.session.execute(select(Basket.user_id, Basket.id)
                                                 .where(Basket.user_id.in_(ids.values()))).all())
            db.session.execute(insert(BasketLine), [
                {"basket_id": basket_ids[ids[email]], "product_id": product.id, "quantity": quantity}
                for email, _n, lines in chunk for product, quantity in lines])
            for email, _n, lines in chunk:
                tokens.append(plain[email])
                floor_baskets[plain[email]] = {"user_id": ids[email], "lines": [
                    {"product_id": p.id, "shop_id": p.shop_id, "quantity": q, "unit_price_cents": p.price_cents,
                     "sku": p.sku, "name": p.name, "unit": p.unit, "vat_rate_bp": p.vat_rate_bp} for p, q in lines]}
        db.session.commit()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        return {"tokens": tokens, "floor_baskets": floor_baskets, "roomy": [s.id for s in roomy],
                "tight": [s.id for s in tight], "scarce": [p.id for p in scarce], "residents": residents}


def audit() -> dict[str, int]:
    """Read from the database after the runs: oversold units (sold beyond on-hand, or `allocated` not
    equal to what orders hold) and overbooked places (orders beyond capacity, or `booked` not equal to
    the slot's orders), over every product and slot; and the orders in all."""
    from sqlalchemy import func, select

    from shopapp.app import create_app
    from shopapp.catalog.models import StockRecord
    from shopapp.extensions import db
    from shopapp.orders.models import Order, OrderLine, PickupSlot

    app = create_app()
    with app.app_context():
        sold = dict(db.session.execute(
            select(OrderLine.product_id, func.sum(OrderLine.quantity)).group_by(OrderLine.product_id)).all())
        oversold = 0
        for record in db.session.scalars(select(StockRecord)):
            held = int(sold.get(record.product_id, 0))
            oversold += max(0, held - record.on_hand) + abs(record.allocated - held)
        orders = dict(db.session.execute(
            select(Order.pickup_slot_id, func.count(Order.id)).group_by(Order.pickup_slot_id)).all())
        overbooked = 0
        for slot in db.session.scalars(select(PickupSlot)):
            held = int(orders.get(slot.id, 0))
            overbooked += max(0, held - slot.capacity) + abs(slot.booked - held)
        total = db.session.scalar(select(func.count(Order.id))) or 0
        return {"oversold": oversold, "overbooked": overbooked, "orders_in_db": int(total)}


def _unexpected(result: harness.WrkResult) -> int:
    """Answers that are neither an order (201), nor a refusal residents are meant to get (409), plus socket errors."""
    socket_errors = result.errors - sum(n for status, n in result.statuses.items() if not status.startswith(("2", "3")))
    return socket_errors + sum(n for status, n in result.statuses.items() if status not in ("201", "409"))


def main(argv: list[str] | None = None) -> int:
    if "--quick" in (argv or []):
        os.environ["BENCH_QUICK"] = "1"
    instance = Path(tempfile.mkdtemp(prefix="bench-checkout-"))
    database = harness.database_url("checkout")
    sink = harness.Sink()
    env = harness.app_environment(instance, database, MAIL_PORT=str(sink.port))
    harness.use_environment(env)
    harness.create_database(database)
    harness.empty_redis()
    residents = residents_for_throughput()
    data = prepare(residents)
    tokens_file = harness.write_lines(instance / "tokens.txt", data["tokens"])
    baskets_file = instance / "baskets.json"
    baskets_file.write_text(json.dumps(data["floor_baskets"]))
    workers = harness.web_workers()
    threads = 2
    warm_share = max(CONCURRENCY, residents * 3 // 13)  # the warm-up's residents, then the measured run's
    log = open(instance / "servers.log", "ab")  # noqa: SIM115 - closed below
    app = floor = celery = None
    rows: dict[str, dict[str, Any]] = {}
    common = {"concurrency": CONCURRENCY, "web_workers": workers, "seconds": harness.measure_seconds(),
              "warmup_s": harness.warmup_seconds()}
    failed = 0
    try:
        with sink:
            celery = harness.start_celery_worker(env, log, nice=10)  # as docker-compose.yml runs it
            app, port = harness.serve("shopapp.app:create_app()", env, workers=workers, log=log)
            harness.wait_ready(port, "/api/v1/pickup-slots", workers=workers)
            url = f"http://127.0.0.1:{port}/api/v1/orders"
            slots = ",".join(map(str, data["roomy"]))

            def args(first: int, last: int, label: str, slot_ids: str = slots) -> list[str]:
                return [str(tokens_file), str(first), str(last), slot_ids, label, str(threads)]

            measured = harness.warm_then_measure(url, "checkout.lua", args(warm_share + 1, residents, "mesure"),
                                                 connections=CONCURRENCY, warm_args=args(1, warm_share, "chauffe"),
                                                 drain=(port, "/healthz"))
            exhausted = measured.requests > residents - warm_share
            # The race: 200 residents for 80 scarce units and 150 places, for long enough that each has tried
            # (a resident tried again is told the basket is empty: 409 as well).
            race_seconds = min(60.0, max(3.0, 1.5 * RACE_RESIDENTS / max(measured.rps, 1.0)))
            harness.fetch(port, "/healthz", timeout=120)  # the measured run's queued requests first
            tight = ",".join(map(str, data["tight"]))
            race = harness.wrk(url, "checkout.lua", args(residents + 1, residents + RACE_RESIDENTS, "course", tight),
                               seconds=race_seconds, connections=CONCURRENCY, threads=threads)
            harness.stop(app)
            app = None
            notices = sink.count()
            floor, floor_port = harness.serve("bench.checkout_floor:make_app()",
                                              {**env, "BENCH_FLOOR_BASKETS": str(baskets_file)}, workers=workers,
                                              log=log)
            harness.wait_ready(floor_port, "/healthz", workers=workers)
            floor_result = harness.warm_then_measure(f"http://127.0.0.1:{floor_port}/api/v1/orders", "checkout.lua",
                                                     args(1, residents, "plancher"), connections=CONCURRENCY,
                                                     drain=(floor_port, "/healthz"))
    finally:
        harness.stop(app)
        harness.stop(floor)
        harness.stop(celery)
        log.close()
    counts = audit()
    rows["checkout"] = harness.row(
        measured, rps=measured.rps, floor_rps=floor_result.per_second("201"),
        orders_per_s=round(measured.per_second("201"), 1), statuses=measured.statuses,
        errors=_unexpected(measured), residents_exhausted=exhausted, floor_p99_ms=round(floor_result.p99_ms, 1),
        mails_at_sink=notices, **common)
    # The row's ratio is orders/s against the floor's orders/s (not requests/s).
    rows["checkout"]["ratio"] = (round(measured.per_second("201") / floor_result.per_second("201"), 3)
                                 if floor_result.per_second("201") else None)
    rows["checkout race"] = harness.row(
        race, orders=race.statuses.get("201", 0), refused=race.statuses.get("409", 0), errors=_unexpected(race),
        oversold=counts["oversold"], overbooked=counts["overbooked"], concurrency=CONCURRENCY,
        seconds=round(race_seconds, 1))
    harness.save_rows(rows)
    for name, values in rows.items():
        print(harness.table({name: values}, width=34).splitlines()[-1], flush=True)
    if counts["oversold"] or counts["overbooked"]:
        print(f"FAILED: {counts['oversold']} units oversold, {counts['overbooked']} places overbooked", flush=True)
        failed = 1
    if _unexpected(measured) or _unexpected(race):
        print(f"FAILED: unexpected answers: {measured.statuses} / race {race.statuses} (see {instance}/servers.log)",
              flush=True)
        failed = 1
    if floor_result.per_second("201") == 0 or _unexpected(floor_result):
        print(f"FAILED: the floor answered {floor_result.statuses}", flush=True)
        failed = 1
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
