"""Real worker processes for crash tests: `celery -A worker.celery_app worker` on the suite's broker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def start_worker_process(
    extra_env: dict[str, str] | None = None, log_path: Path | None = None,
    pool: tuple[str, ...] = ("--pool=solo",),
) -> subprocess.Popen[Any]:
    """A Celery worker in its own process, configured from the same environment as the test app: one solo
    process by default (the crash tests count what one sender may repeat); `pool=worker.POOL_OPTIONS` as in
    production."""
    env = {**os.environ, **(extra_env or {})}
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker", *pool, "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
