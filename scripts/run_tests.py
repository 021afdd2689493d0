"""Run the test suite on each backend: the embedded default always, PostgreSQL + Redis when reachable.

With REQUIRE_SERVICES=1 an unreachable PostgreSQL or Redis is a failure, not a skip.
Extra arguments are passed to pytest (e.g. `make test ARGS="-k login"`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from urllib.parse import urlsplit

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/shopapp_test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def main(argv: list[str]) -> int:
    pg = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)
    redis = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS)
    required = os.environ.get("REQUIRE_SERVICES") == "1"
    runs = [("embedded", {})]
    services_up = reachable(pg, 5432) and reachable(redis, 6379)
    if services_up:
        runs.append(("services", {"TEST_DATABASE_URL": pg, "TEST_REDIS_URL": redis}))
    elif required:
        print(f"REQUIRE_SERVICES=1 but PostgreSQL ({pg}) or Redis ({redis}) is unreachable", file=sys.stderr)
        return 2
    else:
        print("PostgreSQL or Redis unreachable: running on the embedded default only.")
    failed = []
    # The backends share nothing (own database, broker, temp folders), so they run side by side;
    # each run's output is printed whole when it ends.
    started = []
    for name, extra in runs:
        env = {**os.environ, **extra, "SHOPAPP_TEST_BACKEND": name, "TEST_ARTIFACTS": f"test-artifacts/{name}"}
        log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - read and closed after the run below
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *argv], env=env, stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((name, process, log))
    for name, process, log in started:
        code = process.wait()
        log.seek(0)
        print(f"\n===== test suite on backend: {name} =====", flush=True)
        print(log.read(), flush=True)
        log.close()
        if code != 0:
            failed.append(f"{name} (exit {code})")
    if failed:
        print("\nFAILED on: " + ", ".join(failed), file=sys.stderr)
        return 1
    print("\nAll backends passed: " + ", ".join(name for name, _ in runs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
