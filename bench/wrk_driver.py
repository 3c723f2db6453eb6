"""Drive a list of requests through `wrk` (issue 14 measures "from outside" with wrk at 64 connections).

`run_wrk(host, port, requests, connections)` sends every `bench.loadgen.Request` of the list exactly
once: the driver writes thread k's share (requests k, k+T, k+2T, ...) to "<prefix>.<k>", and
bench/wrk_requests.lua hands them out one per request() from T wrk threads (`wrk -t2 -c64`, 32
keep-alive connections each, `--latency`). Once a thread's share is all answered, the thread stops its
event loop (`wrk.thread:stop()`, which works in Debian's wrk 4.1.0) and says so on stderr; when every
thread has, the driver sends wrk SIGINT (its main thread would otherwise sleep out the generous -d)
and parses the JSON line the script's done() prints: statuses, p50/p99 latency (wrk's histogram,
microseconds), per-thread counts, and CLOCK_REALTIME microsecond timestamps taken in the script
through LuaJIT's ffi: the first request each thread sent and the last response of each status.
The driver checks that each request was sent once and answered once, and raises otherwise; `cpu_s`
is wrk's own CPU time (user + system), the load driver's share of the machine.

Accepted sales per second, as the Python driver (bench/loadgen.py) defines it: accepted sales over
the time from the start of the load to the last accepted sale's response. With wrk, the start is the
first request the script hands out (`load_started_at_us`; wrk's start-up, reading the request files,
is not load: `started_at_us` is the wall clock just before wrk was started, for reference) and the
last sale is the last 201 the script saw (`last_at_us["201"]`), both on the machine's UTC clock.
A cross-check from the database needs no client clock: the server stamps each sale's seat hold with
its own (the same machine's) UTC clock, `seat_holds.created_us`, when the sale's batch takes the seat;
the commit, the answer and its trip to the client follow, so the latest (`last_sale_in_db_us`) is
earlier than the last 201 by about one request's latency (tens of ms under load; the rate "by db
clock" comes out that much higher). `sales_per_s` turns either into a rate; the benchmarks report both.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import children_cpu_s
from bench.loadgen import Request

SCRIPT = Path(__file__).with_name("wrk_requests.lua")
DONE = "wrk_driver: thread done"


def available() -> bool:
    return shutil.which("wrk") is not None


def _write_shares(prefix: Path, host: str, requests: Sequence[Request], threads: int) -> None:
    for k in range(threads):
        with open(f"{prefix}.{k}", "wb") as f:
            for request in requests[k::threads]:
                raw = request.encode(host)
                f.write(b"%d\n" % len(raw) + raw)


def run_wrk(host: str, port: int, requests: Sequence[Request], connections: int = 64, threads: int = 2,
            timeout_s: float = 10.0) -> dict[str, Any]:
    """Send each request once through wrk; returns statuses, latencies and clocks (see the module doc).

    `timeout_s` is wrk's --timeout: answers slower than it still count, but outside the latency
    histogram (which holds one bucket per microsecond up to it, so keep it modest)."""
    if not requests:
        raise ValueError("no requests")
    threads = max(1, min(threads, len(requests), connections))
    duration = 120 + len(requests) // 50  # seconds; the run ends when all are answered, long before
    with tempfile.TemporaryDirectory(prefix="wrk-driver-") as tmp:
        prefix = Path(tmp) / "requests"
        _write_shares(prefix, f"{host}:{port}", requests, threads)
        cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", f"{int(timeout_s)}s",
               "--latency", "-s", str(SCRIPT), f"http://{host}:{port}", "--", str(prefix)]
        started_at_us, cpu = time.time_ns() // 1000, children_cpu_s()
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        finished, elapsed, notes = 0, 0.0, []
        assert proc.stderr is not None
        for line in proc.stderr:  # ends at EOF if wrk exits first (an error, or -d ran out)
            if line.startswith(DONE):
                finished += 1
                if finished == threads:
                    elapsed = time.perf_counter() - t0
                    proc.send_signal(signal.SIGINT)
                    break
            else:
                notes.append(line)
        out, err = proc.communicate(timeout=60)
        cpu = children_cpu_s() - cpu
    notes.append(err)
    report = next((line for line in out.splitlines() if line.startswith("WRK_DRIVER ")), None)
    if proc.returncode != 0 or report is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {''.join(notes)[-2000:]}\n{out[-2000:]}")
    data = json.loads(report.removeprefix("WRK_DRIVER "))
    return {**_result(data, len(requests), started_at_us, elapsed or time.perf_counter() - t0, "".join(notes)),
            "cpu_s": round(cpu, 2)}


def _result(data: dict[str, Any], expected: int, started_at_us: int, elapsed: float, notes: str) -> dict[str, Any]:
    per_thread = data["threads"]
    statuses: dict[str, int] = {}
    last_at_us: dict[str, int] = {}
    for t in per_thread:
        for status, n in t["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
        for status, at in t["last_at_us"].items():
            last_at_us[status] = max(last_at_us.get(status, 0), at)
    sent = sum(t["sent"] for t in per_thread)
    answered = sum(t["answered"] for t in per_thread)
    if sent != expected or answered != expected or sum(statuses.values()) != expected:
        raise RuntimeError(f"wrk sent {sent} and saw {answered} answers for {expected} requests"
                           f" (errors {data['errors']}): {notes[-2000:]}")
    firsts = [t["first_request_us"] for t in per_thread if t["first_request_us"]]
    return {
        "requests": answered, "statuses": dict(sorted(statuses.items())), "last_at_us": last_at_us,
        "started_at_us": started_at_us, "load_started_at_us": min(firsts), "elapsed": round(elapsed, 3),
        "wrk_duration_s": round(data["duration_us"] / 1e6, 3), "errors": data["errors"],
        "p50_ms": round(data["p50_us"] / 1000, 1), "p99_ms": round(data["p99_us"] / 1000, 1),
        "max_ms": round(data["max_us"] / 1000, 1),
    }


def sales_per_s(accepted: int, load_started_us: int, last_sale_us: int | None) -> tuple[float, float]:
    """(accepted per second, seconds from the start of the load to the last sale); (0, 0) without sales."""
    if not accepted or not last_sale_us or last_sale_us <= load_started_us:
        return 0.0, 0.0
    seconds = (last_sale_us - load_started_us) / 1e6
    return round(accepted / seconds, 1), round(seconds, 3)


def last_sale_in_db_us(conn: Any, room_id: str | None = None) -> int | None:
    """The latest seat hold's creation time (the server's clock, epoch microseconds), in one room or all."""
    if room_id is None:
        return conn.execute("SELECT max(created_us) FROM seat_holds").fetchone()[0]
    return conn.execute("SELECT max(created_us) FROM seat_holds WHERE room_id = %s", (room_id,)).fetchone()[0]
