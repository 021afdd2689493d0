"""The benchmark harness's pure parts (no timing here: `make bench` measures, the tests check its tools)."""

from __future__ import annotations

import json
import shutil
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench import floor, harness

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    10.2ms    3.1ms  60.0ms   80.00%
  15320 requests in 10.00s, 120.00MB read
{result_line}
Requests/sec:   1531.39
""".format(result_line=harness.MARKER + json.dumps({
    "requests": 15320, "duration_us": 10004000, "p50_us": 9500, "p99_us": 31250,
    "errors": {"connect": 0, "read": 1, "write": 0, "status": 12, "timeout": 2}, "statuses": {"201": 300, "409": 12}}))


def test_parse_wrk_reads_the_lua_result_line():
    result = harness.parse_wrk(WRK_OUTPUT)
    assert result.requests == 15320
    assert result.seconds == pytest.approx(10.004)
    assert result.rps == pytest.approx(15320 / 10.004)
    assert (result.p50_ms, result.p99_ms) == (9.5, 31.25)
    assert result.errors == 15
    assert result.statuses == {"201": 300, "409": 12}
    assert result.per_second("201") == pytest.approx(300 / 10.004)
    assert result.per_second("500") == 0


def test_parse_wrk_without_a_result_line_says_so():
    with pytest.raises(ValueError, match="no result line"):
        harness.parse_wrk("Running 10s test\nunable to connect to 127.0.0.1:1\n")


def test_zipf_draws_follow_the_popularity_law_and_are_reproducible():
    items = [f"/produits/{i}" for i in range(1, 1001)]
    draws = harness.zipf_draws(items, 200_000, seed=3)
    assert draws == harness.zipf_draws(items, 200_000, seed=3)
    assert set(draws) <= set(items)
    counts = Counter(draws).most_common()
    # s = 1: the most popular item is drawn twice as often as the second, ten times the tenth
    # (within sampling noise), and most items are drawn at least once.
    top = counts[0][1]
    assert counts[1][1] / top == pytest.approx(1 / 2, rel=0.1)
    assert counts[9][1] / top == pytest.approx(1 / 10, rel=0.25)
    assert top / len(draws) == pytest.approx(1 / sum(1 / k for k in range(1, 1001)), rel=0.05)
    assert len(counts) > 900
    # the popular items are spread over the catalogue, not the first ids
    assert {item for item, _n in counts[:10]} != set(items[:10])


def test_row_gives_the_ratio_to_the_floor_and_keeps_the_counts():
    result = harness.parse_wrk(WRK_OUTPUT)
    values = harness.row(result, floor_rps=3000.0, oversold=0)
    assert values["rps"] == pytest.approx(1531.4)
    assert values["floor_rps"] == 3000.0
    assert values["ratio"] == pytest.approx(0.51)
    assert (values["p50_ms"], values["p99_ms"], values["errors"], values["oversold"]) == (9.5, 31.2, 15, 0)
    assert harness.row(rps=26.5)["ratio"] is None


def test_results_are_merged_into_one_file_and_printed_as_a_table(tmp_path: Path):
    path = tmp_path / "bench" / "results.json"
    harness.save_rows({"checkout": harness.row(rps=30.6, floor_rps=400.0, orders_per_s=12.1)}, path)
    harness.save_rows({"checkout race": harness.row(rps=20.0, oversold=0, overbooked=0)}, path)
    rows = json.loads(path.read_text())
    assert list(rows) == ["checkout", "checkout race"]
    assert set(rows["checkout"]) >= {"rps", "p50_ms", "p99_ms", "floor_rps", "ratio"}
    assert rows["checkout"]["ratio"] == pytest.approx(0.076)
    text = harness.table(rows).splitlines()
    assert text[0].split()[:6] == ["row", "req/s", "p50", "ms", "p99", "ms"]
    assert text[1].startswith("checkout ") and "8%" in text[1] and "orders_per_s=12.1" in text[1]
    assert "oversold=0" in text[2] and "overbooked=0" in text[2] and "—" in text[2]


def test_the_catalog_floor_answers_the_captured_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    page, api = tmp_path / "page", tmp_path / "api"
    page.write_bytes("<p>Fromage affiné</p>".encode())
    api.write_bytes(b'{"items": []}')
    manifest = tmp_path / "floor.json"
    manifest.write_text(json.dumps({
        "pages": {"/produits/7": {"file": str(page), "content_type": "text/html; charset=utf-8"},
                  "/api/v1/products?page=1": {"file": str(api), "content_type": "application/json"}},
        "any_product": "/produits/7"}))
    monkeypatch.setenv("BENCH_FLOOR_PAGES", str(manifest))
    client = floor.make_app().test_client()
    answer = client.get("/api/v1/products?page=1")
    assert (answer.status_code, answer.data, answer.content_type) == (200, b'{"items": []}', "application/json")
    other_product = client.get("/produits/9123")  # the Zipf row's pages: the captured product page
    assert other_product.data == page.read_bytes()
    assert other_product.content_type == "text/html; charset=utf-8"
    assert client.get("/boutiques/x").status_code == 404


class _Recorder(ThreadingHTTPServer):
    """A local HTTP server recording what wrk sends: POSTs answered 201 then 409 in turn, GETs 200."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, status: int) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recorder.seen.append((self.command, self.path, dict(self.headers), body))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def do_GET(self) -> None:
                self._answer(200)

            def do_POST(self) -> None:
                self._answer(201 if len(recorder.seen) % 2 == 0 else 409)

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


