"""Benchmark 1: a flash sale on one room, over HTTP, against two API worker processes.

Capacity 10,000 and 16,000 purchase attempts (quick: 2,000 and 3,200) from 64
keep-alive connections, each attempt a different listener. Baseline: the
trivial `/healthz` endpoint of the same server, in the same run. Two load
drivers, each on its own fresh database and server: the Python one
(bench/loadgen.py: the goals) and, where `wrk` is installed, wrk (issue 14's
way, bench/wrk_driver.py: the `wrk_` rows).
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import psycopg

from api.auth import issue_token
from bench import wrk_driver
from bench.common import SECRET, children_cpu_s, table, throwaway_database, write
from bench.loadgen import Request, percentile, run_in_process, summarise
from tests.support.server import projector_worker, running_server

EXTRA_ENV: dict[str, str] = {}


def _sell(capacity: int, attempts: int, workers: int, connections: int, driver: str) -> dict[str, Any]:
    """One sale on a fresh database and server: the load's figures and what the database holds after."""
    env = {"BOXOFFICE_DB_POOL_SIZE": "20", "BOXOFFICE_PROJECTOR": "worker", **EXTRA_ENV}
    with throwaway_database() as url, projector_worker(url, env), running_server(url, SECRET, workers=workers,
                                                                                 extra_env=env) as base:
        host, port = base.removeprefix("http://").split(":")
        creator = {"Authorization": f"Bearer {issue_token(SECRET, 'flash-host', ['creator'])}"}
        httpx.post(f"{base}/v1/creators", json={"display_name": "Flash", "follower_count": 10_000}, headers=creator)
        room = httpx.post(f"{base}/v1/rooms", headers=creator, json={
            "title": "Flash sale", "ticket_price": {"amount": 500, "currency": "USD"}, "capacity": capacity}).json()["id"]
        buys = [Request("POST", f"/v1/rooms/{room}/tickets", (("Authorization",
                        f"Bearer {issue_token(SECRET, f'listener-{i}', ['listener'], ttl_seconds=3600)}"),))
                for i in range(attempts)]
        if driver == "wrk":
            out: dict[str, Any] = {"wrk": wrk_driver.run_wrk(host, int(port), buys, connections)}
        else:
            out = {"baseline": summarise(run_in_process(host, int(port), [Request("GET", "/healthz")] * attempts,
                                                        connections))}
            started, cpu = time.perf_counter(), children_cpu_s()
            out["raw"] = run_in_process(host, int(port), buys, connections)
            out["wall"], out["cpu"] = time.perf_counter() - started, children_cpu_s() - cpu
        with psycopg.connect(url) as conn:
            out["live"] = conn.execute("SELECT count(*) FROM seat_holds WHERE room_id = %s AND live",
                                       (room,)).fetchone()[0]
            out["doubles"] = conn.execute(
                "SELECT count(*) FROM (SELECT holder_id FROM seat_holds WHERE room_id = %s AND live"
                " GROUP BY holder_id HAVING count(*) > 1) d", (room,)).fetchone()[0]
            # A sale paid at once is one `Ticket.Sold` (domain/sales/sold.py); `Ticket.Paid` follows a reservation.
            out["paid_events"], out["ticket_events"] = conn.execute(
                "SELECT count(*) FILTER (WHERE topic LIKE %s OR topic LIKE %s), count(*) FROM boxoffice_events"
                " WHERE topic LIKE %s", ("%:Ticket.Paid", "%:Ticket.Sold", "%:Ticket.%")).fetchone()
            out["last_sale_in_db_us"] = wrk_driver.last_sale_in_db_us(conn, room)
    return out


def _wrk_rows(capacity: int, sale: dict[str, Any]) -> dict[str, Any]:
    w = sale["wrk"]
    accepted = w["statuses"].get("201", 0)
    rate, sold_out_at = wrk_driver.sales_per_s(accepted, w["load_started_at_us"], w["last_at_us"].get("201"))
    db_rate, db_sold_out_at = wrk_driver.sales_per_s(accepted, w["load_started_at_us"], sale["last_sale_in_db_us"])
    return {
        "wrk_accepted": accepted, "wrk_statuses": w["statuses"], "wrk_accepted_sales_per_s": rate,
        "wrk_time_to_sell_out_s": sold_out_at, "wrk_accepted_sales_per_s_by_db_clock": db_rate,
        "wrk_time_to_sell_out_by_db_clock_s": db_sold_out_at, "wrk_wall_s": w["elapsed"], "wrk_driver_cpu_s": w["cpu_s"],
        "wrk_startup_ms": round((w["load_started_at_us"] - w["started_at_us"]) / 1000, 1),
        "wrk_p50_ms": w["p50_ms"], "wrk_p99_ms": w["p99_ms"], "wrk_oversold": max(sale["live"] - capacity, 0),
        "wrk_listeners_with_two_tickets": sale["doubles"],
    }


