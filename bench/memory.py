"""Benchmark 5: resident memory of an API process whose admission index holds 1,000,000 tickets.

Runs in a fresh process: imports and builds the whole application (FastAPI
app, routers, the eventsourcing application on a scratch SQLite store), then
loads the admission index with 1,000,000 paid tickets across 100 rooms (quick:
200,000), and reports the process's resident set size (VmRSS) before and
after, and the bytes per ticket.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import tempfile
import uuid
from typing import Any

from bench.common import table, write


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))


def child(tickets: int) -> dict[str, Any]:
    from api.main import create_app
    from api.settings import Settings
    from migrations.runner import upgrade
    from api.bootstrap import build_services

    url = f"sqlite:///{tempfile.mkdtemp()}/memory.db"
    upgrade(url)
    services = build_services(Settings(database_url=url, log_level="WARNING"))
    create_app(services)
    gc.collect()
    before = rss_kib()
    index = services.admission_index
    rooms = [{"room_id": str(uuid.uuid4()), "host_id": f"host-{r}", "state": "live"} for r in range(100)]
    rows = ({"ticket_id": str(uuid.uuid4()), "room_id": rooms[i % 100]["room_id"], "holder_id": f"listener-{i}",
             "status": "paid"} for i in range(tickets))
    index.load(rooms, [], rows, position=0)
    gc.collect()
    after = rss_kib()
    assert index.check(rooms[1]["room_id"], "listener-1").admit
    return {"tickets": len(index), "rss_before_mib": round(before / 1024, 1), "rss_after_mib": round(after / 1024, 1),
            "index_mib": round((after - before) / 1024, 1), "bytes_per_ticket": round((after - before) * 1024 / tickets)}


def run(full: bool = False) -> dict[str, Any]:
    tickets = 1_000_000 if full else 200_000
    out = subprocess.run([sys.executable, "-m", "bench.memory", "--child", str(tickets)], capture_output=True,
                         text=True, check=True)
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    projected = measured["rss_before_mib"] + measured["bytes_per_ticket"] * 1_000_000 / 2**20
    result = {"mode": "full" if full else "quick", **measured,
              "rss_with_1m_tickets_mib": round(projected if not full else measured["rss_after_mib"], 1),
              "goals": {"RSS with 1,000,000 tickets <= 300 MB": (projected if not full else measured["rss_after_mib"])
                        <= 300 * 1_000_000 / 2**20}}
    write("memory", result)
    print(table("Memory", [(k, v) for k, v in result.items()]))
    return result


if __name__ == "__main__":
    if "--child" in sys.argv:
        print(json.dumps(child(int(sys.argv[sys.argv.index("--child") + 1]))))
    else:
        run(full="--full" in sys.argv)
