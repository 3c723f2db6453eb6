"""CPU of replaying the catalog and the ledger over one seeded log (an A/B tool).

On a shared machine wall-clock events/s swing by 2x with no code change; the CPU
seconds a replay costs swing far less. So two versions of the projection code
are compared on the same log, alternated, by CPU: this process's (`getrusage`,
the reader thread included) and PostgreSQL's, the backends serving this
database (`/proc/<pid>/stat` of each, when the server runs on this machine):

    python -m bench.replay_cpu seed NAME [EVENTS]      # once: a database NAME, the catch-up bench's log
    python -m bench.replay_cpu run NAME [PROJECTIONS]  # per version and round, each in a fresh process
    python -m bench.replay_cpu rebuild NAME            # the catch-up bench's timed step: both, in processes
    python -m bench.replay_cpu drop NAME

`run` replays into fresh `__cpu` tables (`Projector.replay`, as a rebuild does, one
pass for the named projections: `catalog,ledger` by default; `catalog` or `ledger`
alone is what each process of a parallel rebuild does), then builds their keys
and indexes as a rebuild does, prints one JSON line, and drops those tables.
Run it from each version's source tree to compare them (bench/RESULTS.md).
`rebuild` is what bench/projection_catchup.py times for "both together" (`Projector.rebuild`
of the catalog and the ledger: a process each, then the swap): its wall time, and the CPU of
this process, its children and the server (backends sampled every 0.1 s, as they come and go).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time

import psycopg
from psycopg import sql

from api.bootstrap import build_services
from api.settings import Settings
from bench.common import ADMIN_URL
from migrations.runner import upgrade

SUFFIX = "__cpu"
NAMES = ("catalog", "ledger")
TICKS = os.sysconf("SC_CLK_TCK")


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


def server_cpu(name: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to database `name` (empty when the
    server's processes are not visible here)."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))]
    found = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
    return found


def run(name: str, names: tuple[str, ...] = NAMES) -> dict[str, float]:
    services = build_services(Settings(database_url=url_of(name), log_level="WARNING"))
    try:
        projections = [services.projector.projections[n] for n in names]
        with services.db.transaction() as tx:
            for projection in projections:
                for table, create, _ in projection.tables(SUFFIX):
                    tx.execute(f"DROP TABLE IF EXISTS {table}")
                    tx.execute(create)
        server_before = server_cpu(name)
        before, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        position = services.projector.replay(list(names), SUFFIX)
        after, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - wall
        server_after = server_cpu(name)
        with services.db.transaction() as tx:
            for projection in projections:
                for table, _, _ in projection.tables(SUFFIX):
                    tx.execute(f"DROP TABLE IF EXISTS {table}")
    finally:
        services.close()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    server = sum(t - server_before.get(pid, 0.0) for pid, t in server_after.items())
    return {"projections": "+".join(names), "events": position, "cpu_s": round(cpu, 3),
            "events_per_cpu_s": round(position / cpu), "server_cpu_s": round(server, 3),
            "cpu_s_per_100k": round((cpu + server) * 100_000 / position, 3), "wall_s": round(wall, 3)}


def rebuild(name: str) -> dict[str, float]:
    services = build_services(Settings(database_url=url_of(name), log_level="WARNING"))
    seen: dict[int, float] = {}
    start = server_cpu(name)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            seen.update(server_cpu(name))

    sampler = threading.Thread(target=sample, daemon=True)
    try:
        before, wall = _cpu(), time.perf_counter()
        sampler.start()
        position = services.projector.rebuild(*NAMES)
        after, wall = _cpu(), time.perf_counter() - wall
        done.set()
        sampler.join()
        seen.update(server_cpu(name))
    finally:
        services.close()
    cpu = after - before
    server = sum(t - start.get(pid, 0.0) for pid, t in seen.items())
    return {"projections": "+".join(NAMES), "events": position, "wall_s": round(wall, 3),
            "events_per_s": round(position / wall), "python_cpu_s": round(cpu, 3), "server_cpu_s": round(server, 3),
            "cpu_s_per_100k": round((cpu + server) * 100_000 / position, 3)}


def _cpu() -> float:
    """CPU seconds of this process and its waited-for children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def drop(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    command, database = sys.argv[1], sys.argv[2]
    if command == "seed":
        seed(database, int(sys.argv[3]) if len(sys.argv) > 3 else 100_000)
    elif command == "rebuild":
        print(json.dumps(rebuild(database)))
    elif command == "run":
        print(json.dumps(run(database, tuple(sys.argv[3].split(",")) if len(sys.argv) > 3 else NAMES)))
    else:
        drop(database)
