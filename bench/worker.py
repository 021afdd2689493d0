"""Worker bench: order-confirmation notices (the full message: three templates and the .ics) sent by ONE
Celery worker process (its production pool, `worker.POOL_OPTIONS`) on Redis to a local SMTP sink (aiosmtpd,
in this process).

Orders are written straight into the database (a resident, one part, one line each) with their
`notices.order_confirmed` outbox job, committed, and the jobs published right after the commit with
`outbox.dispatch`, as the checkout and the outbox sweep do (notices go as batch messages).

Rows:
- `notices throughput`: a backlog of 10,000 orders' notices is committed and published before the worker
  starts; once the first notice arrives and after the warm-up, notices/s at the sink over the window.
  Its floor is a plain smtplib loop (bench/mail_floor.py, one process) sending the same rendered
  messages (the first ones the worker sent, kept by the sink) to the same sink.
- `notices latency`: a fresh worker, orders arriving one by one at a steady rate of half the measured
  throughput; the delay of each (measured) order from its commit to its delivery at the sink, p50/p99.
  The exit status is 1 on any duplicate delivery, or when a latency-row order is not delivered.

`python -m bench.worker [--quick] [--orders N]`; the database (BENCH_DATABASE_URL + "_worker") is rebuilt
each run and the bench's Redis database emptied.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import harness

BATCH = 500
KEPT_MESSAGES = 200


class Orders:
    """Writes confirmed orders (and their outbox jobs) for the bench's resident numbers, commits, publishes."""

    def __init__(self, app: Any) -> None:
        from shopapp.catalog.models import Product, Shop, StockRecord
        from shopapp.core.clock import utcnow
        from shopapp.extensions import db
        from shopapp.orders.models import PickupSlot
        from shopapp.venue.models import Venue

        self.app = app
        self.next = 0
        with app.app_context():
            venue = Venue(name="La Halle Commune", address="3 place de la Halle", latitude=48.85, longitude=2.35)
            shop = Shop(slug="boulangerie", name="Boulangerie Aurore", trade="Boulangerie", status="approved")
            db.session.add_all([venue, shop])
            db.session.flush()
            product = Product(shop_id=shop.id, sku="BAG", name="Baguette", slug="baguette", price_cents=130)
            product.stock = StockRecord(on_hand=10**9)
            start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
            slot = PickupSlot(venue_id=venue.id, starts_at=start, ends_at=start + timedelta(hours=1), capacity=10**9)
            db.session.add_all([product, slot])
            db.session.commit()
            self.shop_id, self.product_id, self.slot_id = shop.id, product.id, slot.id

    def write(self, count: int) -> dict[str, float]:
        """`count` more orders in one transaction; their jobs published after the commit. Returns the commit
        time (time.time()) by resident address."""
        from sqlalchemy import insert, update

        from shopapp.accounts.models import User
        from shopapp.core import outbox
        from shopapp.core.clock import utcnow
        from shopapp.core.outbox import OutboxJob
        from shopapp.extensions import db
        from shopapp.orders.models import Order, OrderLine, OrderPart, PickupSlot

        numbers = range(self.next, self.next + count)
        self.next += count
        emails = [f"resident{n}@bench.example.org" for n in numbers]
        with self.app.app_context():
            now = utcnow()
            user_ids = db.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), [
                {"email": e, "name": f"Résident {n}", "password_hash": "!", "locale": "fr"}
                for n, e in zip(numbers, emails, strict=True)]).all()
            order_ids = db.session.scalars(insert(Order).returning(Order.id, sort_by_parameter_order=True), [
                {"number": f"AMC-B{n:07d}", "pickup_code": f"C{n:07d}", "user_id": u, "pickup_slot_id": self.slot_id,
                 "status": "confirmed", "payment_method": "at_pickup", "payment_status": "due", "total_cents": 130,
                 "created_at": now} for n, u in zip(numbers, user_ids, strict=True)]).all()
            part_ids = db.session.scalars(insert(OrderPart).returning(OrderPart.id, sort_by_parameter_order=True), [
                # Labels given, not drawn: 10,000 random 6-character codes collide now and then.
                {"order_id": o, "shop_id": self.shop_id, "status": "received", "subtotal_cents": 130,
                 "label": f"B{n:07d}"} for n, o in zip(numbers, order_ids, strict=True)]).all()
            db.session.execute(insert(OrderLine), [
                {"part_id": p, "product_id": self.product_id, "sku": "BAG", "name": "Baguette", "unit": "pièce",
                 "unit_price_cents": 130, "vat_rate_bp": 550, "quantity": 1, "line_total_cents": 130}
                for p in part_ids])
            db.session.execute(update(PickupSlot).where(PickupSlot.id == self.slot_id)
                               .values(booked=PickupSlot.booked + count))
            job_ids = list(db.session.scalars(insert(OutboxJob).returning(OutboxJob.id, sort_by_parameter_order=True), [
                {"task_name": "notices.order_confirmed", "payload": {"order_id": o}, "status": "pending",
                 "attempts": 0, "created_at": now} for o in order_ids]))
            db.session.commit()
            stamp = time.time()
            # Published as the checkout (after its commit) and the sweep (a backlog) do: notices go as batch
            # messages of OUTBOX_BATCH_SIZE jobs, marked published with one UPDATE.
            outbox.dispatch(job_ids)
        return dict.fromkeys(emails, stamp)


    def drop_waiting_jobs(self) -> None:
        """Delete the jobs not done yet (the rest of a row's backlog)."""
        from sqlalchemy import delete

        from shopapp.core.outbox import OutboxJob
        from shopapp.extensions import db

        with self.app.app_context():
            db.session.execute(delete(OutboxJob).where(OutboxJob.status != "done"))
            db.session.commit()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _wait(condition: Any, seconds: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


def _window(sink: harness.Sink) -> float:
    """Messages per second arriving at the sink over the measured window, after the warm-up."""
    time.sleep(harness.warmup_seconds())
    first, began = sink.count(), time.monotonic()
    time.sleep(harness.measure_seconds())
    return (sink.count() - first) / (time.monotonic() - began)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--orders", type=int, default=int(os.environ.get("BENCH_WORKER_ORDERS", "10000")))
    args = parser.parse_args(argv or [])
    if args.quick:
        os.environ["BENCH_QUICK"] = "1"
    instance = Path(tempfile.mkdtemp(prefix="bench-worker-"))
    database = harness.database_url("worker")
    sink = harness.Sink(keep=KEPT_MESSAGES)
    env = harness.app_environment(instance, database, MAIL_PORT=str(sink.port))
    harness.use_environment(env)
    harness.create_database(database)
    harness.empty_redis()

    from shopapp.app import create_app
    from shopapp.extensions import db
    from worker import POOL_OPTIONS

    app = create_app()
    with app.app_context():
        db.drop_all()  # a throwaway bench database, rebuilt each run
        db.create_all()
    orders = Orders(app)
    log = open(instance / "worker.log", "ab")  # noqa: SIM115 - closed below
    worker = None
    rows: dict[str, dict[str, Any]] = {}
    common = {"seconds": harness.measure_seconds(), "warmup_s": harness.warmup_seconds()}
    failed = 0
    with sink:
        try:
            # Throughput: the whole backlog committed and published first.
            began = time.monotonic()
            for first in range(0, args.orders, BATCH):
                orders.write(min(BATCH, args.orders - first))
            print(f"{args.orders} orders committed and their notices published in {time.monotonic() - began:.1f} s",
                  flush=True)
            worker = harness.start_celery_worker(env, log)
            if not _wait(lambda: sink.count() > 0, 120):
                raise RuntimeError(f"no notice delivered within 120 s (see {instance}/worker.log)")
            throughput = _window(sink)
            harness.stop(worker)
            worker = None
            backlog_delivered = sink.count()

            # Its floor: the same messages, from a plain smtplib loop.
            messages = instance / "messages.json"
            messages.write_text(json.dumps([(sender, base64.b64encode(content).decode())
                                            for sender, _rcpts, content in sink.kept]))
            seconds = harness.warmup_seconds() + harness.measure_seconds() + 1
            floor_process = subprocess.Popen(
                [sys.executable, "-m", "bench.mail_floor", str(sink.port), str(messages), str(seconds)],
                cwd=str(harness.ROOT), env=env, stdout=log, stderr=subprocess.STDOUT)
            floor = _window(sink)
            floor_process.wait(timeout=60)
            harness.empty_redis()  # the backlog's remaining messages: not for the next row
            orders.drop_waiting_jobs()  # nor its jobs (a batch with room takes jobs still waiting)

            # Latency: a fresh worker, orders arriving at a steady rate of half the throughput.
            worker = harness.start_celery_worker(env, log)
            ready = orders.write(1)
            if not _wait(lambda: all(address in sink.arrivals for address in ready), 120):
                raise RuntimeError(f"the latency row's worker did not deliver (see {instance}/worker.log)")
            rate = max(throughput / 2, 0.5)
            committed: dict[str, float] = {}
            start = time.monotonic()
            warm_until = start + harness.warmup_seconds()
            end = warm_until + harness.measure_seconds()
            n = 0
            while True:
                due = start + n / rate
                if due >= end:
                    break
                time.sleep(max(0.0, due - time.monotonic()))
                stamps = orders.write(1)
                if due >= warm_until:
                    committed.update(stamps)
                n += 1
            _wait(lambda: all(address in sink.arrivals for address in committed), 60, step=0.2)
            delays = [(sink.arrivals[a] - t) * 1000 for a, t in committed.items() if a in sink.arrivals]
        finally:
            harness.stop(worker)
            log.close()
    rows["notices throughput"] = harness.row(
        rps=throughput, floor_rps=floor, backlog=args.orders, delivered=backlog_delivered,
        duplicates=sink.duplicates, worker_processes=1,
        worker_pool=" ".join(POOL_OPTIONS), **common)
    lost = len(committed) - len(delays)
    rows["notices latency"] = harness.row(
        rps=len(committed) / harness.measure_seconds(), arrival_rate=round(rate, 1), orders=len(committed),
        delivered=len(delays), lost=lost, duplicates=sink.duplicates, **common)
    if delays:
        rows["notices latency"].update(p50_ms=round(statistics.median(delays), 1),
                                       p99_ms=round(_percentile(delays, 0.99), 1), max_ms=round(max(delays), 1))
    harness.save_rows(rows)
    for name, values in rows.items():
        print(harness.table({name: values}, width=34).splitlines()[-1], flush=True)
    if sink.duplicates or lost:
        print(f"FAILED: {sink.duplicates} notices delivered twice, {lost} latency-row notices not delivered "
              f"(see {instance}/worker.log)", flush=True)
        failed = 1
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
