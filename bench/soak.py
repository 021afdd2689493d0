"""Soak test (`make soak`): the app under gunicorn with a Celery worker and beat on PostgreSQL + Redis, a
demo-sized town, and simulated residents shopping through the real HTML pages for a while.

Each resident signs up (first visit) or logs in, browses the home page, the catalogue, shops and product
pages, searches, adds products from several shops to the basket with the page's own form (CSRF token
included), picks a pickup slot, checks out paying at pickup, looks at the order page, and sometimes logs
out. Sold-out products and full slots are answers residents are meant to get: they are counted apart,
not as errors. When the time is up, residents leave where they are (a few baskets stay abandoned).
Everything listens on 127.0.0.1 only; as every resident comes from that one address, the per-address
log-in limit is raised for the run.

Prints throughput (requests/s, checkouts), latency (p50, p95), the error count (any 5xx, any unexpected
status, any failed connection), the Celery worker's resident memory (VmRSS of the worker process and its
pool children) before and after, then runs `check_invariants()` on the database the run left behind.
Exit status 1 when there was an error, an invariant fails, an order is missing or doubled, or the worker's
memory grew by more than 10 % and was still growing over the second half of the run (more than 2 % from
the sample at the middle of the run to the end): a leak grows all along, while each pool child's first
receipts, templates and caches level off early in the run (about +45 MiB in the first 30-45 s here).

The "before" memory figure is taken after a short warm-up (two residents' visits, their orders collected
at the desk, their notices, receipts and payouts done), so that imports, template compilation and the
PDF renderer's fonts in the worker are not counted as growth; the idle figure is printed as well, and the
worker's memory is sampled during the run.

Environment: SOAK_SECONDS (default 120), SOAK_USERS (default 200), SOAK_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/shopapp_soak, dropped and recreated each run), SOAK_REDIS_URL
(default redis://127.0.0.1:6379/11, emptied each run), SOAK_WEB_WORKERS (gunicorn sync workers, default 4),
SOAK_STOCK_FACTOR (the demo stock is multiplied by this, default 20, so that two minutes of checkouts do
not empty every shelf; the scarcest products still sell out).
"""

from __future__ import annotations

import html
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, urlsplit

import requests

from bench.harness import ROOT, create_database, serve, start_celery_worker
from worker import POOL_OPTIONS

DATABASE_URL = os.environ.get("SOAK_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/shopapp_soak")
REDIS_URL = os.environ.get("SOAK_REDIS_URL", "redis://127.0.0.1:6379/11")
SECONDS = float(os.environ.get("SOAK_SECONDS", "120"))
USERS = int(os.environ.get("SOAK_USERS", "200"))
WEB_WORKERS = int(os.environ.get("SOAK_WEB_WORKERS", "4"))
STOCK_FACTOR = int(os.environ.get("SOAK_STOCK_FACTOR", "20"))
THINK_SECONDS = (0.1, 0.6)  # a resident's pause between two clicks
RAMP_UP_SECONDS = 5.0
DRAIN_TIMEOUT = 120.0
RSS_GROWTH_LIMIT = 0.10
RSS_LATE_GROWTH_LIMIT = 0.02  # from the middle of the run to its end
WARM_DESK_SECONDS = 5.0  # the desk collects the warm-up's orders before the "before" memory figure
RSS_SAMPLES = 8
SEARCHES = ["pain", "fromages", "chocolat", "tomate", "vin rouge", "miel", "café", "croissant", "pommes", "bière"]

# What a resident may be told instead of getting what they asked for (French, as the pages say it).
EXPECTED_REFUSALS = {
    "Stock insuffisant": "out of stock",
    "en rupture de stock": "out of stock",
    "Il ne reste que": "out of stock",
    "vient d'être complet": "slot full",
    "trop proche": "slot too soon",
}


def _environment(instance: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("STRIPE_", "SHOPAPP_"))}
    return {
        **env,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "SHOPAPP_INSTANCE": instance,
        "LOG_JSON": "0",
        "MAIL_BACKEND": "outbox",
        "FLASK_APP": "shopapp.app:create_app",
        # Every simulated resident comes from 127.0.0.1: the per-address log-in limit would otherwise
        # throttle the whole town as if it were one attacker.
        "LOGIN_RATE_LIMIT": "10000 per minute",
        "PYTHONPATH": str(ROOT),
    }


