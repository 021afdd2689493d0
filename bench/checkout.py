"""Checkout benchmark: 200 simulated residents check out at once (concurrency 32) over HTTP against the
app under gunicorn on PostgreSQL, racing for products with limited stock and slots with limited room.

Prints checkouts/s, p50 and p99 latency, the answers by status, and the oversell and overbooking counts
(both must be 0; the exit status is 1 otherwise).

Environment: BENCH_CHECKOUT_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/shopapp_bench_checkout),
BENCH_RESIDENTS (default 200), BENCH_CONCURRENCY (default 32).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import statistics
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta

from bench.catalog import ROOT, create_database, serve

DATABASE_URL = os.environ.get("BENCH_CHECKOUT_DATABASE_URL",
                              "postgresql://postgres@127.0.0.1:5432/shopapp_bench_checkout")
RESIDENTS = int(os.environ.get("BENCH_RESIDENTS", "200"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))
SCARCE_PRODUCTS = 20
SCARCE_STOCK = 4  # 80 scarce units for 200 residents who each want 1 or 2 of them
SLOTS = 6
SLOT_CAPACITY = 25  # 150 places for 200 residents


def _environment(instance: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": DATABASE_URL, "SHOPAPP_INSTANCE": instance, "LOG_JSON": "0",
            "OUTBOX_DISPATCH": "0", "PYTHONPATH": str(ROOT)}


def prepare(instance: str) -> tuple[list[str], list[int], dict[int, int]]:
    """A fresh database: a venue, shops, scarce and plentiful products, slots, residents with baskets
    and API tokens. Returns the tokens, the slot ids and the initial stock by product id."""
    env = _environment(instance)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "SHOPAPP_INSTANCE", "LOG_JSON", "OUTBOX_DISPATCH")})
    from shopapp.accounts.models import User, UserRole
    from shopapp.accounts.services import issue_api_token
    from shopapp.app import create_app
    from shopapp.catalog.models import Product, Shop, StockRecord
    from shopapp.core.clock import utcnow
    from shopapp.core.transaction import commit
    from shopapp.extensions import db
    from shopapp.orders.basket import BasketOwner, add_line
    from shopapp.orders.models import PickupSlot
    from shopapp.venue.models import Venue

    create_database(DATABASE_URL)
    rng = random.Random(7)
    app = create_app()
    with app.app_context():
        db.drop_all()  # a throwaway bench database, rebuilt each run like the test one
        db.create_all()
        venue = Venue(name="La Halle Commune", address="Place de la Halle", booking_cutoff_minutes=60)
        db.session.add(venue)
        db.session.flush()
        start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
        slots = [PickupSlot(venue_id=venue.id, starts_at=start + timedelta(minutes=30 * i),
                            ends_at=start + timedelta(minutes=30 * (i + 1)), capacity=SLOT_CAPACITY)
                 for i in range(SLOTS)]
        db.session.add_all(slots)
        shops = [Shop(slug=f"boutique-{i}", name=f"Boutique {i}", trade="Commerce", status="approved",
                      preparation_minutes=120) for i in range(10)]
        db.session.add_all(shops)
        db.session.flush()
        scarce, plenty = [], []
        for i in range(SCARCE_PRODUCTS + 10):
            is_scarce = i < SCARCE_PRODUCTS
            product = Product(shop_id=shops[i % 10].id, sku=f"B{i}", name=f"Produit {i}", slug=f"produit-{i}",
                              price_cents=100 + i * 10)
            product.stock = StockRecord(on_hand=SCARCE_STOCK if is_scarce else 10_000)
            db.session.add(product)
            (scarce if is_scarce else plenty).append(product)
        db.session.flush()
        tokens = []
        for n in range(RESIDENTS):
            user = User(email=f"bench{n}@example.org", name=f"Résident {n}", password_hash="!")  # noqa: S106 - never logs in
            user.role_rows = [UserRole(role="resident")]
            db.session.add(user)
            db.session.flush()
            owner = BasketOwner(user.id, None)
            add_line(owner, rng.choice(scarce).id, 1)
            for product in rng.sample(plenty, 2):
                add_line(owner, product.id, rng.randint(1, 3))
            tokens.append(issue_api_token(user, "bench")[1])
        commit()
        initial = {p.id: p.stock.on_hand for p in scarce + plenty}
        return tokens, [s.id for s in slots], initial


def checkout(port: int, token: str, slot_id: int) -> tuple[int, float]:
    body = json.dumps({"pickup_slot_id": slot_id, "payment_method": "at_pickup"})
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", "/api/v1/orders", body=body, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json",
            "Idempotency-Key": f"bench-{token[:12]}"})
        response = conn.getresponse()
        response.read()
        return response.status, (time.perf_counter() - started) * 1000
    finally:
        conn.close()


def audit(initial: dict[int, int]) -> tuple[int, int]:
    """(oversold units, overbooked places), read from the database after the run."""
    from sqlalchemy import func, select

    from shopapp.app import create_app
    from shopapp.catalog.models import StockRecord
    from shopapp.extensions import db
    from shopapp.orders.models import Order, OrderLine, PickupSlot

    app = create_app()
    with app.app_context():
        sold = dict(db.session.execute(
            select(OrderLine.product_id, func.sum(OrderLine.quantity)).group_by(OrderLine.product_id)).all())
        records = {r.product_id: r for r in db.session.scalars(select(StockRecord))}
        oversold = sum(max(0, int(sold.get(pid, 0)) - on_hand) for pid, on_hand in initial.items())
        oversold += sum(1 for pid, r in records.items() if r.allocated != int(sold.get(pid, 0)))
        orders = dict(db.session.execute(
            select(Order.pickup_slot_id, func.count(Order.id)).group_by(Order.pickup_slot_id)).all())
        overbooked = sum(max(0, int(orders.get(s.id, 0)) - s.capacity) + (s.booked != int(orders.get(s.id, 0)))
                         for s in db.session.scalars(select(PickupSlot)))
        return oversold, overbooked


def main() -> int:
    instance = tempfile.mkdtemp(prefix="bench-checkout-")
    tokens, slot_ids, initial = prepare(instance)
    process, port = serve("shopapp.app:create_app()", {**_environment(instance)})
    rng = random.Random(11)
    jobs = [(token, rng.choice(slot_ids)) for token in tokens]
    results: list[tuple[int, float]] = []
    lock = threading.Lock()
    try:
        def worker() -> None:
            while True:
                with lock:
                    if not jobs:
                        return
                    token, slot_id = jobs.pop()
                outcome = checkout(port, token, slot_id)
                with lock:
                    results.append(outcome)

        threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
    finally:
        process.terminate()
        process.wait(timeout=20)
    statuses = Counter(status for status, _ in results)
    latencies = sorted(ms for _, ms in results)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    oversold, overbooked = audit(initial)
    print(f"residents: {RESIDENTS}, concurrency: {CONCURRENCY}, gunicorn 2 sync workers, PostgreSQL")
    print(f"answers: {dict(sorted(statuses.items()))} (201 = order placed, 409 = stock or slot taken)")
    print(f"checkouts/s: {statuses.get(201, 0) / elapsed:.1f}  (requests/s: {len(results) / elapsed:.1f})")
    print(f"latency p50: {statistics.median(latencies):.1f} ms  p99: {p99:.1f} ms")
    print(f"oversold units: {oversold}  overbooked places: {overbooked}")
    unexpected = sum(n for status, n in statuses.items() if status not in (201, 409))
    return 1 if (oversold or overbooked or unexpected) else 0


if __name__ == "__main__":
    raise SystemExit(main())
