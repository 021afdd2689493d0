"""Start localstripe (PyPI's fake, stateful Stripe API) for the tests, on 127.0.0.1 only.

`LocalStripe().start()` runs `scripts/localstripe_server.py 127.0.0.1 PORT STATE_FILE` in a subprocess on a
free port and waits until it answers; `reset()` empties its store through localstripe's own flush endpoint
(`DELETE /_config/data`); `stop()` ends the process and removes its state file. One server per test
session is enough (tests/payments/conftest.py resets it before each test). Tests that use it must not
run in parallel with each other: they share the one server's state.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "localstripe_server.py"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class LocalStripe:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._folder = Path(tempfile.mkdtemp(prefix="localstripe-"))
        self.state_file = self._folder / "state.pickle"
        self.log_file = self._folder / "server.log"

    @property
    def api_base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> LocalStripe:
        """Start the server and wait until it answers. :raise RuntimeError: it did not come up."""
        for _attempt in range(3):  # a free port can be taken between probing and binding
            self.port = free_port(self.host)
            with self.log_file.open("ab") as log:
                self.process = subprocess.Popen(
                    [sys.executable, str(SCRIPT), self.host, str(self.port), str(self.state_file)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=str(ROOT),
                )
            if self._wait_until_up(timeout):
                return self
            self.stop(remove_files=False)
        raise RuntimeError(f"localstripe did not start; log: {self.log_file.read_text(errors='replace')[-2000:]}")

    def _wait_until_up(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.api_base}/js.stripe.com/v3/", timeout=1) as response:  # noqa: S310
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        return False

    def reset(self) -> None:
        """Forget every object (localstripe's `DELETE /_config/data`)."""
        request = urllib.request.Request(f"{self.api_base}/_config/data", method="DELETE")  # noqa: S310
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            assert response.status == 200

    def stop(self, *, remove_files: bool = True) -> None:
        """End the process; by default also remove its state file and log."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        self.state_file.unlink(missing_ok=True)
        if remove_files:
            shutil.rmtree(self._folder, ignore_errors=True)