# -- the town -------------------------------------------------------------------------------------------


def prepare(env: dict[str, str]) -> Any:
    """A fresh database and Redis db, the demo town from `flask dev seed`, its stock scaled up. Returns the app."""
    for key in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SHOPAPP_INSTANCE", "LOG_JSON", "MAIL_BACKEND"):
        os.environ[key] = env[key]
    for key in [k for k in os.environ if k.startswith("STRIPE_") or k == "SHOPAPP_ENV"]:
        del os.environ[key]
    import redis
    from sqlalchemy import select

    from shopapp.app import create_app
    from shopapp.catalog import stock
    from shopapp.catalog.models import StockRecord
    from shopapp.catalog.search import install_search
    from shopapp.core.transaction import commit
    from shopapp.extensions import db

    create_database(DATABASE_URL, fresh=True)
    redis.Redis.from_url(REDIS_URL).flushdb()
    app = create_app()
    with app.app_context():
        db.create_all()  # a throwaway database, built like the test one (production runs migrations)
        install_search(db.engine)
    seeded = subprocess.run(
        [sys.executable, "-m", "flask", "dev", "seed"], cwd=str(ROOT), env=env, capture_output=True, text=True
    )
    if seeded.returncode:
        raise RuntimeError(f"flask dev seed failed:\n{seeded.stdout}{seeded.stderr}")
    with app.app_context():
        for product_id, on_hand in db.session.execute(select(StockRecord.product_id, StockRecord.on_hand)).all():
            if on_hand > 0 and STOCK_FACTOR > 1:
                stock.adjust(product_id, on_hand * (STOCK_FACTOR - 1), reason="soak: delivery")
        commit()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return app


def town_summary(app: Any) -> str:
    from sqlalchemy import func, select

    from shopapp.catalog.models import Product, Shop
    from shopapp.extensions import db
    from shopapp.orders.models import PickupSlot

    with app.app_context():
        shops = db.session.scalar(select(func.count(Shop.id)))
        products = db.session.scalar(select(func.count(Product.id)))
        slots = db.session.scalar(select(func.count(PickupSlot.id)))
        capacity = db.session.scalar(select(func.max(PickupSlot.capacity)))
    return (
        f"town: {shops} shops, {products} products (demo stock ×{STOCK_FACTOR}), "
        f"{slots} pickup slots of {capacity} places"
    )


# -- the services ---------------------------------------------------------------------------------------


def start_beat(env: dict[str, str], log: IO[bytes], instance: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "worker.celery_app",
            "beat",
            "--loglevel=WARNING",
            "--schedule",
            str(Path(instance) / "celerybeat-schedule"),
        ],
        cwd=str(ROOT),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces: the parent pid is 2nd after it
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS in KiB of the process and all its descendants, how many processes)."""
    total, count, pending = 0, 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        total += int(match.group(1)) if match else 0
        count += 1
        pending.extend(_children(current))
    return total, count


def wait_for_pool(app: Any, timeout: float = 60.0) -> None:
    """Until the worker answers a ping (its pool started and consuming)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.extensions["celery"].control.ping(timeout=0.5):
            return
    raise RuntimeError("the Celery worker did not start its pool")


def outbox_counts(app: Any) -> Counter[str]:
    from sqlalchemy import func, select

    from shopapp.core.outbox import OutboxJob
    from shopapp.extensions import db

    with app.app_context():
        rows = db.session.execute(select(OutboxJob.status, func.count(OutboxJob.id)).group_by(OutboxJob.status))
        return Counter({status: int(n) for status, n in rows})


def wait_for_outbox(app: Any, timeout: float = DRAIN_TIMEOUT) -> Counter[str]:
    """Wait until the worker has finished every job (none pending or published); the last counts."""
    deadline = time.monotonic() + timeout
    counts = outbox_counts(app)
    while counts["pending"] + counts["published"] and time.monotonic() < deadline:
        time.sleep(1.0)
        counts = outbox_counts(app)
    return counts


