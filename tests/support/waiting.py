"""Polling for effects produced by another thread or process (a worker, a server)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float = 20.0, interval: float = 0.1) -> T:
    """Return the first truthy value of `condition()`, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def drain(celery_app, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until the test worker has handled every message published before this call.

    The test worker (one solo pool, prefetch 1, one queue) takes messages in order, so once a marker
    published now has run, every earlier message has run too. A fixed sleep would pass without the
    earlier messages having been handled yet."""
    import uuid

    from celery.signals import task_postrun

    marker = str(uuid.uuid4())
    seen = threading.Event()

    def _ran(task_id=None, **_kwargs):  # type: ignore[no-untyped-def]
        if task_id == marker:
            seen.set()

    task_postrun.connect(_ran, weak=False)
    try:
        celery_app.send_task("celery.accumulate", args=(marker,), task_id=marker)
        if not seen.wait(timeout):
            raise AssertionError(f"the worker did not reach the marker within {timeout}s")
    finally:
        task_postrun.disconnect(_ran)
