"""Order notices under failure: Redis stopped during a checkout, a worker SIGKILLed mid-batch, and the
Celery settings the worker process really runs with.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from shopapp.core import outbox
from shopapp.core.outbox import OutboxJob
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.notices.models import NoticeLog
from shopapp.orders.placement import CheckoutRequest, place_order
from tests.conftest import IS_POSTGRES
from tests.orders.services import fill_basket
from tests.support.processes import ROOT, start_worker_process
from tests.support.smtp import free_port
from tests.support.waiting import wait_for
from worker import POOL_OPTIONS


def _count_sent(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.remove()
        return int(db.session.scalar(select(func.count()).select_from(NoticeLog).where(NoticeLog.status == "sent")))


def _count_done(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(func.count(OutboxJob.id)).where(OutboxJob.status == "done")) or 0


class PrivateRedis:
    """A throw-away `redis-server` on a free port, no persistence: stopped and started by the test."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _pings(redis.Redis(port=self.port, socket_timeout=0.5)), timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)


def _pings(client) -> bool:  # type: ignore[no-untyped-def]
    try:
        return bool(client.ping())
    except OSError:
        return False
    except Exception:
        return False


@contextmanager
def broker_at(celery_app, url: str) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Point the app's publisher and consumers at `url` (as `unreachable_broker` does), then restore."""
    saved = {key: celery_app.conf.get(key) for key in ("broker_url", "broker_read_url", "broker_write_url")}

    def reset_pools() -> None:
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    celery_app.conf.update(broker_url=url, broker_read_url=url, broker_write_url=url)
    reset_pools()
    try:
        yield
    finally:
        celery_app.conf.update(**saved)
        reset_pools()


@pytest.mark.skipif(not IS_POSTGRES, reason="needs the services backend (Redis broker); the embedded broker is "
                                             "the SQLite database itself, which cannot be stopped on its own")
def test_redis_stopped_during_checkout_then_notices_go_out_once_it_is_back(app, town, smtp_server, tmp_path):
    if shutil.which("redis-server") is None:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("REQUIRE_SERVICES=1 but no redis-server binary (apt-get install redis-server)")
        pytest.skip("no redis-server binary to stop and start (apt-get install redis-server)")
    from celery.contrib.testing.worker import start_worker

    celery_app = app.extensions["celery"]
    redis_server = PrivateRedis(tmp_path)
    redis_server.start()
    try:
        with broker_at(celery_app, redis_server.url):
            fill_basket(app, town.resident_id, (town.bread, 1), (town.cheese, 1))
            with app.app_context():
                order = place_order(CheckoutRequest(town.resident_id, town.slot, "at_pickup")).order
                order_id = order.id
                redis_server.stop()  # the broker dies between the business change and its commit
                commit()  # the checkout commits; publishing fails and is left to the sweep

            with app.app_context():
                statuses = db.session.scalars(select(OutboxJob.status)).all()
            assert statuses == ["pending", "pending", "pending"] and order_id
            assert smtp_server.messages == []

            redis_server.start()
            with app.app_context():
                assert outbox.sweep(pending_grace=0) == {"published": 3, "failed": 0, "unreachable": 0}
            with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20,
                              loglevel="WARNING"):
                wait_for(lambda: _count_done(app) == 3, timeout=40)
    finally:
        redis_server.stop()

    assert sorted(str(m["To"]) for m in smtp_server.messages) == [
        "aurore@example.org", "basile@example.org", "boutique-aurore@example.org", "nina@example.org"]
    with app.app_context():
        assert db.session.scalars(select(NoticeLog.status)).all() == ["sent"] * 4


def _orders_published(app, world, make_user, monkeypatch, name: str, count: int) -> None:  # type: ignore[no-untyped-def]
    """`count` residents (`<name><n>@example.org`) each order a baguette for pickup; their jobs are all
    committed first, then published by one sweep (no worker has started yet)."""
    shop = world.shop("Boulangerie Aurore")
    bread = world.product(shop, "Baguette", stock=100)
    slot = world.slot(hours_from_now=30, capacity=count)
    app.extensions["celery"].control.purge()
    residents = [make_user(email=f"{name}{n}@example.org", name=f"{name.title()} {n}") for n in range(count)]
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", False)
    for resident in residents:
        fill_basket(app, resident, (bread, 1))
        with app.app_context():
            place_order(CheckoutRequest(resident, slot, "at_pickup"))
            commit()
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", True)
    with app.app_context():
        assert outbox.sweep(pending_grace=0)["published"] == count * 2  # confirmations + parts (shop has no address)


BATCH = 10