# -- the residents --------------------------------------------------------------------------------------


class Page(HTMLParser):
    """The forms and links of a page, as a browser sees them."""

    def __init__(self, body: str) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self.links: list[str] = []
        self.feed(body)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get").lower(), "inputs": []})
        elif tag in ("input", "button", "select", "textarea") and self.forms and a.get("name"):
            self.forms[-1]["inputs"].append(a)

    def form(self, action: str) -> dict[str, Any] | None:
        return next((f for f in self.forms if f["action"].split("?")[0] == action), None)


def hidden_fields(form: dict[str, Any]) -> dict[str, str]:
    return {i["name"]: i.get("value", "") for i in form["inputs"] if i.get("type") == "hidden"}


def refusal(body: str) -> str | None:
    """The expected refusal a page's error message says (out of stock, slot full…), or None."""
    text = _error_text(body)
    return next((kind for phrase, kind in EXPECTED_REFUSALS.items() if phrase in text), None)


def _error_text(body: str) -> str:
    match = re.search(r'class="error-summary"[^>]*>(.*?)</div>', body, re.S)
    text = re.sub(r"<[^>]+>", " ", match.group(1)) if match else body[:200]
    return " ".join(html.unescape(text).split())[:160]


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)

    def record(self, step: str, status: int, ms: float) -> None:
        with self.lock:
            self.latencies.setdefault(step, []).append(ms)
            self.statuses[status] += 1

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)

    def outcome(self, name: str) -> None:
        with self.lock:
            self.outcomes[name] += 1

    def all_latencies(self) -> list[float]:
        return [ms for values in self.latencies.values() for ms in values]


class Unexpected(Exception):
    """The server answered something a resident should never see; the visit stops there."""


class TimeUp(Exception):
    """The run is over: the resident leaves, even in the middle of a visit (an abandoned basket)."""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


