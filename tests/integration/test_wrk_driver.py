"""The wrk driver of the benchmarks sends each request of its list exactly once (bench/wrk_driver.py).

A stdlib HTTP server on a thread records every request it receives (method, path, bearer token,
body) and answers by a rule of the path; the driver's counts must match what the server saw, and
each request of the list must arrive once, as written. Skipped where `wrk` is not installed, except
with CI=true (.ci/run installs Debian's `wrk`).
"""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.loadgen import Request
from bench.wrk_driver import run_wrk, sales_per_s
from tests.conftest import IN_CI


def _status_for(path: str) -> int:
    return {0: 409, 1: 201, 2: 201, 3: 201, 4: 404}[int(path.rsplit("/", 1)[1]) % 5]


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the service answers
    seen: Counter = Counter()
    lock = threading.Lock()

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.lock:
            self.seen[(self.command, self.path, self.headers.get("Authorization"), self.headers.get("Content-Type"),
                       body)] += 1
        self.send_response(_status_for(self.path))
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = _answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # wrk opens all its connections at once


@pytest.fixture
def server() -> Iterator[tuple[str, int, Counter]]:
    if shutil.which("wrk") is None:
        if IN_CI:
            pytest.fail("wrk is missing in CI: .ci/run installs Debian's `wrk` package")
        pytest.skip("no wrk here (apt-get install wrk); the wrk driver needs it")
    _Recorder.seen = Counter()
    httpd = _Server(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", httpd.server_address[1], _Recorder.seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def _requests(n: int) -> list[Request]:
    """Distinct requests: each its own path, token and (for POSTs) body."""
    out = []
    for i in range(n):
        if i % 7 == 6:
            out.append(Request("GET", f"/v1/tickets/{i}", (("Authorization", f"Bearer token-{i}"),)))
        else:
            out.append(Request("POST", f"/v1/rooms/room-{i}/tickets/{i}", (
                ("Authorization", f"Bearer token-{i}"), ("Content-Type", "application/json")),
                f'{{"n": {i}, "note": "caf\\u00e9 {i}"}}'.encode()))
    return out


def _expected(requests: list[Request]) -> Counter:
    return Counter((r.method, r.path, dict(r.headers)["Authorization"], dict(r.headers).get("Content-Type"), r.body)
                   for r in requests)


def test_each_request_is_sent_once_and_its_status_counted(server: tuple[str, int, Counter]) -> None:
    host, port, seen = server
    requests = _requests(301)  # not a multiple of the threads: the shares differ by one

    result = run_wrk(host, port, requests, connections=16, threads=2)

    assert seen == _expected(requests)
    assert set(seen.values()) == {1}
    want = Counter(str(_status_for(r.path)) for r in requests)
    assert result["statuses"] == dict(sorted(want.items()))
    assert result["requests"] == 301
    assert result["errors"]["status"] == want["409"] + want["404"]
    assert result["started_at_us"] <= result["load_started_at_us"] <= result["last_at_us"]["201"]
    assert 0 < result["p50_ms"] <= result["p99_ms"]


def test_fewer_requests_than_connections(server: tuple[str, int, Counter]) -> None:
    """Idle connections send nothing: wrk's own check of the script's request is not sent either."""
    host, port, seen = server
    requests = _requests(5)

    result = run_wrk(host, port, requests, connections=64, threads=2)

    assert seen == _expected(requests)
    assert result["requests"] == 5


def test_one_thread_and_one_request(server: tuple[str, int, Counter]) -> None:
    host, port, seen = server
    requests = _requests(1)

    result = run_wrk(host, port, requests, connections=4, threads=2)

    assert seen == _expected(requests)
    assert result["statuses"] == {"409": 1}


def test_sales_per_second_counts_from_the_start_of_the_load_to_the_last_sale() -> None:
    assert sales_per_s(300, 1_000_000, 1_200_000) == (1500.0, 0.2)
    assert sales_per_s(0, 1_000_000, None) == (0.0, 0.0)
