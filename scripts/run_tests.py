"""Run the test suite on each backend: the embedded default always, PostgreSQL + Redis when reachable.

With REQUIRE_SERVICES=1 an unreachable PostgreSQL or Redis is a failure, not a skip.
Extra arguments are passed to pytest (e.g. `make test ARGS="-k login"`).

`--future` runs the embedded-default suite (browser tests left out) under libfaketime instead, twice:
with the clock moved 400 days ahead, and on the night the venue's clocks go forward
(`make test-future`), so that a test that depends on today's date shows up before the date comes.

The last line says what ran on which backend, and what was skipped and why.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/shopapp_test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
FUTURE_CLOCKS = [
    ("400 days ahead", "+400d"),
    # A clock that starts on the night the venue (Europe/Paris) goes from winter to summer time, and runs
    # (one clock for all the run's processes: see `shared_clock`).
    ("daylight-saving weekend", "@2027-03-27 23:30:00"),
]
SKIP_LINE = re.compile(r"^SKIPPED \[(\d+)\] [^:]+(?::\d+)?: (.*)$")
RESULT_LINE = re.compile(r"^=+ (.*?) in [\d.]+s(?: \([^)]*\))? =+$")


@dataclass
class Run:
    name: str
    env: dict[str, str]
    prefix: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)


def shared_clock(spec: str) -> str:
    """The faketime spec for a whole run. libfaketime starts an "@" clock anew in each process it starts: a
    worker started ten seconds after the tests would read a time ten seconds behind theirs, and take its
    own claims of a moment ago for claims from the future. The same start as an offset from now (in
    seconds, the moment read as libfaketime reads it: local time) is one clock for every process of the
    run, that starts there and runs."""
    if not spec.startswith("@"):
        return spec
    start = datetime.strptime(spec[1:], "%Y-%m-%d %H:%M:%S").timestamp()
    return f"{start - time.time():+.0f}"


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def summary_of(name: str, output: str, code: int) -> str:
    """One phrase for a run: pytest's own counts and the reasons of its skips, most frequent first."""
    counts = next((m.group(1) for line in reversed(output.splitlines()) if (m := RESULT_LINE.match(line.strip()))),
                  f"no test summary (exit {code})")
    reasons: Counter[str] = Counter()
    for line in output.splitlines():
        if m := SKIP_LINE.match(line.strip()):
            reasons[m.group(2).strip()[:80]] += int(m.group(1))
    skipped = "; ".join(f"{n}× {reason}" for reason, n in reasons.most_common(3))
    more = len(reasons) - 3
    if more > 0:
        skipped += f"; {more} other reasons"
    return f"{name}: {counts}" + (f" (skipped: {skipped})" if skipped else "")


def plan(argv: list[str]) -> tuple[list[Run], list[str], int]:
    """The runs to make, the notes on what will not run, and an exit code (non-zero: refuse to run)."""
    notes: list[str] = []
    if argv[:1] == ["--future"]:
        if shutil.which("faketime") is None:
            print("faketime not found (apt-get install faketime)", file=sys.stderr)
            return [], notes, 2
        # The monotonic clock stays real (threads wait on it); tests/support/faketime/sitecustomize.py
        # works around libfaketime's sleep in every Python process of the run.
        shim = str(Path(__file__).resolve().parent.parent / "tests" / "support" / "faketime")
        pythonpath = os.pathsep.join(filter(None, [shim, os.environ.get("PYTHONPATH")]))
        runs = [
            Run(f"embedded, clock {label}", {"FAKETIME_DONT_FAKE_MONOTONIC": "1", "PYTHONPATH": pythonpath},
                ["faketime", "-f", shared_clock(spec)], ["--ignore=tests/browser", *argv[1:]])
            for label, spec in FUTURE_CLOCKS
        ]
        notes.append("browser tests not run under a moved clock")
        return runs, notes, 0
    pg = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)
    redis = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS)
    runs = [Run("embedded", {}, args=argv)]
    missing = [what for what, url, port in (("PostgreSQL", pg, 5432), ("Redis", redis, 6379))
               if not reachable(url, port)]
    if not missing:
        runs.append(Run("services", {"TEST_DATABASE_URL": pg, "TEST_REDIS_URL": redis}, args=argv))
    elif os.environ.get("REQUIRE_SERVICES") == "1":
        print(f"REQUIRE_SERVICES=1 but {' and '.join(missing)} unreachable ({pg}, {redis})", file=sys.stderr)
        return [], notes, 2
    else:
        notes.append(f"services backend not run: {' and '.join(missing)} unreachable")
    return runs, notes, 0


def main(argv: list[str]) -> int:
    runs, notes, refused = plan(argv)
    if refused:
        return refused
    # The runs share nothing (own database, broker, temp folders), so they run side by side;
    # each run's output is printed whole when it ends.
    started: list[tuple[Run, subprocess.Popen[bytes], IO[str]]] = []
    for index, run in enumerate(runs):
        backend = "services" if "TEST_DATABASE_URL" in run.env else "embedded"
        env = {**os.environ, **run.env, "SHOPAPP_TEST_BACKEND": backend,
               "TEST_ARTIFACTS": f"test-artifacts/{backend}" + (f"-{index}" if run.prefix else "")}
        log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - read and closed after the run below
        process = subprocess.Popen(  # noqa: S603
            [*run.prefix, sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *run.args], env=env,
            stdout=log, stderr=subprocess.STDOUT,
        )
        started.append((run, process, log))
    failed, phrases = [], []
    for run, process, log in started:
        code = process.wait()
        log.seek(0)
        output = log.read()
        log.close()
        print(f"\n===== test suite on backend: {run.name} =====", flush=True)
        print(output, flush=True)
        phrases.append(summary_of(run.name, output, code))
        if code != 0:
            failed.append(f"{run.name} (exit {code})")
    verdict = "FAILED on " + ", ".join(failed) if failed else "all passed"
    print(f"\nTests — {verdict} — " + " | ".join(phrases + notes), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
