"""Benchmark: finance reads as the ledger grows (issue 15).

What the seed models: one platform whose history grows at a steady rate while
its population stays the same. 200 creators (registered first; fewer when the
smallest size has under 400 rooms: half its rooms) take turns opening rooms of
200 tickets, each room selling out over the time until the next one opens; the
rate is set so that the smallest size spans 45 days, and each larger size is a
longer history of the same platform (quick: 30k events = 45 days, 300k = 450
days, 37 creators; full: 1M = 45 days, 10M = 450 days). So every account
exists from the first weeks (the same rows in `ledger_balances` at every size)
and "a month" (30 days from 09:17, ending 3 days before the last sale) is a
whole month at every size. Written straight into the event store
with binary COPY (bench/seed.py, shared with the catch-up benchmark). At each
size it rebuilds every projection that handles the log's events (the others'
positions move to the head: they have nothing to apply), EXPLAINs each
read (bench/finance_plans.py: the rows PostgreSQL reads, which do not depend
on the machine's load), starts one API process and times each read over HTTP
(median of 7 calls after a warm-up), then grows the same log to the next size.
Sizes: 1M and 10M events (quick: 30k and 300k, ten times the history as
well, so that `make bench` fits in 5 minutes); BOXOFFICE_FINANCE_BENCH_SIZES
(e.g. `1000000,3000000`) overrides them. Results are written after each size.

Reported per read: milliseconds and rows read at each size, and the growth
ratio (largest / smallest). Goals (issue 15): trial balance, as_of, prefix,
earnings, revenue by room and by creator for a month, and the first page of
an account's entries each <= 50 ms at the largest size, growth <= 1.5.
Also, at the largest size: a month of entries streamed as CSV (rows/s) and the
API process's resident memory before and at its peak (VmHWM) while it streams.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from api.auth import issue_token
from api.bootstrap import build_services
from api.settings import Settings
from store.timecodes import to_us
from bench.common import SECRET, table, throwaway_database, write
from bench.finance_plans import explain
from bench.seed import EventLog
from projections.batches import set_position
from projections.light_events import event_kind
from tests.support.server import running_server

START = datetime(2025, 1, 1, tzinfo=UTC)
CREATORS = 200  # a fixed population, all selling from the first weeks: the history grows, the accounts do not
TICKETS_PER_ROOM = 200
EVENTS_PER_ROOM = 2 * TICKETS_PER_ROOM + 1  # Room.Opened, then Ticket.Reserved and Ticket.Paid per seat
SMALLEST_SPANS = timedelta(days=45)  # the smallest size's history: a month's window is whole at every size
CALLS = 7
GOAL_MS, GOAL_GROWTH = 50.0, 1.5
GOALS = ("trial balance", "as_of", "prefix", "earnings", "revenue by room, a month", "revenue by creator, a month",
         "entries of an account, first page")


class Seeder:
    """A platform's history at a steady rate: `smallest` events take 45 days, each larger size runs longer.

    Rooms of 200 paid tickets, sold over the time until the next room opens; the
    rooms go round the same 200 creators (registered first; tests pass fewer), so from the first
    weeks every account exists and a larger size only adds history. Written straight into
    the event store with COPY (bench/seed.py, shared with the catch-up benchmark),
    continuing where it stopped.
    """

    def __init__(self, services: Any, smallest: int, creators: int = CREATORS) -> None:
        self.app = services.app
        self.url = services.settings.database_url
        self.log = EventLog(self.app)
        self.rooms = 0
        self.creators = creators
        self.room_every = SMALLEST_SPANS / (smallest / EVENTS_PER_ROOM)
        self.lifetime: dict[str, int] = {}
        for n in range(creators):
            self.app.register_creator(self.creator(n), "Bench", 10_000)
        registered = self.app.recorder.select_notifications(start=1, limit=creators)
        self.topics = {n.topic for n in registered} | set(self.log.topics)  # every topic the log holds

    def creator(self, n: int) -> str:
        return f"creator-{n % self.creators}"

    def grow(self, events: int) -> int:
        """Add rooms until the log holds at least `events` events (one COPY); the log's head."""
        head = self.app.recorder.max_notification_id() or 0
        if head >= events:
            return head
        return self.log.append(self.url, self._rooms(-(-(events - head) // EVENTS_PER_ROOM)))

    def _rooms(self, count: int) -> Iterator[tuple[Any, ...]]:
        for _ in range(count):
            host = self.creator(self.rooms)
            rows, self.lifetime[host] = self.log.room(
                host, START + self.rooms * self.room_every, self.room_every / TICKETS_PER_ROOM, TICKETS_PER_ROOM,
                self.lifetime.get(host, 0), f"l-{self.rooms}")
            self.rooms += 1
            yield from rows

    @property
    def last_moment(self) -> datetime:
        return START + self.rooms * self.room_every

    @property
    def days(self) -> float:
        return round((self.last_moment - START) / timedelta(days=1), 1)


def server_pids(port: int) -> list[int]:
    """The API process serving `port` (one worker: uvicorn serves in the CLI's own process)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"api.cli" in cmd and b"serve" in cmd and str(port).encode() in cmd:
                found.append(int(entry.name))
    return found


def memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def timed(http: httpx.Client, path: str, params: dict[str, Any]) -> float:
    http.get(path, params=params).raise_for_status()  # warm-up
    times = []
    for _ in range(CALLS):
        t0 = time.perf_counter()
        http.get(path, params=params).raise_for_status()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 2)


def measure(url: str, seeder: Seeder, stream: bool) -> dict[str, Any]:
    """Each read's plan and median time over HTTP; with `stream`, a month streamed as CSV too."""
    end = seeder.last_moment
    month_from = (end - timedelta(days=33)).replace(hour=9, minute=17)  # not on day edges: partial days too
    month_to = month_from + timedelta(days=30)
    as_of = end - timedelta(days=17, minutes=41)
    creator = seeder.creator(seeder.rooms // 2)
    headers = {"Authorization": f"Bearer {issue_token(SECRET, 'bench-finance', ['finance'])}"}
    month = {"from": month_from.isoformat(), "to": month_to.isoformat()}
    reads = {
        "trial balance": ("/v1/ledger/accounts", {}),
        "as_of": ("/v1/ledger/accounts", {"as_of": as_of.isoformat()}),
        "prefix": ("/v1/ledger/accounts", {"prefix": f"creator:{creator}:"}),
        "earnings": (f"/v1/creators/{creator}/earnings", {}),
        "revenue by room, a month": ("/v1/reports/revenue", {"by": "room", **month}),
        "revenue by creator, a month": ("/v1/reports/revenue", {"by": "creator", **month}),
        "entries of an account, first page": ("/v1/ledger/entries", {"account": "platform:cash", "limit": 100}),
        "entries of a creator's account, first page": ("/v1/ledger/entries",
                                                       {"account": f"creator:{creator}:pending", "limit": 100}),
        "period report, a month": ("/v1/reports/period", month),
    }
    out: dict[str, Any] = {"days": seeder.days, "rooms": seeder.rooms,
                           "plans": explain(url, creator, to_us(as_of), (to_us(month_from), to_us(month_to)))}
    with running_server(url, SECRET, workers=1, timeout=120) as base:
        port = int(base.rsplit(":", 1)[1])
        with httpx.Client(base_url=base, headers=headers, timeout=600) as http:
            for name, (path, params) in reads.items():
                out[name] = timed(http, path, params)
            if not stream:
                return out
            (pid,) = server_pids(port)
            rss_before = memory_kib(pid, "VmRSS")
            rows, t0 = 0, time.perf_counter()
            with http.stream("GET", "/v1/ledger/entries", params={**month, "format": "csv"}) as response:
                response.raise_for_status()
                for line in response.iter_lines():
                    rows += 1 if line else 0
            seconds = time.perf_counter() - t0
            out["stream a month as CSV"] = {
                "postings": rows - 1, "seconds": round(seconds, 2), "rows_per_s": round((rows - 1) / seconds),
                "server_rss_before_mib": round(rss_before / 1024, 1),
                "server_peak_rss_mib": round(memory_kib(pid, "VmHWM") / 1024, 1),
            }
    return out


def rebuild(services: Any, head: int, topics: set[str]) -> list[str]:
    """Rebuild every projection that handles a kind of event in the log, whose `topics` the seeder
    knows (reads wait for every projection).

    The others (attendance, payouts, ...) have nothing to apply: their tables stay empty, and
    their positions move to the head, where a catch-up would leave them; replayed, each read the
    whole log in a process of its own for nothing. Returns the names rebuilt.
    """
    projector = services.projector
    kinds = {event_kind(t) for t in topics}
    wanted = [name for name, p in projector.projections.items() if p.handles & kinds]
    projector.rebuild(*wanted)
    with services.db.transaction() as tx:
        for name in projector.projections:
            if name not in wanted:
                set_position(tx, name, head)
    return wanted


def run(full: bool = False) -> dict[str, Any]:
    sizes = [int(s) for s in os.environ.get("BOXOFFICE_FINANCE_BENCH_SIZES", "").split(",") if s] or (
        [1_000_000, 10_000_000] if full else [30_000, 300_000])
    results: dict[int, dict[str, Any]] = {}
    with throwaway_database() as url:
        services = build_services(Settings(database_url=url, log_level="WARNING", auth_secret=SECRET))
        # Every creator opens a room in the smallest size's first half, so no account appears later.
        seeder = Seeder(services, min(sizes), creators=min(CREATORS, min(sizes) // EVENTS_PER_ROOM // 2))
        for size in sizes:
            t0 = time.perf_counter()
            head = seeder.grow(size)
            seeded = time.perf_counter() - t0
            t0 = time.perf_counter()
            rebuild(services, head, seeder.topics)
            rebuilt = time.perf_counter() - t0
            print(f"{head:,} events ({seeder.days} days, {seeder.rooms:,} rooms): seeded in {seeded:.0f} s,"
                  f" projections rebuilt in {rebuilt:.0f} s; load {os.getloadavg()}", flush=True)
            results[head] = {"seed_seconds": round(seeded, 1), "rebuild_seconds": round(rebuilt, 1),
                             "load_before": os.getloadavg(), **measure(url, seeder, stream=size == max(sizes)),
                             "load_after": os.getloadavg()}
            report(full, results)  # after each size: a run stopped at the largest size keeps the others
        services.close()
    return report(full, results)


def report(full: bool, results: dict[int, dict[str, Any]]) -> dict[str, Any]:
    small, large = min(results), max(results)
    timed_reads = [name for name, v in results[large].items() if isinstance(v, float) and name != "days" and not name.endswith("_seconds")]
    growth = {name: round(results[large][name] / results[small][name], 2) for name in timed_reads}
    rows_growth = {name: round(results[large]["plans"][name]["rows_read"] / max(1, results[small]["plans"][name]["rows_read"]), 2)
                   for name in results[large]["plans"]}
    result = {
        "mode": "full" if full else "quick", "sizes": list(results), "ms": results, "growth_large_over_small": growth,
        "rows_read_growth": rows_growth,
        "note": "2 cores shared with other work; medians of 7 calls over HTTP, one API process",
        "goals": {f"{name} <= {GOAL_MS:.0f} ms at {large:,} events and growth <= {GOAL_GROWTH}":
                  results[large][name] <= GOAL_MS and growth[name] <= GOAL_GROWTH for name in GOALS},
    }
    write("finance_reads", result)
    rows = [(name, f"{results[small][name]} ms -> {results[large][name]} ms (x{growth[name]}); rows read"
             f" {results[small]['plans'][name]['rows_read']:,} -> {results[large]['plans'][name]['rows_read']:,}")
            for name in growth]
    rows.append(("stream a month as CSV", f"{results[large].get('stream a month as CSV', 'at the largest size')}"))
    print(table(f"Finance reads, {small:,} -> {large:,} events", rows))
    for name, plan in results[large]["plans"].items():
        print(f"  {name}: {plan['plan']}")
    return result


if __name__ == "__main__":
    import sys

    run(full="--full" in sys.argv)
