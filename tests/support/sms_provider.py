"""A stand-in SMS provider for tests: a small HTTP server on 127.0.0.1 (stdlib `http.server` in a
thread) taking the JSON POST {"to", "text", "sender"} the app sends, and recording what it receives.

`answer_next(status, n)` answers `status` (e.g. 503, 400) to the next n requests instead of 200, to
test retries and refusals; the refused requests are recorded too (`received`), only accepted ones
count as sent (`sent`).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class SmsRequest:
    to: str
    text: str
    sender: str | None
    authorization: str | None
    status: int  # what the stand-in answered


class FakeSmsProvider:
    def __init__(self) -> None:
        self.received: list[SmsRequest] = []
        self._answers: list[int] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                payload: dict[str, Any] = json.loads(self.rfile.read(length) or b"{}")
                with owner._lock:
                    status = owner._answers.pop(0) if owner._answers else 200
                    owner.received.append(SmsRequest(
                        to=payload.get("to", ""), text=payload.get("text", ""), sender=payload.get("sender"),
                        authorization=self.headers.get("Authorization"), status=status,
                    ))
                body = json.dumps({"status": "queued" if status < 300 else "refused"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the test output stays readable

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/sms"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer_next(self, status: int, times: int = 1) -> None:
        with self._lock:
            self._answers.extend([status] * times)

    @property
    def sent(self) -> list[SmsRequest]:
        with self._lock:
            return [request for request in self.received if 200 <= request.status < 300]

    def to(self, number: str) -> list[str]:
        """The texts accepted for this number, in order."""
        return [request.text for request in self.sent if request.to == number]
