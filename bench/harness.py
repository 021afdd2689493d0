"""What every bench shares: settings, services (PostgreSQL databases, gunicorn, an SMTP sink), the load
generator (`wrk` with the Lua scripts of bench/lua), and the results file.

Each bench (`bench.catalog`, `bench.checkout`, `bench.worker`) runs in its own process, started by
`python -m bench`; the load always comes from `wrk`, never from the process being timed. A figure is
taken over a steady window: a warm-up run of `wrk` (discarded), then the measured run.

Environment:
  BENCH_QUICK=1 (or --quick)   shorter windows and smaller data, for trying the harness out
  BENCH_WARMUP, BENCH_SECONDS  warm-up and measured seconds per run (3 and 10; quick: 1 and 3)
  BENCH_WEB_WORKERS            gunicorn sync workers, for the app and its floor alike (4: production's,
                               two per core of these 2 cores; README, "Web workers")
  BENCH_DATABASE_URL           base name of the bench databases: each bench adds its suffix
                               (postgresql://postgres@127.0.0.1:5432/shopapp_bench → shopapp_bench_catalog…)
  BENCH_REDIS_URL              the benches' own Redis database, emptied by each bench (redis://127.0.0.1:6379/9)
  BENCH_RESULTS                results file (test-artifacts/bench/results.json)
"""

from __future__ import annotations

import http.client
import json
import math
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "lua"
RESULTS = Path(os.environ.get("BENCH_RESULTS", str(ROOT / "test-artifacts" / "bench" / "results.json")))


def quick() -> bool:
    return os.environ.get("BENCH_QUICK", "0") == "1"


def warmup_seconds() -> float:
    return float(os.environ.get("BENCH_WARMUP", "1" if quick() else "3"))


def measure_seconds() -> float:
    return float(os.environ.get("BENCH_SECONDS", "3" if quick() else "10"))


def web_workers() -> int:
    return int(os.environ.get("BENCH_WEB_WORKERS", "4"))


def database_url(suffix: str) -> str:
    base = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/shopapp_bench")
    return f"{base}_{suffix}"


def redis_url() -> str:
    return os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")


def app_environment(instance: str | Path, database: str, **extra: str) -> dict[str, str]:
    """The app's environment for a bench: the production profile on PostgreSQL + Redis, as deployed
    (the SMTP server, when the bench has a sink, comes in `extra`). Nothing inherited from the
    caller's SHOPAPP_/STRIPE_/MAIL_ settings, so that no bench sees another's."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("SHOPAPP_", "STRIPE_", "MAIL_", "CACHE_", "DATABASE_URL", "REDIS_URL",
                                  "CELERY_", "OUTBOX_", "LOG_"))}
    return {
        **env,
        "SHOPAPP_ENV": "production",
        "SHOPAPP_INSTANCE": str(instance),
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
        "PUBLIC_URL": "http://127.0.0.1",
        "DATABASE_URL": database,
        "REDIS_URL": redis_url(),
        "CELERY_BROKER_URL": redis_url(),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": "25",
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def use_environment(env: Mapping[str, str]) -> None:
    """Make this (bench) process see the app's settings, before shopapp is imported."""
    for key in list(os.environ):
        if key not in env:
            del os.environ[key]
    os.environ.update(env)


# ---------------------------------------------------------------- PostgreSQL, Redis


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