def run(full: bool = False, workers: int = 2, connections: int = 64, driver: str = "both") -> dict[str, Any]:
    """driver: "python" (bench/loadgen.py), "wrk" (bench/wrk_driver.py) or "both" (wrk where installed)."""
    capacity, attempts = (10_000, 16_000) if full else (2_000, 3_200)
    use_wrk = driver in ("wrk", "both") and wrk_driver.available()
    if driver in ("wrk", "both") and not use_wrk:
        print("wrk is not installed (apt-get install wrk): the wrk rows are skipped")
    result: dict[str, Any] = {"mode": "full" if full else "quick", "capacity": capacity, "attempts": attempts,
                              "connections": connections, "workers": workers, "goals": {}}
    if driver in ("python", "both"):
        rows = _python_rows(capacity, _sell(capacity, attempts, workers, connections, "python"))
        result["goals"].update(rows.pop("goals"))
        result.update(rows)
    if use_wrk:
        rows = _wrk_rows(capacity, _sell(capacity, attempts, workers, connections, "wrk"))
        result.update(rows)
        rate, sold_out_at = rows["wrk_accepted_sales_per_s"], rows["wrk_time_to_sell_out_s"]
        result["goals"].update({
            "(wrk) accepted_sales_per_s >= 1500": rate >= 1500, "(wrk) p99 <= 150 ms": rows["wrk_p99_ms"] <= 150,
            f"(wrk) sold out within {capacity * 7 / 10_000:g} s": 0 < sold_out_at <= capacity * 7 / 10_000,
            "(wrk) oversold == 0, no listener with two tickets, no 5xx": (
                rows["wrk_oversold"] == 0 and rows["wrk_listeners_with_two_tickets"] == 0
                and not any(s.startswith("5") for s in rows["wrk_statuses"]))})
    result["goals"] = result.pop("goals")  # last, as in the table before the wrk rows
    write("flash_sale", result)
    print(table("Flash sale", [(k, v if not isinstance(v, dict) else json.dumps(v)) for k, v in result.items()]))
    return result


def _python_rows(capacity: int, sale: dict[str, Any]) -> dict[str, Any]:
    raw, live, doubles = sale["raw"], sale["live"], sale["doubles"]
    accepted = [r for r in raw["results"] if r[0] == 201]
    refused = [r for r in raw["results"] if r[0] == 409]
    sold_out_at = max((r[3] for r in accepted), default=0.0)
    latencies = [r[1] for r in raw["results"]]
    baseline = sale["baseline"]
    return {
        "accepted": len(accepted), "refused_409": len(refused),
        "other_statuses": sorted({r[0] for r in raw["results"]} - {201, 409}),
        "accepted_sales_per_s": round(len(accepted) / sold_out_at, 1) if sold_out_at else 0.0,
        "time_to_sell_out_s": round(sold_out_at, 2), "wall_s": round(sale["wall"], 2), "driver_cpu_s": round(sale["cpu"], 2),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1), "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "oversold": max(live - capacity, 0), "paid_events": sale["paid_events"],
        "ticket_events_per_sale": round(sale["ticket_events"] / len(accepted), 2) if accepted else 0.0,
        "listeners_with_two_tickets": doubles,
        "baseline_healthz": baseline,
        "ratio_sales_to_baseline_rps": round((len(accepted) / sold_out_at) / baseline["rps"], 3) if sold_out_at else 0,
        # The issue's targets (14): 1,500 accepted sales/s, p99 150 ms, 10,000 seats sold out in 7 s
        # (at the quick size, 2,000 seats, in the same proportion: 1.4 s).
        "goals": {"accepted_sales_per_s >= 1500": len(accepted) / sold_out_at >= 1500 if sold_out_at else False,
                  "p99 <= 150 ms": percentile(latencies, 99) <= 0.150,
                  f"sold out within {capacity * 7 / 10_000:g} s": 0 < sold_out_at <= capacity * 7 / 10_000,
                  "oversold == 0": live <= capacity, "no listener with two tickets": doubles == 0},
    }


if __name__ == "__main__":
    import sys

    run(full="--full" in sys.argv, driver=next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--driver=")),
                                                "both"))