class Resident:
    def __init__(self, base: str, number: int, stats: Stats, stop: float, label: str, finish_visit: bool) -> None:
        self.base = base
        self.number = number
        self.stats = stats
        self.stop = stop
        self.finish_visit = finish_visit
        self.rng = random.Random(number)
        self.http = requests.Session()
        self.email = f"{label}{number}@example.org"
        self.password = f"Halle-{number:04d}-marché-du-samedi"
        self.registered = False
        self.logged_in = False

    # one request, as the browser makes it (redirects are followed by the caller, one request each)
    def request(
        self, step: str, method: str, path: str, *, data: dict[str, str] | None = None, expect: tuple[int, ...] = (200,)
    ) -> requests.Response:
        time.sleep(self.rng.uniform(*THINK_SECONDS))
        if not self.finish_visit and time.monotonic() >= self.stop:
            raise TimeUp
        started = time.perf_counter()
        try:
            response = self.http.request(method, self.base + path, data=data, allow_redirects=False, timeout=60)
        except requests.RequestException as exc:
            self.stats.error(f"{step}: {method} {path}: {type(exc).__name__}")
            raise Unexpected from exc
        self.stats.record(step, response.status_code, (time.perf_counter() - started) * 1000)
        if response.status_code not in expect:
            detail = _error_text(response.text) if response.status_code < 500 else ""
            self.stats.error(f"{step}: {method} {path} answered {response.status_code} {detail}".rstrip())
            raise Unexpected
        return response

    def follow(self, step: str, response: requests.Response, expect: tuple[int, ...] = (200,)) -> requests.Response:
        location = urlsplit(response.headers["Location"])
        return self.request(
            step, "GET", location.path + (f"?{location.query}" if location.query else ""), expect=expect
        )

    def run(self) -> None:
        while time.monotonic() < self.stop:
            try:
                self.visit()
            except TimeUp:
                return
            except Unexpected:
                self.http.cookies.clear()  # start the next visit afresh, as after closing the browser
                self.logged_in = False

    # -- a visit ------------------------------------------------------------------------------------------

    def visit(self) -> None:
        home = Page(self.request("home", "GET", "/").text)
        if not self.logged_in and self.rng.random() < 0.5:
            self.authenticate()
        catalog = Page(self.request("catalog", "GET", "/produits").text)
        self.request("search", "GET", "/produits?q=" + quote(self.rng.choice(SEARCHES)))
        shops = sorted({link for link in home.links + catalog.links if re.fullmatch(r"/boutiques/[\w-]+", link)})
        for shop in self.rng.sample(shops, k=min(len(shops), self.rng.randint(2, 3))):
            self.add_from_shop(shop)
        self.checkout()
        if self.rng.random() < 0.2:
            self.request("my orders", "GET", "/mes-commandes")
        if self.logged_in and self.rng.random() < 0.3:
            page = Page(self.request("account", "GET", "/compte").text)
            logout = page.form("/deconnexion")
            if logout is None:
                self.stats.error("account: no log-out form")
                raise Unexpected
            self.follow(
                "home", self.request("log out", "POST", "/deconnexion", data=hidden_fields(logout), expect=(302,))
            )
            self.logged_in = False

    def authenticate(self, next_path: str = "") -> requests.Response:
        """Sign up the first time, log in afterwards; returns the page the resident lands on."""
        if not self.registered:
            form = Page(self.request("sign-up page", "GET", "/inscription").text).form("")
            data = {
                **hidden_fields(form or {"inputs": []}),
                "name": f"Résident {self.number}",
                "email": self.email,
                "password": self.password,
                "confirm": self.password,
            }
            landing = self.follow("home", self.request("sign up", "POST", "/inscription", data=data, expect=(302,)))
            self.registered = True
            if next_path:
                landing = self.request("checkout page", "GET", next_path)
        else:
            path = "/connexion" + (f"?next={quote(next_path, safe='')}" if next_path else "")
            form = Page(self.request("log-in page", "GET", path).text).form("")
            data = {**hidden_fields(form or {"inputs": []}), "email": self.email, "password": self.password}
            landing = self.follow(
                "checkout page" if next_path else "home", self.request("log in", "POST", path, data=data, expect=(302,))
            )
        self.logged_in = True
        return landing

    def add_from_shop(self, shop: str) -> None:
        page = Page(self.request("shop", "GET", shop).text)
        products = sorted({link for link in page.links if re.fullmatch(r"/produits/\d+", link)})
        if not products:
            return
        product = Page(self.request("product", "GET", self.rng.choice(products)).text)
        categories = [link for link in product.links if re.fullmatch(r"/categories/[\w-]+", link)]
        if categories and self.rng.random() < 0.3:  # a look at the product's category, then back
            self.request("category", "GET", categories[0])
        form = product.form("/panier/ajouter")
        if form is None:
            self.stats.outcome("product not for sale")
            return
        if not any(i.get("name") == "quantity" for i in form["inputs"]):  # sold out: the page says so
            self.stats.outcome("out of stock (shown)")
            return
        data = {**hidden_fields(form), "quantity": str(self.rng.choice([1, 1, 1, 2, 3]))}
        data.pop("next", None)  # answered with the basket (or why not), not back on the product page
        if data.get("csrf_token") == "":  # a page for a visitor without a session: fetched as static/js/csrf.js does
            data["csrf_token"] = self.request("csrf token", "GET", "/jeton-csrf").json()["csrf_token"]
        answer = self.request("add to basket", "POST", "/panier/ajouter", data=data, expect=(302, 422))
        if answer.status_code == 302:
            self.follow("basket", answer)
            return
        self.refused("basket", answer)

    def refused(self, where: str, answer: requests.Response) -> str:
        kind = refusal(answer.text)
        if kind is None:
            self.stats.error(f"{where}: 422 {_error_text(answer.text)}")
            raise Unexpected
        self.stats.outcome(f"{kind} ({where})")
        return kind

    def checkout(self) -> None:
        answer = self.request("checkout page", "GET", "/commande", expect=(200, 302))
        if answer.status_code == 302:
            target = urlsplit(answer.headers["Location"]).path
            if target == "/panier":  # nothing in the basket (every product was sold out)
                self.follow("basket", answer)
                return
            answer = self.authenticate(next_path="/commande")
            if "/commande" not in answer.url:
                return
        for _attempt in range(2):
            page = Page(answer.text)
            form = page.form("")
            slots = [
                i["value"]
                for i in (form or {"inputs": []})["inputs"]
                if i.get("name") == "slot_id" and "disabled" not in i
            ]
            if form is None or not slots:
                self.stats.outcome("no bookable slot")
                return
            data = {
                **hidden_fields(form),
                "slot_id": self.rng.choice(slots[:4]),
                "payment_method": "at_pickup",
                "accept_terms": "y",
            }
            if any(i.get("name") == "confirm_adult" for i in form["inputs"]):  # alcohol in the basket: of age
                data["confirm_adult"] = "y"
            answer = self.request("checkout", "POST", "/commande", data=data, expect=(302, 422))
            if answer.status_code == 302:
                self.stats.outcome("checkout")
                self.follow("order page", answer)
                return
            kind = self.refused("checkout", answer)
            if kind == "out of stock":
                self.empty_basket()
                return

    def empty_basket(self) -> None:
        page = Page(self.request("basket", "GET", "/panier").text)
        for form in page.forms:
            if re.fullmatch(r"/panier/lignes/\d+/retirer", form["action"]):
                self.follow(
                    "basket",
                    self.request("remove line", "POST", form["action"], data=hidden_fields(form), expect=(302,)),
                )


