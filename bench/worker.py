"""Worker benchmark: order-confirmation notices delivered per second by ONE Celery worker process on Redis
to a local SMTP sink (aiosmtpd), and the delay from each order's commit to its delivery (p50, p99).

Orders are written in bulk straight into the database (users, one part and one line each), committed in
batches with their `notices.order_confirmed` outbox jobs, and each batch is published right after its
commit, as the checkout would. Every notice is the full confirmation: three templates and the .ics.
The delay is therefore a burst figure: the last orders wait behind the whole backlog.

`python -m bench.worker --orders 10000` (default 10000, or BENCH_WORKER_ORDERS); bounded by --timeout
seconds (default 300, or BENCH_WORKER_TIMEOUT): past it, the figures cover what was delivered by then.
The exit status is 1 on any duplicate delivery.
Environment: BENCH_WORKER_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/shopapp_bench_worker),
BENCH_WORKER_REDIS_URL (default redis://127.0.0.1:6379/9).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("BENCH_WORKER_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/shopapp_bench_worker")
REDIS_URL = os.environ.get("BENCH_WORKER_REDIS_URL", "redis://127.0.0.1:6379/9")
BATCH = 500


class Sink:
    """An aiosmtpd server that only records when each recipient's message arrived."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.arrivals: dict[str, float] = {}
        self.duplicates = 0
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                now = time.time()
                with sink.lock:
                    for rcpt in envelope.rcpt_tos:
                        if rcpt in sink.arrivals:
                            sink.duplicates += 1
                        else:
                            sink.arrivals[rcpt] = now
                return "250 OK"

        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def count(self) -> int:
        with self.lock:
            return len(self.arrivals)


def _environment(instance: str, smtp_port: int) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": DATABASE_URL, "CELERY_BROKER_URL": REDIS_URL, "REDIS_URL": REDIS_URL,
            "SHOPAPP_INSTANCE": instance, "LOG_JSON": "0", "MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp_port), "PYTHONPATH": str(ROOT)}


def prepare(env: dict[str, str]) -> Any:
    """A fresh bench database with a venue, a shop, a product and a slot; returns the app."""
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "SHOPAPP_INSTANCE",
                                           "LOG_JSON", "MAIL_BACKEND", "MAIL_SERVER", "MAIL_PORT")})
    from bench.catalog import create_database
    from shopapp.app import create_app
    from shopapp.extensions import db

    create_database(DATABASE_URL)
    app = create_app()
    with app.app_context():
        db.drop_all()  # a throwaway bench database, rebuilt each run
        db.create_all()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # the bench's own Redis database: no message from an earlier run
    return app