needs_wrk = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (Debian package)")


@needs_wrk
def test_checkout_script_sends_each_resident_once_and_counts_answers_by_status(tmp_path: Path):
    tokens = harness.write_lines(tmp_path / "tokens.txt", [f"amc_token{i}" for i in range(1, 100_001)])
    server = _Recorder()
    try:
        result = harness.wrk(f"http://127.0.0.1:{server.server_port}/api/v1/orders", "checkout.lua",
                             [str(tokens), "11", "100000", "4,5", "essai", "2"], seconds=1, connections=2, threads=2)
    finally:
        server.shutdown()
    posts = [(headers, json.loads(body)) for method, path, headers, body in server.seen
             if method == "POST" and path == "/api/v1/orders"]
    assert len(posts) >= result.requests > 0
    used = [headers["Authorization"].removeprefix("Bearer ") for headers, _body in posts]
    assert len(set(used)) == len(used)  # one request per resident while residents last
    assert min(int(token.removeprefix("amc_token")) for token in used) >= 11
    assert len({headers["Idempotency-Key"] for headers, _body in posts}) == len(posts)
    assert {body["pickup_slot_id"] for _headers, body in posts} == {4, 5}
    assert {body["payment_method"] for _headers, body in posts} == {"at_pickup"}
    assert set(result.statuses) == {"201", "409"}
    assert sum(result.statuses.values()) == result.requests
    assert result.errors == result.statuses["409"]  # wrk counts non-2xx answers as errors


@needs_wrk
def test_get_script_walks_the_paths_file(tmp_path: Path):
    paths = harness.write_lines(tmp_path / "paths.txt", ["/produits/1", "/produits/2", "/produits?q=fromage"])
    server = _Recorder()
    try:
        result = harness.wrk(f"http://127.0.0.1:{server.server_port}", "get.lua", [str(paths)], seconds=1,
                             connections=2, threads=1)
    finally:
        server.shutdown()
    assert result.requests > 0 and result.errors == 0
    assert {path for _method, path, _headers, _body in server.seen} == {"/produits/1", "/produits/2",
                                                                          "/produits?q=fromage"}


def test_each_row_is_judged_against_the_issue_goal():
    assert harness.goal("api products page=1 [cache on]", {"ratio": 0.64, "p99_ms": 32.4}) == (
        "≥ 50 % of the floor, p99 < 60 ms", True)
    assert harness.goal("api products page=1 [cache on]", {"ratio": 0.64, "p99_ms": 61.0})[1] is False
    assert harness.goal("home [cache off]", {"ratio": 0.31, "p99_ms": 40.0})[1] is True
    assert harness.goal("home [cache off]", {"ratio": 0.29, "p99_ms": 40.0})[1] is False
    assert harness.goal("checkout", {"ratio": 0.5, "p99_ms": 299.0})[1] is True
    assert harness.goal("checkout", {"ratio": 0.5, "p99_ms": None})[1] is False
    assert harness.goal("checkout race", {"oversold": 0, "overbooked": 1})[1] is False
    assert harness.goal("notices throughput", {"ratio": None})[1] is False
    assert harness.goal("notices latency", {"p99_ms": 1500.0, "lost": 0})[1] is True
    assert harness.goal("notices latency", {"p99_ms": 1500.0, "lost": 2})[1] is False
    assert harness.goal("something else", {}) is None


def test_saved_rows_carry_their_goal(tmp_path: Path):
    path = tmp_path / "results.json"
    harness.save_rows({"checkout race": harness.row(rps=20.0, oversold=0, overbooked=0)}, path)
    saved = json.loads(path.read_text())["checkout race"]
    assert (saved["goal"], saved["meets_goal"]) == ("0 oversold, 0 overbooked", True)
    assert "   ok  " in harness.table({"checkout race": saved})


def test_the_soak_tells_memory_that_levels_off_from_a_leak() -> None:
    from bench.soak import late_rss_growth

    # The figures of a 120 s soak: caches filling in the first 45 s, then flat.
    levelling = [(0, 489_000), (15, 522_000), (30, 532_000), (45, 534_000), (60, 537_000), (75, 538_000)]
    assert late_rss_growth(levelling, 538_500, 120) == pytest.approx(0.0028, abs=0.001)
    # A leak: the same start, growing all along.
    leaking = [(0, 489_000), (15, 500_000), (30, 511_000), (45, 522_000), (60, 533_000), (75, 544_000)]
    assert late_rss_growth(leaking, 566_000, 120) == pytest.approx(0.062, abs=0.001)
    assert late_rss_growth([(0, 489_000)], 500_000, 120) == float("inf")  # no sample in the second half


@needs_wrk
def test_get_script_starts_where_it_is_told(tmp_path: Path):
    paths = harness.write_lines(tmp_path / "paths.txt", [f"/produits/{i}" for i in range(1, 101)])
    server = _Recorder()
    try:
        harness.wrk(f"http://127.0.0.1:{server.server_port}", "get.lua", [str(paths), "0.5"], seconds=1,
                    connections=1, threads=1)
    finally:
        server.shutdown()
    # one thread (number 0): from the middle of the list on, in its order (wrk asks the script for one
    # request before it connects, so the walk may be one step ahead)
    first = [int(path.rsplit("/", 1)[1]) for _method, path, _headers, _body in server.seen][:3]
    assert first[0] in (51, 52) and first == [first[0], first[0] + 1, first[0] + 2]
