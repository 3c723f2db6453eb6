"""CPU of one process replaying the catalog and the ledger over one seeded log (an A/B tool).

On a shared machine wall-clock events/s swing by 2x with no code change; the CPU
seconds one replay costs its process swing far less. So two versions of the
projection code are compared on the same log, alternated, by this process's CPU
(`getrusage`, the reader thread included; PostgreSQL's own CPU is not in it):

    python -m bench.replay_cpu seed NAME [EVENTS]   # once: a database NAME, the catch-up bench's log
    python -m bench.replay_cpu run NAME             # per version and round, each in a fresh process
    python -m bench.replay_cpu drop NAME

`run` replays into fresh `__cpu` tables (`Projector.replay`, as a rebuild does, one
pass for both projections), prints one JSON line, and drops those tables.
Run it from each version's source tree to compare them (bench/RESULTS.md).
"""

from __future__ import annotations

import json
import resource
import sys
import time

import psycopg
from psycopg import sql

from api.bootstrap import build_services
from api.settings import Settings
from bench.common import ADMIN_URL
from migrations.runner import upgrade

SUFFIX = "__cpu"
NAMES = ("catalog", "ledger")


def url_of(name: str) -> str:
    return f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def seed(name: str, events: int) -> None:
    from bench.projection_catchup import seed as seed_log

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    upgrade(url_of(name))
    services = build_services(Settings(database_url=url_of(name), log_level="WARNING"))
    try:
        print(json.dumps({"seeded": seed_log(services.app, url_of(name), events)}))
    finally:
        services.close()


def run(name: str) -> dict[str, float]:
    services = build_services(Settings(database_url=url_of(name), log_level="WARNING"))
    try:
        projections = [services.projector.projections[n] for n in NAMES]
        with services.db.transaction() as tx:
            for projection in projections:
                for table, create, _ in projection.tables(SUFFIX):
                    tx.execute(f"DROP TABLE IF EXISTS {table}")
                    tx.execute(create)
        before, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        position = services.projector.replay(list(NAMES), SUFFIX)
        after, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - wall
        with services.db.transaction() as tx:
            for projection in projections:
                for table, _, _ in projection.tables(SUFFIX):
                    tx.execute(f"DROP TABLE IF EXISTS {table}")
    finally:
        services.close()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"events": position, "cpu_s": round(cpu, 3), "events_per_cpu_s": round(position / cpu),
            "wall_s": round(wall, 3)}


def drop(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    command, database = sys.argv[1], sys.argv[2]
    if command == "seed":
        seed(database, int(sys.argv[3]) if len(sys.argv) > 3 else 100_000)
    elif command == "run":
        print(json.dumps(run(database)))
    else:
        drop(database)
