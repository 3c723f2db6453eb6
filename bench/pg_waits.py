"""Where a benchmark's transactions wait: sample `pg_stat_activity` every 10 ms while it runs.

    .venv/bin/python -m bench.pg_waits [SECONDS] &   # then run a benchmark; stop it with SIGTERM (or wait)

For each benchmark database (`boxoffice_bench_*`) it counts backend-instants by (state, wait event type,
wait event, statement start), and prints the three databases with the most seat-claim activity, each with
its fourteen commonest states. A share of the samples is a share of the time the sale path's backends spent
so: the events-table lock, a room row, the commit's WAL flush, waiting for the client inside a transaction.
Used for bench/RESULTS.md ("Where a sale waits"). Reads only; needs no extension.
"""

from __future__ import annotations

import collections
import signal
import sys
import time

import psycopg

from bench.common import ADMIN_URL


class _Stop(Exception):
    pass


def _stop(*_: object) -> None:
    raise _Stop


def main(seconds: float = 600.0) -> None:
    signal.signal(signal.SIGTERM, _stop)
    tally: collections.Counter[tuple[str, ...]] = collections.Counter()
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        started = time.monotonic()
        try:
            while time.monotonic() - started < seconds:
                for d, st, wt, we, q in conn.execute(
                        "SELECT datname, state, wait_event_type, wait_event, left(query, 60) FROM pg_stat_activity"
                        " WHERE datname LIKE 'boxoffice_bench%%' AND backend_type = 'client backend'"
                        " AND state <> 'idle'").fetchall():
                    tally[(d, st, str(wt), str(we), (q or "").split(" FROM ")[0][:40])] += 1
                time.sleep(0.01)
        except (_Stop, KeyboardInterrupt):
            pass
    claims = collections.Counter({k[0]: v for k, v in tally.items() if "room_id, host_id, capacity" in k[4]})
    for database, _ in claims.most_common(3):
        mine = collections.Counter({k[1:]: v for k, v in tally.items() if k[0] == database})
        print(f"--- database {database} samples {sum(mine.values())}")
        for key, count in mine.most_common(14):
            print(count, key)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 600.0)
