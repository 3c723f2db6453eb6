"""Benchmark: many rooms selling at once, over HTTP, against two API worker processes.

1,000 rooms of 20 seats and 30,000 buyers spread at random over them (quick:
150 rooms, 4,500 buyers), from 64 keep-alive connections, in two shapes: one
room per creator, and 50 rooms per creator (a creator selling a series: every
batch touches the same few revenue rows). Baseline: the trivial `/healthz`
endpoint of the same server, in the same run. PostgreSQL's own deadlock
counter for the database must stay at zero. Two load drivers, each shape on its
own fresh database and server for each: the Python one (bench/loadgen.py: the
goals) and, where `wrk` is installed, wrk (issue 14's way, bench/wrk_driver.py:
the `wrk_` rows and the goals marked (wrk)).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from typing import Any

import psycopg

from api.auth import issue_token
from bench import wrk_driver
from bench.common import SECRET, children_cpu_s, table, throwaway_database, write
from bench.loadgen import Request, percentile, run_in_process, summarise
from tests.support.server import running_server

SEATS = 20
SIZES = ("rooms", "rooms_per_creator", "seats", "buyers")  # a shape's size, the same for both drivers


def _bearer(sub: str, role: str) -> tuple[tuple[str, str], ...]:
    return (("Authorization", f"Bearer {issue_token(SECRET, sub, [role], ttl_seconds=3600)}"),)


def _open_rooms(host: str, port: int, rooms: int, per_creator: int, seats: int = SEATS) -> list[str]:
    creators = [f"series-{c}" for c in range((rooms + per_creator - 1) // per_creator)]
    body = json.dumps({"display_name": "Series", "follower_count": 10_000}).encode()
    made = run_in_process(host, port, [Request("POST", "/v1/creators", _bearer(c, "creator") + (
        ("Content-Type", "application/json"),), body) for c in creators], 16)
    assert {r[0] for r in made["results"]} <= {200, 201}, {r[0] for r in made["results"]}
    room = json.dumps({"title": "Episode", "ticket_price": {"amount": 999, "currency": "USD"},
                       "capacity": seats}).encode()
    opened = run_in_process(host, port, [Request("POST", "/v1/rooms", _bearer(creators[i // per_creator], "creator") + (
        ("Content-Type", "application/json"),), room) for i in range(rooms)], 16, keep_bodies=True)
    assert {r[0] for r in opened["results"]} == {201}, {r[0] for r in opened["results"]}
    return sorted(json.loads(r[2])["id"] for r in opened["results"])


def run_shape(full: bool, per_creator: int, workers: int = 2, connections: int = 64,
              driver: str = "python") -> dict[str, Any]:
    """One sale on a fresh database and server, driven by bench/loadgen.py ("python") or wrk ("wrk")."""
    rooms, buyers = (1_000, 30_000) if full else (150, 4_500)
    env = {"BOXOFFICE_DB_POOL_SIZE": "20"}
    with throwaway_database() as url:
        with running_server(url, SECRET, workers=workers, extra_env=env) as base:
            host, port = base.removeprefix("http://").split(":")
            room_ids = _open_rooms(host, int(port), rooms, per_creator)
            if driver == "python":
                baseline = summarise(run_in_process(host, int(port), [Request("GET", "/healthz")] * buyers,
                                                    connections))
            rng = random.Random(14)
            buys = [Request("POST", f"/v1/rooms/{rng.choice(room_ids)}/tickets", _bearer(f"fan-{i}", "listener"))
                    for i in range(buyers)]
            started, cpu = time.perf_counter(), children_cpu_s()
            if driver == "wrk":
                load = wrk_driver.run_wrk(host, int(port), buys, connections)
            else:
                raw = run_in_process(host, int(port), buys, connections)
            wall, cpu = time.perf_counter() - started, children_cpu_s() - cpu
        with psycopg.connect(url) as conn:  # after the server stopped: its backends flushed their statistics
            deadlocks = conn.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
                                     ).fetchone()[0]
            oversold = conn.execute("SELECT count(*) FROM seat_inventory WHERE taken > capacity").fetchone()[0]
            doubles = conn.execute("SELECT count(*) FROM (SELECT room_id, holder_id FROM seat_holds WHERE live"
                                   " GROUP BY room_id, holder_id HAVING count(*) > 1) d").fetchone()[0]
            sold = conn.execute("SELECT COALESCE(sum(taken), 0) FROM seat_inventory").fetchone()[0]
            last_in_db = wrk_driver.last_sale_in_db_us(conn)
    checks = {"deadlocks": deadlocks, "oversold_rooms": oversold, "listeners_with_two_tickets": doubles}
    shape = {"rooms": rooms, "rooms_per_creator": per_creator, "seats": rooms * SEATS, "buyers": buyers,
             "sold_in_db": int(sold)}
    if driver == "wrk":
        accepted = load["statuses"].get("201", 0)
        rate, last = wrk_driver.sales_per_s(accepted, load["load_started_at_us"], load["last_at_us"].get("201"))
        db_rate, db_last = wrk_driver.sales_per_s(accepted, load["load_started_at_us"], last_in_db)
        return {**shape, "accepted": accepted, "statuses": load["statuses"], "accepted_sales_per_s": rate,
                "last_sale_s": last, "accepted_sales_per_s_by_db_clock": db_rate, "last_sale_by_db_clock_s": db_last,
                "wall_s": round(wall, 2), "driver_cpu_s": round(cpu, 2), "startup_ms": round((load["load_started_at_us"] - load["started_at_us"])
                                                               / 1000, 1),
                "p50_ms": load["p50_ms"], "p99_ms": load["p99_ms"], **checks}
    sales = [r for r in raw["results"] if r[0] == 201]
    last = max((r[3] for r in sales), default=0.0)
    rate = len(sales) / last if last else 0.0
    latencies = [r[1] for r in raw["results"]]
    return {
        **shape, "accepted": len(sales),
        "statuses": dict(sorted((str(s), sum(1 for r in raw["results"] if r[0] == s))
                                for s in {r[0] for r in raw["results"]})),
        "accepted_sales_per_s": round(rate, 1), "last_sale_s": round(last, 2), "wall_s": round(wall, 2),
        "driver_cpu_s": round(cpu, 2), "p50_ms": round(percentile(latencies, 50) * 1000, 1), "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        **checks, "baseline_healthz_rps": baseline["rps"],
        "ratio_sales_to_healthz": round(rate / baseline["rps"], 3) if baseline["rps"] else 0.0,
    }


def batch_cost(rounds: int = 5, size: int = 100) -> dict[str, Any]:
    """One reservation batch of `size` sales in one room against one of `size` sales in `size` rooms.

    In process, through the application's own batch (the group commit's unit of work),
    alternated round by round; the median milliseconds per batch of each, and their ratio;
    also the calling thread's CPU milliseconds (steadier than wall time on a loaded machine).
    """
    from api.bootstrap import build_services
    from api.settings import Settings

    with throwaway_database() as url:
        with running_server(url, SECRET, workers=1) as base:
            host, port = base.removeprefix("http://").split(":")
            many = _open_rooms(host, int(port), size, 10)
            (hot,) = _open_rooms(host, int(port), 1, 1, seats=rounds * size)
        services = build_services(Settings(database_url=url, log_level="WARNING"))
        app, times = services.app, {"one_room": [], "many_rooms": []}
        cpu: dict[str, list[float]] = {"one_room": [], "many_rooms": []}
        try:
            for r in range(rounds):
                for shape, rooms in (("one_room", [hot] * size), ("many_rooms", many)):
                    requests = [app.purchase_request(uuid.UUID(room), f"{shape}-{r}-{i}") for i, room in enumerate(rooms)]
                    t0, c0 = time.perf_counter(), time.thread_time()
                    outcomes = app._sales._reserve_batch(requests)
                    times[shape].append(time.perf_counter() - t0)
                    cpu[shape].append(time.thread_time() - c0)
                    assert all(isinstance(o, tuple) for o in outcomes), outcomes[:3]
        finally:
            services.close()
    one, spread = (sorted(times[k])[rounds // 2] * 1000 for k in ("one_room", "many_rooms"))
    one_cpu, spread_cpu = (sorted(cpu[k])[rounds // 2] * 1000 for k in ("one_room", "many_rooms"))
    return {"batch_size": size, "rounds": rounds, "one_room_ms": round(one, 1), "many_rooms_ms": round(spread, 1),
            "ratio_many_to_one": round(spread / one, 2), "one_room_cpu_ms": round(one_cpu, 1),
            "many_rooms_cpu_ms": round(spread_cpu, 1), "cpu_ratio_many_to_one": round(spread_cpu / one_cpu, 2)}


def run(full: bool = False, driver: str = "both") -> dict[str, Any]:
    """driver: "python" (bench/loadgen.py), "wrk" (bench/wrk_driver.py) or "both" (wrk where installed).

    Each shape and driver has its own database and server. The wrk runs' figures join each shape's
    table with a `wrk_` prefix; the goals are the Python driver's, the wrk runs' rows marked (wrk)."""
    use_wrk = driver in ("wrk", "both") and wrk_driver.available()
    if driver in ("wrk", "both") and not use_wrk:
        print("wrk is not installed (apt-get install wrk): the wrk rows are skipped")
    shapes: dict[str, dict[str, Any]] = {}
    for n in (1, 50):
        shape = run_shape(full, n) if driver in ("python", "both") else {}
        if use_wrk:
            shape.update({k if k in SIZES else f"wrk_{k}": v for k, v in run_shape(full, n, driver="wrk").items()
                          if not (k in SIZES and k in shape)})
        shapes[f"{n}_per_creator"] = shape
    result: dict[str, Any] = {"mode": "full" if full else "quick", **shapes, "batch_cost": batch_cost(), "goals": {}}
    for name, shape in shapes.items():
        for mark, p in (("", ""), ("(wrk) ", "wrk_")):
            if f"{p}accepted" not in shape:
                continue
            result["goals"][f"{mark}{name}: accepted_sales_per_s >= 1500"] = shape[f"{p}accepted_sales_per_s"] >= 1500
            result["goals"][f"{mark}{name}: no deadlock, no 5xx"] = shape[f"{p}deadlocks"] == 0 and not any(
                s.startswith("5") for s in shape[f"{p}statuses"])
            result["goals"][f"{mark}{name}: 0 oversold, 0 double tickets"] = (
                shape[f"{p}oversold_rooms"] == 0 and shape[f"{p}listeners_with_two_tickets"] == 0)
    result["goals"]["a batch over 100 rooms costs at most 1.5x one over 1 room"] = (
        result["batch_cost"]["ratio_many_to_one"] <= 1.5)
    write("many_rooms", result)
    print(table("One batch: 100 sales in 1 room vs in 100 rooms", list(result["batch_cost"].items())))
    for name, shape in shapes.items():
        print(table(f"Many rooms, {name}", [(k, v if not isinstance(v, dict) else json.dumps(v))
                                            for k, v in shape.items()]))
    return result


if __name__ == "__main__":
    import sys

    run(full="--full" in sys.argv, driver=next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--driver=")),
                                                "both"))