def drive(
    base: str, users: int, seconds: float, label: str = "soak", finish_visit: bool = False
) -> tuple[Stats, float]:
    """`users` residents visit for `seconds` (then leave, or end their visit with `finish_visit`)."""
    stats = Stats()
    stop = time.monotonic() + seconds
    residents = [Resident(base, n, stats, stop, label, finish_visit) for n in range(users)]
    threads = [threading.Thread(target=r.run, daemon=True) for r in residents]
    began = time.monotonic()
    for thread in threads:
        thread.start()
        time.sleep(min(RAMP_UP_SECONDS, seconds / 4) / max(1, users))
    for thread in threads:
        thread.join()
    return stats, time.monotonic() - began


class Desk:
    """The shops and the pickup desk, working through the domain services while residents order: each
    confirmed order's parts are prepared, brought to the venue and collected, paid in cash or on the card
    terminal, so the worker settles them and the ledger invariants have money to check."""

    def __init__(self, app: Any, stop: float) -> None:
        self.app, self.stop = app, stop
        self.collected = 0
        self.refused: Counter[str] = Counter()
        self.errors: list[str] = []

    def run(self) -> None:
        from sqlalchemy import select

        from shopapp.core.transaction import commit
        from shopapp.errors import DomainError
        from shopapp.extensions import db
        from shopapp.orders import fulfilment
        from shopapp.orders.models import Order
        from shopapp.orders.states import OrderStatus, PaidVia, PartStatus

        steps = (PartStatus.PREPARING, PartStatus.READY, PartStatus.AT_VENUE)
        with self.app.app_context():
            while time.monotonic() < self.stop:
                order_ids = list(db.session.scalars(
                    select(Order.id).where(Order.status == OrderStatus.CONFIRMED).order_by(Order.id).limit(5)
                ))
                db.session.rollback()
                if not order_ids:
                    time.sleep(0.5)
                    continue
                for order_id in order_ids:
                    try:
                        order = db.session.get_one(Order, order_id)
                        for part in list(order.remaining_parts):
                            for step in steps[steps.index(part.status) + 1 if part.status in steps else 0:]:
                                fulfilment.set_part_status(part.id, step, shop_id=part.shop_id, actor_id=None)
                        paid_via = PaidVia.CASH if order_id % 2 else PaidVia.CARD_TERMINAL
                        fulfilment.collect_order(order_id, actor_id=None, paid_via=paid_via)
                        commit()
                        self.collected += 1
                    except DomainError as error:  # a resident cancelled meanwhile, say: told, not an error
                        db.session.rollback()
                        self.refused[type(error).__name__] += 1
                    except Exception as error:  # counted and reported as an error
                        db.session.rollback()
                        self.errors.append(f"desk: order {order_id}: {type(error).__name__}: {error}")
                    time.sleep(0.2)