def write_orders(app: Any, total: int) -> dict[str, float]:
    """Insert `total` confirmed orders in batches; commit and publish each batch's jobs. Returns the commit
    time of each resident's order, by e-mail address."""
    from sqlalchemy import insert, select

    from shopapp.accounts.models import User
    from shopapp.catalog.models import Product, Shop, StockRecord
    from shopapp.core import outbox
    from shopapp.core.clock import utcnow
    from shopapp.core.outbox import OutboxJob
    from shopapp.extensions import db
    from shopapp.orders.models import Order, OrderLine, OrderPart, PickupSlot
    from shopapp.venue.models import Venue

    committed: dict[str, float] = {}
    with app.app_context():
        venue = Venue(name="La Halle Commune", address="3 place de la Halle", latitude=48.85, longitude=2.35)
        shop = Shop(slug="boulangerie", name="Boulangerie Aurore", trade="Boulangerie", status="approved")
        db.session.add_all([venue, shop])
        db.session.flush()
        product = Product(shop_id=shop.id, sku="BAG", name="Baguette", slug="baguette", price_cents=130)
        product.stock = StockRecord(on_hand=10**7)
        start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
        slot = PickupSlot(venue_id=venue.id, starts_at=start, ends_at=start + timedelta(hours=1), capacity=10**7,
                          booked=total)
        db.session.add_all([product, slot])
        db.session.commit()
        now = utcnow()
        for first in range(0, total, BATCH):
            numbers = range(first, min(first + BATCH, total))
            emails = [f"resident{n}@bench.example.org" for n in numbers]
            db.session.execute(insert(User), [{"email": e, "name": f"Résident {n}", "password_hash": "!",
                                               "locale": "fr"} for n, e in zip(numbers, emails, strict=True)])
            user_ids = dict(db.session.execute(select(User.email, User.id).where(User.email.in_(emails))).all())
            db.session.execute(insert(Order), [
                {"number": f"AMC-B{n:07d}", "pickup_code": f"C{n:07d}", "user_id": user_ids[e],
                 "pickup_slot_id": slot.id, "status": "confirmed", "payment_method": "at_pickup",
                 "payment_status": "due", "total_cents": 130, "created_at": now}
                for n, e in zip(numbers, emails, strict=True)])
            order_ids = list(db.session.scalars(select(Order.id).where(Order.number.in_(
                [f"AMC-B{n:07d}" for n in numbers])).order_by(Order.id)))
            db.session.execute(insert(OrderPart), [{"order_id": o, "shop_id": shop.id, "status": "received",
                                                    "subtotal_cents": 130} for o in order_ids])
            part_ids = list(db.session.scalars(select(OrderPart.id).where(OrderPart.order_id.in_(order_ids))))
            db.session.execute(insert(OrderLine), [
                {"part_id": p, "product_id": product.id, "sku": "BAG", "name": "Baguette", "unit": "pièce",
                 "unit_price_cents": 130, "vat_rate_bp": 550, "quantity": 1, "line_total_cents": 130}
                for p in part_ids])
            db.session.execute(insert(OutboxJob), [{"task_name": "notices.order_confirmed",
                                                    "payload": {"order_id": o}, "status": "pending",
                                                    "attempts": 0, "created_at": utcnow()} for o in order_ids])
            job_ids = list(db.session.scalars(select(OutboxJob.id).where(OutboxJob.status == "pending")))
            db.session.commit()
            stamp = time.time()
            committed.update({e: stamp for e in emails})
            outbox.dispatch(job_ids)
    return committed


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("--orders", type=int, default=int(os.environ.get("BENCH_WORKER_ORDERS", "10000")))
    parser.add_argument("--timeout", type=float, default=float(os.environ.get("BENCH_WORKER_TIMEOUT", "300")))
    args = parser.parse_args(argv or [])
    instance = tempfile.mkdtemp(prefix="bench-worker-")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
    sink = Sink()
    sink.controller.start()
    env = _environment(instance, sink.port)
    app = prepare(env)
    log = open(Path(instance) / "worker.log", "ab")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker", "--pool=solo", "--loglevel=WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=str(ROOT), env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        began = time.time()
        committed = write_orders(app, args.orders)
        written = time.time() - began
        deadline = began + args.timeout
        while sink.count() < args.orders and time.time() < deadline and worker.poll() is None:
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
        sink.controller.stop()
    delivered = sink.count()
    arrivals = dict(sink.arrivals)
    delays = [arrivals[address] - committed[address] for address in arrivals if address in committed]
    elapsed = (max(arrivals.values()) - began) if arrivals else float("nan")
    print(f"orders written and committed: {args.orders} in {written:.1f} s (batches of {BATCH})")
    print(f"notices delivered: {delivered}/{args.orders}, duplicates: {sink.duplicates}")
    if delays:
        print(f"throughput: {delivered / elapsed:.1f} notices/s (one worker process, solo pool, Redis broker)")
        print(f"commit → delivery delay: p50 {statistics.median(delays):.1f} s, p99 {_percentile(delays, 0.99):.1f} s,"
              f" max {max(delays):.1f} s")
    if delivered < args.orders:
        print(f"stopped at the --timeout bound ({args.timeout:.0f} s): the figures cover what was delivered")
    return 0 if sink.duplicates == 0 and delivered > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
