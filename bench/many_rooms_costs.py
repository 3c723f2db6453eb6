"""Where a many-rooms sale's cost goes: CPU per sale and counts per run, over HTTP (a tool, not in `make bench`).

    .venv/bin/python -m bench.many_rooms_costs 50 [--full]   # rooms per creator; 0: one hot room, same buyers

The sale of `bench/many_rooms.py` (quick: 150 rooms of 20 seats, 4,500 buyers; full: 1,000 and 30,000), with
- CPU per accepted sale of the two API workers and of the database's backends (utime + stime from /proc,
  over the sale only): steadier than sales/s on a loaded machine;
- counts inside the workers (bench/costs_hook): claim transactions, requests skipped as busy, creator-row
  locks (`lock_revenue`; room openings included: 1 per room opened), transactions;
- the commonest states of the sale's backends in `pg_stat_activity`, sampled every 10 ms.
Used for bench/RESULTS.md ("Seventh session: many rooms"). Prints one JSON line.
"""

from __future__ import annotations

import collections
import json
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psycopg

from bench.common import SECRET, throwaway_database
from bench.loadgen import Request, run_in_process, summarise
from bench.many_rooms import SEATS, _bearer, _open_rooms
from tests.support.server import running_server

TICK = os.sysconf("SC_CLK_TCK")
HOOK = Path(__file__).parent / "costs_hook"


def _stat(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def _cpu(pids: list[int]) -> float:
    return sum((int(f[11]) + int(f[12])) / TICK for f in map(_stat, pids) if f)


def _workers(port: int) -> list[int]:
    """The uvicorn workers: processes holding the port whose parent holds it too."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A":  # LISTEN
            inodes.add(fields[9])
    holders = set()
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            if os.readlink(fd).removeprefix("socket:[").removesuffix("]") in inodes:
                holders.add(int(fd.parts[2]))
        except OSError:
            pass
    return sorted(p for p in holders if (f := _stat(p)) and int(f[1]) in holders) or sorted(holders)


def run(per_creator: int, full: bool = False) -> dict[str, Any]:
    rooms, buyers = (1_000, 30_000) if full else (150, 4_500)
    counts_dir = tempfile.mkdtemp(prefix="boxoffice_costs_")
    env = {"BOXOFFICE_DB_POOL_SIZE": "20", "BOXOFFICE_COSTS_DIR": counts_dir,
           "PYTHONPATH": os.pathsep.join([str(HOOK), os.environ.get("PYTHONPATH", "")])}
    with throwaway_database() as url:
        with running_server(url, SECRET, workers=2, extra_env=env) as base:
            host, port = base.removeprefix("http://").split(":")
            room_ids = (_open_rooms(host, int(port), 1, 1, seats=rooms * SEATS) if per_creator == 0
                        else _open_rooms(host, int(port), rooms, per_creator))
            baseline = summarise(run_in_process(host, int(port), [Request("GET", "/healthz")] * buyers, 64))
            rng = random.Random(14)
            buys = [Request("POST", f"/v1/rooms/{rng.choice(room_ids)}/tickets", _bearer(f"fan-{i}", "listener"))
                    for i in range(buyers)]
            workers = _workers(int(port))
            with psycopg.connect(url, autocommit=True) as admin:
                backends = [r[0] for r in admin.execute("SELECT pid FROM pg_stat_activity WHERE datname ="
                                                        " current_database() AND pid <> pg_backend_pid()")]
                waits: collections.Counter[tuple[str, ...]] = collections.Counter()
                stop = threading.Event()

                def sample() -> None:
                    with psycopg.connect(url, autocommit=True) as conn:
                        while not stop.is_set():
                            for row in conn.execute(
                                    "SELECT state, wait_event_type, wait_event, left(query, 60) FROM pg_stat_activity"
                                    " WHERE datname = current_database() AND backend_type = 'client backend'"
                                    " AND state <> 'idle' AND pid <> pg_backend_pid()"):
                                waits[(row[0], str(row[1]), str(row[2]), (row[3] or "").split(" FROM ")[0][:40])] += 1
                            time.sleep(0.01)

                sampler = threading.Thread(target=sample)
                w0, b0 = _cpu(workers), _cpu(backends)
                sampler.start()
                raw = run_in_process(host, int(port), buys, 64)
                stop.set()
                sampler.join()
                w1, b1 = _cpu(workers), _cpu(backends)
                time.sleep(2.5)  # the workers' last counts
        with psycopg.connect(url) as conn:
            deadlocks = conn.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
                                     ).fetchone()[0]
            oversold = conn.execute("SELECT count(*) FROM seat_inventory WHERE taken > capacity").fetchone()[0]
    counts: collections.Counter[str] = collections.Counter()
    for path in Path(counts_dir).glob("costs-*.json"):
        counts.update(json.loads(path.read_text()))
    accepted = [r for r in raw["results"] if r[0] == 201]
    last = max((r[3] for r in accepted), default=0.0)
    n = max(len(accepted), 1)
    total = sum(waits.values()) or 1
    return {
        "rooms_per_creator": per_creator, "mode": "full" if full else "quick", "workers": len(workers),
        "accepted": len(accepted), "accepted_sales_per_s": round(len(accepted) / last, 1) if last else 0.0,
        "baseline_healthz_rps": baseline["rps"], "deadlocks": deadlocks, "oversold_rooms": oversold,
        "worker_cpu_ms_per_sale": round((w1 - w0) * 1000 / n, 3),
        "postgres_cpu_ms_per_sale": round((b1 - b0) * 1000 / n, 3),
        "counts": dict(sorted(counts.items())),
        "waits": [(round(v * 100 / total, 1), *k) for k, v in waits.most_common(12)],
    }


if __name__ == "__main__":
    shape = int(next((a for a in sys.argv[1:] if a.isdigit()), "50"))
    print(json.dumps(run(shape, full="--full" in sys.argv)))