def test_worker_sigkilled_mid_batch_of_order_notices_loses_and_doubles_nothing(app, world, make_user,
                                                                               smtp_server, monkeypatch, tmp_path):
    # A slow server: the worker is killed early in a message's envelope, long before the server could accept it.
    smtp_server.rcpt_delay = 0.8
    # Jobs and notices left by a killed worker are taken over quickly (the sweep republishes after 1 s below).
    env = {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_server.port),
           "NOTICE_CLAIM_TIMEOUT": "2", "OUTBOX_REPUBLISH_AFTER": "1", "LOG_JSON": "0"}
    _orders_published(app, world, make_user, monkeypatch, "client", BATCH)

    first = start_worker_process(env, tmp_path / "worker1.log")
    try:
        # Killed in the middle of a message's envelope, once every message the server accepted is recorded as
        # sent (the previous one's record is written while the next envelope goes): nothing may repeat.
        wait_for(lambda: len(smtp_server.messages) >= 3 and _count_sent(app) == len(smtp_server.messages)
                 and smtp_server.rcpt_waiting > 0, timeout=60, interval=0.02)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    assert len(smtp_server.messages) < BATCH

    monkeypatch.setitem(app.config, "OUTBOX_REPUBLISH_AFTER", 1)
    smtp_server.rcpt_delay = 0.0
    second = start_worker_process(env, tmp_path / "worker2.log")
    try:
        def all_done() -> bool:
            with app.app_context():
                outbox.sweep(pending_grace=0)
            return _count_done(app) == BATCH * 2

        wait_for(all_done, timeout=120, interval=1.5)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)

    recipients = sorted(str(message["To"]) for message in smtp_server.messages)
    assert recipients == sorted(f"client{n}@example.org" for n in range(BATCH))
    with app.app_context():
        assert db.session.scalars(select(NoticeLog.status)).all() == ["sent"] * BATCH


RUSH = 24


@pytest.mark.skipif(not IS_POSTGRES, reason="production's pool runs on PostgreSQL + Redis; the embedded demo runs "
                                             "one solo worker (SQLite takes one writer at a time)")
def test_the_production_pool_sends_a_rush_of_confirmations_side_by_side_each_exactly_once(
        app, world, make_user, smtp_server, monkeypatch, tmp_path):
    # Small batches for several threads to take at once, and a server slow enough at RCPT for them to meet there.
    smtp_server.rcpt_delay = 0.05
    env = {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_server.port),
           "OUTBOX_BATCH_SIZE": "3", "LOG_JSON": "0"}
    monkeypatch.setitem(app.config, "OUTBOX_BATCH_SIZE", 3)
    _orders_published(app, world, make_user, monkeypatch, "voisin", RUSH)

    worker = start_worker_process(env, tmp_path / "worker.log", pool=POOL_OPTIONS)
    try:
        wait_for(lambda: _count_done(app) == RUSH * 2, timeout=120, interval=0.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)

    # Sent side by side (one thread alone is never at two RCPTs at once), and still each message once.
    assert smtp_server.rcpt_waiting_most >= 2
    recipients = sorted(str(message["To"]) for message in smtp_server.messages)
    assert recipients == sorted(f"voisin{n}@example.org" for n in range(RUSH))
    with app.app_context():
        assert db.session.scalars(select(NoticeLog.status)).all() == ["sent"] * RUSH


def test_the_worker_process_runs_with_the_hardened_celery_settings(app):
    script = (
        "import json; from worker.celery_app import celery_app as c; "
        "t = c.tasks['notices.order_confirmed']; "
        "print(json.dumps({'acks_late': c.conf.task_acks_late, 'reject': c.conf.task_reject_on_worker_lost, "
        "'prefetch': c.conf.worker_prefetch_multiplier, 'options': c.conf.broker_transport_options, "
        "'broker': c.conf.broker_url, 'task_acks_late': t.acks_late, 'ignore_result': c.conf.task_ignore_result}))"
    )
    output = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env={**os.environ, "LOG_JSON": "0"},
                            capture_output=True, text=True, timeout=60, check=True).stdout
    settings = json.loads(output.strip().splitlines()[-1])

    assert settings["acks_late"] is True and settings["task_acks_late"] is True
    assert settings["reject"] is True
    assert settings["prefetch"] == 1
    assert settings["ignore_result"] is True
    assert settings["broker"] == os.environ["CELERY_BROKER_URL"]
    if IS_POSTGRES:
        assert settings["options"]["visibility_timeout"] == 3600
    else:  # kombu's SQLAlchemy transport hands its options to create_engine: none are set
        assert settings["options"] == {}
