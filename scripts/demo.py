"""Serve the demo: the web app, a Celery worker and beat on the embedded default. Ctrl-C stops all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def main() -> int:
    env = {**os.environ, "FLASK_APP": "shopapp:create_app"}
    instance = ROOT / "instance"
    processes = [
        subprocess.Popen(  # noqa: S603
            [str(BIN / "celery"), "-A", "worker.celery_app", "worker", "--pool=solo", "--loglevel=INFO",
             "--beat", "--schedule", str(instance / "celerybeat-schedule")],
            cwd=ROOT, env=env,
        ),
        subprocess.Popen(  # noqa: S603
            [str(BIN / "flask"), "run", "--host", "127.0.0.1", "--port", os.environ.get("PORT", "5000")],
            cwd=ROOT, env=env,
        ),
    ]
    print("\n  Adopte mon commerçant: http://127.0.0.1:5000  (Ctrl-C to stop)\n", flush=True)
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        deadline = time.time() + 10
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                process.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