class RssSampler:
    """The worker's memory a few times during the run, so that growth that levels off (caches filling)
    can be told from growth that goes on (a leak)."""

    def __init__(self, pid: int, stop: float) -> None:
        self.pid, self.stop = pid, stop
        self.samples: list[tuple[float, int]] = []

    def run(self) -> None:
        started = time.monotonic()
        step = (self.stop - started) / RSS_SAMPLES
        while (now := time.monotonic()) < self.stop:
            self.samples.append((now - started, rss_kib(self.pid)[0]))
            time.sleep(max(0.0, min(step, self.stop - now)))


def late_rss_growth(samples: list[tuple[float, int]], after: int, seconds: float) -> float:
    """Growth from the first sample taken in the second half of the run to the figure after it; growth that
    levels off (caches filling) ends before that, a leak does not."""
    middle = next((kib for t, kib in samples if t >= seconds / 2), None)
    return (after - middle) / middle if middle else float("inf")


# -- the run --------------------------------------------------------------------------------------------


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def report(stats: Stats, elapsed: float) -> None:
    every = stats.all_latencies()
    checkouts = stats.outcomes["checkout"]
    print(
        f"requests: {len(every)} in {elapsed:.1f} s = {len(every) / elapsed:.1f} req/s; "
        f"latency p50 {percentile(every, 0.5):.0f} ms, p95 {percentile(every, 0.95):.0f} ms, "
        f"max {max(every, default=float('nan')):.0f} ms"
    )
    print(f"checkouts: {checkouts} placed = {checkouts / elapsed:.2f}/s ({checkouts * 60 / elapsed:.0f}/min)")
    refusals = {k: v for k, v in sorted(stats.outcomes.items()) if k != "checkout"}
    print("expected refusals (not errors): " + (", ".join(f"{k} {v}" for k, v in refusals.items()) or "none"))
    print(
        "p95 by step: "
        + ", ".join(f"{step} {percentile(values, 0.95):.0f} ms" for step, values in sorted(stats.latencies.items()))
    )
    print(f"answers: {dict(sorted(stats.statuses.items()))}")
    print(f"errors: {len(stats.errors)}")
    for line, n in Counter(stats.errors).most_common(10):
        print(f"  {n} × {line}")


def ledger_summary(app: Any) -> str:
    from sqlalchemy import func, select

    from shopapp.extensions import db
    from shopapp.payments.models import LedgerEntry

    with app.app_context():
        rows = db.session.execute(
            select(LedgerEntry.kind, func.count(), func.sum(LedgerEntry.amount_cents)).group_by(LedgerEntry.kind)
        ).all()
    return "ledger: " + (", ".join(f"{kind} {n} ({total} cents)" for kind, n, total in sorted(rows)) or "empty")


def orders_in_database(app: Any) -> int:
    from sqlalchemy import func, select

    from shopapp.extensions import db
    from shopapp.orders.models import Order

    with app.app_context():
        return int(db.session.scalar(select(func.count(Order.id))) or 0)


