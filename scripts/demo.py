"""Serve the demo: the web app, a Celery worker and beat on the embedded default, and localstripe (a
fake Stripe on 127.0.0.1) so that card payments work with Stripe's test cards. Ctrl-C stops all.

With real STRIPE_SECRET_KEY/STRIPE_PUBLISHABLE_KEY/STRIPE_WEBHOOK_SECRET in the environment, localstripe
is not started and the same code talks to Stripe. localstripe comes with the dev extra (`make demo`
installs `.[dev]`); if it is missing the demo runs with pay-at-pickup only.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


LOCALSTRIPE_PORT = int(os.environ.get("LOCALSTRIPE_PORT", "8420"))
DEMO_WEBHOOK_SECRET = "whsec_demo_localstripe"  # noqa: S105 - not a secret: localstripe signs with what we give it


def _wait_for(url: str, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback only
                return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    return False


def instance_folder() -> Path:
    """The instance folder the app uses (SHOPAPP_INSTANCE, as shopapp/config.py reads it)."""
    return Path(os.environ.get("SHOPAPP_INSTANCE") or ROOT / "instance")


def start_localstripe(env: dict[str, str], web_port: str) -> subprocess.Popen[bytes] | None:
    """Start localstripe on 127.0.0.1, register its webhook to our /webhooks/stripe, set the Stripe env."""
    if env.get("STRIPE_SECRET_KEY") and not env.get("STRIPE_LOCALSTRIPE"):
        return None  # real Stripe keys: talk to Stripe
    if importlib.util.find_spec("localstripe") is None:
        print("  localstripe is not installed: card payments are off (pip install -e '.[dev]').", flush=True)
        return None
    base = f"http://127.0.0.1:{LOCALSTRIPE_PORT}"
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, str(ROOT / "scripts" / "localstripe_server.py"), "127.0.0.1", str(LOCALSTRIPE_PORT),
         str(instance_folder() / "localstripe.pickle"), "--resume"], cwd=ROOT,
    )
    if not _wait_for(f"{base}/js.stripe.com/v3/"):
        process.kill()
        print("  localstripe did not start: card payments are off.", flush=True)
        return None
    data = urllib.parse.urlencode({"url": f"http://127.0.0.1:{web_port}/webhooks/stripe",
                                   "secret": DEMO_WEBHOOK_SECRET}).encode()
    with urllib.request.urlopen(urllib.request.Request(f"{base}/_config/webhooks/demo", data=data), timeout=5):  # noqa: S310
        pass
    env.update({
        "STRIPE_API_BASE": base, "STRIPE_SECRET_KEY": "sk_test_demo_localstripe",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_demo_localstripe", "STRIPE_WEBHOOK_SECRET": DEMO_WEBHOOK_SECRET,
        "STRIPE_LOCALSTRIPE": "1",
    })
    return process


def main() -> int:
    env = {**os.environ, "FLASK_APP": "shopapp.app:create_app"}
    instance = instance_folder()
    instance.mkdir(parents=True, exist_ok=True)
    web_port = os.environ.get("PORT", "5000")
    stripe_fake = start_localstripe(env, web_port)
    processes = [
        subprocess.Popen(  # noqa: S603
            [str(BIN / "celery"), "-A", "worker.celery_app", "worker", "--pool=solo", "--loglevel=INFO",
             "--beat", "--schedule", str(instance / "celerybeat-schedule")],
            cwd=ROOT, env=env,
        ),
        subprocess.Popen(  # noqa: S603
            [str(BIN / "flask"), "run", "--host", "127.0.0.1", "--port", web_port],
            cwd=ROOT, env=env,
        ),
    ]
    if stripe_fake is not None:
        processes.append(stripe_fake)
        print("  Card payments in test mode (localstripe): card 4242 4242 4242 4242, any future date, any CVC.",
              flush=True)
    print(f"\n  Adopte mon commerçant: http://127.0.0.1:{web_port}  (Ctrl-C to stop)\n", flush=True)
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
