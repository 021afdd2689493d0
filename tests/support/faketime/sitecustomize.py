"""Loaded by every Python process of a `make test-future` run (scripts/run_tests.py puts this folder on
PYTHONPATH): the test process, and the Celery workers, gunicorn and localstripe it starts.

libfaketime 0.9.10 (Debian 12) with FAKETIME_DONT_FAKE_MONOTONIC=1 turns Python's `time.sleep`, which
sleeps with clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME), into EINVAL; faking the monotonic clock
instead makes every thread wait with a timeout hang. So the monotonic clock stays real and `time.sleep`
waits with select(), which takes a relative timeout and is left alone. Nothing else changes.
"""

import os
import select
import time

if "faketime" in os.environ.get("LD_PRELOAD", ""):

    def _sleep(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            select.select([], [], [], left)

    time.sleep = _sleep