def main() -> int:
    instance = tempfile.mkdtemp(prefix="shopapp-soak-")
    env = _environment(instance)
    app = prepare(env)
    seeded_orders = orders_in_database(app)  # the demo town comes with a few orders of its own
    logs = Path(instance)
    web_log, worker_log, beat_log = (open(logs / f"{name}.log", "ab") for name in ("web", "worker", "beat"))  # noqa: SIM115
    worker = start_celery_worker(env, worker_log)  # as production runs it (worker.POOL_OPTIONS)
    beat = start_beat(env, beat_log, instance)
    web, port = serve("shopapp.app:create_app()", env, workers=WEB_WORKERS, log=web_log)
    base = f"http://127.0.0.1:{port}"
    print(
        f"soak: {USERS} residents for {SECONDS:.0f} s against gunicorn ({WEB_WORKERS} sync workers), "
        f"a Celery worker ({' '.join(POOL_OPTIONS)}) and beat; PostgreSQL "
        f"{DATABASE_URL.rsplit('/', 1)[1]}, Redis db {REDIS_URL.rsplit('/', 1)[1]}, "
        f"all on 127.0.0.1",
        flush=True,
    )
    print(town_summary(app), flush=True)
    try:
        wait_for_pool(app)
        idle, processes = rss_kib(worker.pid)
        warm, _ = drive(
            base, 2, 1.0, label="warmup", finish_visit=True
        )  # one visit each: every page and task runs once
        if warm.errors:
            print(f"warm-up errors: {warm.errors[:5]}", flush=True)
        warm_desk = Desk(app, time.monotonic() + WARM_DESK_SECONDS)  # their orders collected: receipts, payouts
        warm_desk.run()
        wait_for_outbox(app)
        before, _ = rss_kib(worker.pid)
        desk = Desk(app, time.monotonic() + SECONDS)
        desk_thread = threading.Thread(target=desk.run, daemon=True)
        desk_thread.start()
        sampler = RssSampler(worker.pid, time.monotonic() + SECONDS)
        sampler_thread = threading.Thread(target=sampler.run, daemon=True)
        sampler_thread.start()
        stats, elapsed = drive(base, USERS, SECONDS)
        desk_thread.join()
        sampler_thread.join()
        counts = wait_for_outbox(app)
        after, processes_after = rss_kib(worker.pid)
    finally:
        for process in (web, beat, worker):
            process.terminate()
        for process in (web, beat, worker):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in (web_log, worker_log, beat_log):
            log.close()
    report(stats, elapsed)
    growth = (after - before) / before if before else float("inf")
    print(
        f"worker RSS ({processes} processes): idle {_mib(idle)}; before (after warm-up) {_mib(before)}; "
        f"after {_mib(after)} ({processes_after} processes) → {growth:+.1%}"
    )
    print("worker RSS during the run: " + ", ".join(f"{t:.0f} s {_mib(kib)}" for t, kib in sampler.samples))
    late_growth = late_rss_growth(sampler.samples, after, SECONDS)
    print(f"worker RSS over the second half of the run: {late_growth:+.1%}")
    print(
        f"desk: {desk.collected} orders prepared by their shops and collected (cash or card terminal)"
        + (f"; refused {dict(desk.refused)}" if desk.refused else "")
    )
    for line in desk.errors[:10]:
        print(f"  {line}")
    print(ledger_summary(app))
    unfinished = counts["pending"] + counts["published"]
    print(
        f"outbox: {sum(counts.values())} jobs, {counts['done']} done, {counts['failed']} failed, "
        f"{unfinished} unfinished"
    )
    expected_orders = seeded_orders + stats.outcomes["checkout"] + warm.outcomes["checkout"]
    orders = orders_in_database(app)
    print(
        f"orders in the database: {orders} (residents saw {stats.outcomes['checkout']} placed, "
        f"warm-up {warm.outcomes['checkout']}, seeded {seeded_orders})"
    )
    from shopapp.dev.invariants import check_invariants

    with app.app_context():
        violations = check_invariants()
    print("invariants: " + ("hold" if not violations else f"{len(violations)} violations"))
    for line in violations[:20]:
        print(f"  {line}")
    failures = []
    if stats.errors or warm.errors or desk.errors:
        failures.append(f"{len(stats.errors) + len(warm.errors) + len(desk.errors)} errors")
    if violations:
        failures.append("invariants fail")
    if growth > RSS_GROWTH_LIMIT and late_growth > RSS_LATE_GROWTH_LIMIT:
        failures.append(f"worker RSS grew {growth:.1%} (limit {RSS_GROWTH_LIMIT:.0%}), {late_growth:.1%} over "
                        f"the second half of the run (limit {RSS_LATE_GROWTH_LIMIT:.0%})")
    if orders != expected_orders:
        failures.append(f"{orders} orders in the database for {expected_orders} placed")
    if unfinished or counts["failed"]:
        failures.append(f"outbox: {unfinished} unfinished, {counts['failed']} failed")
    print(f"logs: {logs}")
    print("verdict: " + ("ok" if not failures else "FAILED — " + "; ".join(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