def empty_redis() -> None:
    import redis

    redis.Redis.from_url(redis_url()).flushdb()


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(target: str, env: dict[str, str], *, workers: int,
          log: IO[bytes] | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """`target` under gunicorn (sync workers, loaded before they fork: as deployed) on a free loopback port,
    once the port is open (the workers may still be starting: see `wait_ready`); its output goes to `log`
    if given."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "sync", "--preload", "--bind",
         f"127.0.0.1:{port}", "--log-level", "warning", target],
        cwd=str(ROOT), env=env, stdout=log, stderr=subprocess.STDOUT if log else None,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped at start: {target}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn did not open its port: {target}")


def fetch(port: int, path: str, *, method: str = "GET", body: bytes | None = None,
          headers: Mapping[str, str] | None = None, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def wait_ready(port: int, path: str, *, workers: int, seconds: float = 120) -> None:
    """Until `path` (a real page, not the port) answers 200 on fresh connections, enough times in a row
    for every worker to have loaded the app and answered."""
    deadline = time.monotonic() + seconds
    streak = 0
    while streak < 4 * workers:
        try:
            status, _headers, _body = fetch(port, path, timeout=seconds)
            streak = streak + 1 if status == 200 else 0
            if status != 200:
                time.sleep(0.3)
        except OSError:
            streak = 0
            time.sleep(0.3)
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} did not answer 200 on port {port} within {seconds:.0f} s")


def stop(process: subprocess.Popen[Any] | None, timeout: float = 30) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def start_celery_worker(env: dict[str, str], log: IO[bytes], *, nice: int = 0) -> subprocess.Popen[bytes]:
    """One Celery worker process on the bench's Redis, with the pool `worker` runs with in production
    (`worker.POOL_OPTIONS`); `nice=10` as docker-compose.yml starts it beside the web (residents' requests
    first when the CPU is short, the notices catching up after)."""
    from worker import POOL_OPTIONS

    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker", *POOL_OPTIONS, "--loglevel=WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=str(ROOT), env=env, stdout=log, stderr=subprocess.STDOUT,
        preexec_fn=(lambda: os.nice(nice)) if nice else None,
    )


# ---------------------------------------------------------------- SMTP sink


class Sink:
    """An aiosmtpd server (its own thread) that records when each recipient's message arrived, counts
    every message, and keeps the first `keep` messages as they were sent (for the smtplib floor)."""

    def __init__(self, keep: int = 0) -> None:
        import logging

        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
        self.arrivals: dict[str, float] = {}
        self.duplicates = 0
        self.total = 0
        self.kept: list[tuple[str, list[str], bytes]] = []
        self.keep = keep
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                now = time.time()
                with sink.lock:
                    sink.total += 1
                    if len(sink.kept) < sink.keep:
                        sink.kept.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
                    for rcpt in envelope.rcpt_tos:
                        if rcpt in sink.arrivals:
                            sink.duplicates += 1
                        else:
                            sink.arrivals[rcpt] = now
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def count(self) -> int:
        with self.lock:
            return self.total

    def __enter__(self) -> Sink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


# ---------------------------------------------------------------- wrk


@dataclass(frozen=True)
class WrkResult:
    """One `wrk` run, as its Lua `done()` reported it (bench/lua/*.lua print one JSON line)."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # connect, read, write, timeout errors and non-2xx/3xx answers
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def per_second(self, status: str) -> float:
        return self.statuses.get(status, 0) / self.seconds if self.seconds else 0.0


MARKER = "BENCH-RESULT "


def parse_wrk(output: str) -> WrkResult:
    """The result line (`BENCH-RESULT {json}`) printed by the Lua scripts' `done()`."""
    for line in output.splitlines():
        if line.startswith(MARKER):
            data = json.loads(line[len(MARKER):])
            errors = data.get("errors", {})
            return WrkResult(
                requests=int(data["requests"]),
                seconds=float(data["duration_us"]) / 1e6,
                p50_ms=float(data["p50_us"]) / 1000,
                p99_ms=float(data["p99_us"]) / 1000,
                errors=sum(int(v) for v in errors.values()),
                statuses={str(k): int(v) for k, v in (data.get("statuses") or {}).items()},
            )
    raise ValueError("no result line in wrk's output:\n" + output[-2000:])


def wrk(url: str, script: str, args: Sequence[str], *, seconds: float, connections: int,
        threads: int = 2) -> WrkResult:
    """`wrk` against `url` with bench/lua/<script>, for `seconds`; its Lua `done()` gives the figures."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (Debian package `wrk`)")
    command = ["wrk", "-t", str(min(threads, connections)), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
               "--timeout", "30s", "-s", str(LUA / script), url, "--", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[-1000:]}")
    return parse_wrk(done.stdout)


def warm_then_measure(url: str, script: str, args: Sequence[str], *, connections: int, drain: tuple[int, str],
                      warm_args: Sequence[str] | None = None, warm_seconds: float | None = None) -> WrkResult:
    """A discarded warm-up run (`warm_seconds`, by default BENCH_WARMUP), then the measured one. In between,
    the requests the warm-up left queued in the server (wrk stops without waiting for them) are let through:
    `drain` = (port, path) is fetched once, and answers after them."""
    wrk(url, script, warm_args if warm_args is not None else args,
        seconds=warmup_seconds() if warm_seconds is None else warm_seconds, connections=connections)
    fetch(*drain, timeout=120)
    return wrk(url, script, args, seconds=measure_seconds(), connections=connections)


# ---------------------------------------------------------------- workloads


def zipf_draws(items: Sequence[str], count: int, *, s: float = 1.0, seed: int = 42) -> list[str]:
    """`count` draws over `items` with a popularity skew (Zipf: the i-th most popular is drawn 1/i^s as
    often as the first), the popularity order itself shuffled (seeded): many pages, a few of them often."""
    rng = random.Random(seed)
    ranked = rng.sample(list(items), len(items))
    return rng.choices(ranked, weights=[1 / rank**s for rank in range(1, len(ranked) + 1)], k=count)


def write_lines(path: Path, lines: Iterable[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


# ---------------------------------------------------------------- results


def row(result: WrkResult | None = None, *, rps: float | None = None, floor_rps: float | None = None,
        **extra: Any) -> dict[str, Any]:
    """A results row: requests/s, p50 and p99 (ms), its floor's rate and the ratio, plus what else it checks."""
    value = rps if rps is not None else (result.rps if result else None)
    out: dict[str, Any] = {
        "rps": _round(value),
        "p50_ms": _round(result.p50_ms) if result else None,
        "p99_ms": _round(result.p99_ms) if result else None,
        "floor_rps": _round(floor_rps),
        "ratio": round(value / floor_rps, 3) if value is not None and floor_rps else None,
    }
    if result is not None:
        out["errors"] = result.errors
    out["load_1m"] = round(os.getloadavg()[0], 2)  # the machine's load when the row was taken
    out.update(extra)
    return out


def _round(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 1)


def goal(name: str, values: Mapping[str, Any]) -> tuple[str, bool] | None:
    """The goal issue 21 sets for a row (its "Must show"), and whether this row meets it."""
    ratio, p99 = values.get("ratio") or 0.0, values.get("p99_ms")
    fast = p99 is not None and p99 < 60
    if name.endswith("[cache on]"):
        return "≥ 50 % of the floor, p99 < 60 ms", ratio >= 0.5 and fast
    if name.endswith("[cache off]"):
        return "≥ 30 % of the floor, p99 < 60 ms", ratio >= 0.3 and fast
    if name == "checkout":
        return "orders/s ≥ 50 % of the floor's, p99 < 300 ms", ratio >= 0.5 and p99 is not None and p99 < 300
    if name == "checkout race":
        return "0 oversold, 0 overbooked", values.get("oversold") == 0 and values.get("overbooked") == 0
    if name == "notices throughput":
        return "≥ 50 % of the smtplib floor", ratio >= 0.5
    if name == "notices latency":
        return "p99 commit → delivery < 2 s", p99 is not None and p99 < 2000 and not values.get("lost")
    return None


def save_rows(rows: Mapping[str, Mapping[str, Any]], path: Path = RESULTS) -> None:
    """Merge `rows` into the results file (each bench process adds its own), each with its goal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text()) if path.exists() else {}
    for name, values in rows.items():
        current[name] = dict(values)
        target = goal(name, values)
        if target is not None:
            current[name].update(goal=target[0], meets_goal=target[1])
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n")
    temporary.replace(path)


COLUMNS = (("rps", "req/s", 9), ("p50_ms", "p50 ms", 8), ("p99_ms", "p99 ms", 8), ("floor_rps", "floor/s", 9),
           ("ratio", "ratio", 6))


def table(rows: Mapping[str, Mapping[str, Any]], width: int = 0) -> str:
    """The rows as a fixed-width table; the counts a row checks follow on the same line."""
    width = max([len(name) for name in rows] + [3, width])
    lines = [f"{'row':<{width}} " + " ".join(f"{title:>{size}}" for _key, title, size in COLUMNS) + "  goal  notes"]
    for name, values in rows.items():
        cells = []
        for key, _title, size in COLUMNS:
            value = values.get(key)
            if value is None:
                text = "—"
            elif key == "ratio":
                text = f"{value:.0%}"
            elif key.endswith("_ms"):
                text = f"{value:.1f}"
            else:
                text = f"{value:.0f}" if value >= 100 else f"{value:.1f}"
            cells.append(f"{text:>{size}}")
        meets = values["meets_goal"] if "meets_goal" in values else (goal(name, values) or ("", None))[1]
        cells.append(f"{'' if meets is None else 'ok' if meets else 'below':>5}")
        notes = ", ".join(f"{key}={_note(value)}" for key, value in values.items()
                          if key not in dict.fromkeys(k for k, _t, _s in COLUMNS) and key not in HIDDEN)
        lines.append(f"{name:<{width}} " + " ".join(cells) + (f"  {notes}" if notes else ""))
    return "\n".join(lines)


HIDDEN = frozenset({"seconds", "warmup_s", "concurrency", "web_workers", "statuses", "goal", "meets_goal",
                    "load_1m"})


def _note(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, dict):
        return "{" + " ".join(f"{k}:{v}" for k, v in value.items()) + "}"
    return str(value)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
