"""Catalog benchmark: the app under gunicorn (2 sync workers) on PostgreSQL with the 10,000-product
data set, driven over HTTP at concurrency 16, against a bare Flask app returning a body of the same
size served the same way (the floor). The product page is measured twice: one product (the same page
over and over), and visits spread over the whole catalogue with a popularity skew (Zipf), since anonymous
product pages are cached per product.

Environment: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/shopapp_bench),
BENCH_SECONDS per endpoint (default 8), BENCH_CONCURRENCY (default 16).
"""

from __future__ import annotations

import http.client
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/shopapp_bench")
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
TARGET_RATIO = 0.30
TARGET_P99_MS = 60.0


@dataclass(frozen=True)
class Result:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


def _environment(instance: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": DATABASE_URL, "SHOPAPP_INSTANCE": instance, "LOG_JSON": "0",
            "OUTBOX_DISPATCH": "0", "PYTHONPATH": str(ROOT)}


def create_database(database_url: str, *, fresh: bool = False) -> None:
    """Create the PostgreSQL database named in `database_url` if it is missing; `fresh` drops it first
    (ending its open sessions), for a run that must start from nothing."""
    from sqlalchemy import create_engine, text

    from shopapp.config import normalise_database_url

    url = normalise_database_url(database_url)
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        name = url.rsplit("/", 1)[1]
        if fresh:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def prepare(instance: str) -> list[int]:
    """Create the database and load the data set (idempotent). Returns the products' ids, in id order."""
    env = _environment(instance)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "SHOPAPP_INSTANCE", "LOG_JSON", "OUTBOX_DISPATCH")})
    from sqlalchemy import select

    from shopapp.app import create_app
    from shopapp.catalog import generator
    from shopapp.catalog.models import Product
    from shopapp.catalog.search import install_search
    from shopapp.core.transaction import commit
    from shopapp.extensions import db

    create_database(DATABASE_URL)
    app = create_app()
    with app.app_context():
        db.create_all()  # a bench database, built like the test one (production runs migrations)
        install_search(db.engine)
        if generator.load(generator.generate(seed=42)):
            print("data set loaded: 50 shops, 20 categories, 10,000 products", flush=True)
        commit()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        return list(db.session.scalars(select(Product.id).order_by(Product.id)))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(target: str, env: dict[str, str], *, workers: int = 2,
          log: IO[bytes] | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """`target` under gunicorn (sync workers) on a free loopback port; its output goes to `log` if given."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "sync", "--bind",
         f"127.0.0.1:{port}", "--log-level", "warning", target],
        cwd=str(ROOT), env=env, stdout=log, stderr=subprocess.STDOUT if log else None,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn did not start: {target}")


def wait_answering(port: int, seconds: float = 120) -> None:
    """Until a worker answers HTTP (booting the app on a loaded machine may take longer than a fetch)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=seconds)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def fetch(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Accept": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def popular(paths: list[str], count: int, seed: int = 42) -> list[str]:
    """`count` visits over `paths` with a popularity skew (Zipf, s = 1: the i-th most viewed page is
    viewed 1/i as often as the first), in a random but fixed order: many pages, a few of them often."""
    rng = random.Random(seed)
    ranked = rng.sample(paths, len(paths))
    return rng.choices(ranked, weights=[1 / rank for rank in range(1, len(ranked) + 1)], k=count)


def drive(port: int, path: str | list[str], seconds: float = SECONDS, concurrency: int = CONCURRENCY) -> Result:
    """`path`, or each client walking its own stretch of a list of paths, as fast as answers come."""
    paths = [path] if isinstance(path, str) else path
    for warm in paths[:20]:  # warm-up: imports, template compilation, connection pools
        fetch(port, warm)
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    stop = time.monotonic() + seconds

    def worker(index: int) -> None:
        position = index * len(paths) // concurrency
        while time.monotonic() < stop:
            started = time.perf_counter()
            position = (position + 1) % len(paths)
            try:
                status, _body = fetch(port, paths[position])
            except OSError:
                errors[index] += 1
                continue
            if status != 200:
                errors[index] += 1
                continue
            latencies[index].append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    every = [value for chunk in latencies for value in chunk]
    return Result(len(every), sum(errors), elapsed, every)


def main() -> int:
    instance = tempfile.mkdtemp(prefix="shopapp-bench-")
    product_ids = prepare(instance)
    env = _environment(instance)
    pages: dict[str, str | list[str]] = {
        "product list (page 1)": "/api/v1/products?page=1",
        "category filter": "/api/v1/products?category=gen-fromagerie&page=1",
        "search q=fromage": "/api/v1/products?q=fromage",
        "product page": f"/produits/{product_ids[len(product_ids) // 2]}",
    }
    # The same page over the whole catalogue, as visitors spread: the one product page above says little
    # of a page cached per product. A first stretch of visits fills the cache unmeasured, as a running
    # server's would be (not a replay: the measured visits are further draws, many of them new pages).
    visits = popular([f"/produits/{i}" for i in product_ids], 100_000)
    pages["product pages (Zipf)"] = visits[50_000:]
    warm_ups = {"product pages (Zipf)": visits[:50_000]}
    app_server, app_port = serve("shopapp.app:create_app()", env)
    floor_server, floor_port = serve("bench.floor:make_app()", env)
    for port in (app_port, floor_port):
        wait_answering(port)
    failed = 0
    try:
        print(f"{'endpoint':<24} {'bytes':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
              f"{'floor req/s':>12} {'floor p99':>10} {'ratio':>6}  verdict", flush=True)
        for label, path in pages.items():
            first = path if isinstance(path, str) else path[0]
            status, body = fetch(app_port, first)
            if status != 200:
                raise RuntimeError(f"{first} answered {status}")
            if label in warm_ups:
                drive(app_port, warm_ups[label])
            measured = drive(app_port, path)
            floor = drive(floor_port, f"/{len(body)}")
            ratio = measured.rps / floor.rps
            ok = ratio >= TARGET_RATIO and measured.percentile(0.99) < TARGET_P99_MS and measured.errors == 0
            failed += 0 if ok else 1
            print(f"{label:<24} {len(body):>7} {measured.rps:>8.0f} {measured.percentile(0.5):>8.1f} "
                  f"{measured.percentile(0.99):>8.1f} {floor.rps:>12.0f} {floor.percentile(0.99):>10.1f} "
                  f"{ratio:>6.0%}  {'ok' if ok else 'below target'}"
                  + (f" ({measured.errors} errors)" if measured.errors else ""), flush=True)
        print(f"target: ≥ {TARGET_RATIO:.0%} of the floor's requests/s and p99 < {TARGET_P99_MS:.0f} ms; "
              f"{CONCURRENCY} concurrent clients, {SECONDS:.0f} s per run, one run each, app and floor "
              f"measured back to back in this run.", flush=True)
    finally:
        for server in (app_server, floor_server):
            server.terminate()
            server.wait(timeout=30)
    return 0  # the numbers are reported; targets are not a build failure
