"""A real HTTP proxy in front of a Stripe stand-in that misbehaves on chosen requests, as Stripe sometimes
does: the request reaches Stripe and takes effect, then the answer is a 500, or comes too late.

`FlakyProxy(upstream).start()`; `proxy.fail_next("POST", "/v1/transfers", "500")` or `"slow"`; point the
app's API base at `proxy.api_base`. Each planned fault applies once, in order; other requests pass.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


class FlakyProxy:
    def __init__(self, upstream: str, slow_seconds: float = 3.0) -> None:
        self.upstream = upstream.rstrip("/")
        self.slow_seconds = slow_seconds
        self.plan: list[tuple[str, str, str]] = []
        self.faults_served: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> FlakyProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, method: str, path: str, kind: str) -> None:
        assert kind in ("500", "slow")
        with self._lock:
            self.plan.append((method, path, kind))

    def _fault_for(self, method: str, path: str) -> str | None:
        with self._lock:
            for i, (m, p, kind) in enumerate(self.plan):
                if m == method and p == path:
                    del self.plan[i]
                    self.faults_served.append((m, p, kind))
                    return kind
        return None

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        fault = self._fault_for(request.method, request.path)
        query = ("?" + request.query_string.decode()) if request.query_string else ""
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        forwarded = urllib.request.Request(  # noqa: S310 - http to a loopback stand-in
            self.upstream + request.path + query,
            data=request.get_data() or None,
            headers=headers,
            method=request.method,
        )
        try:
            with urllib.request.urlopen(forwarded, timeout=10) as upstream:  # noqa: S310 - loopback only
                status, body, content_type = upstream.status, upstream.read(), upstream.headers.get("Content-Type")
        except urllib.error.HTTPError as error:
            status, body, content_type = error.code, error.read(), error.headers.get("Content-Type")
        if fault == "500":  # the effect happened upstream; the answer is lost
            response = Response(
                b'{"error": {"type": "api_error", "message": "An unknown error occurred"}}',
                status=500,
                content_type="application/json",
            )
        else:
            if fault == "slow":
                time.sleep(self.slow_seconds)
            response = Response(body, status=status, content_type=content_type or "application/json")
        return response(environ, start_response)
