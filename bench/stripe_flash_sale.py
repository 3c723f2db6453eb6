"""Benchmark: a flash sale in Stripe mode, paced for Stripe's rate limit.

16,000 buyers on 10,000 seats (quick: 800 on 500) over HTTP against two API
worker processes on PostgreSQL, with the Stripe stand-in limited to 100
operations/s (Stripe's live default) and the app pacing its Stripe calls at
`BOXOFFICE_STRIPE_OPS_PER_SECOND` (90: a margin under the limit), shared by
both processes through the database. Customers confirm each PaymentIntent
0.2 s after it exists; the stand-in then sends `payment_intent.succeeded`,
signed, to the app, which re-reads the intent (one more paced call).

Reported: reservations/s (accepted purchases over the time to the last
one), the app's CPU per purchase while the purchases run (utime + stime of
every process serving the sale's database: API workers and projector, from
/proc; a less noisy measure than a rate on a shared machine), the time
until every seat is paid or released, the 429s Stripe's
limiter answered and how many were never retried to success, seats lost or
still held, and 5xx answers (purchases and webhooks). Baseline: Stripe's own
ceiling, two calls per seat at the stand-in's limit, measured against the
same clock.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from typing import Any

import httpx
import psycopg

from api.auth import issue_token
from bench.common import SECRET, table, throwaway_database, write
from bench.loadgen import Request, run_in_process
from tests.stripe_standin import StripeStandIn, WebhookSender
from tests.stripe_standin.forwarding import WebhookForwarder
from tests.support.server import projector_worker, running_server

KEY, WHSEC = "sk_test_bench_flash", "whsec_bench_flash"
STRIPE_LIMIT, PACED_AT = 100, 90


def run(full: bool = False, workers: int = 2, connections: int = 64) -> dict[str, Any]:
    capacity, buyers = (10_000, 16_000) if full else (500, 800)
    baseline, baseline_cpu_ms = _sandbox_reservations_per_s(capacity, buyers, workers, connections)
    with StripeStandIn(rate_limit=STRIPE_LIMIT) as standin, throwaway_database() as url:
        env = {"BOXOFFICE_DB_POOL_SIZE": "20", "BOXOFFICE_PROJECTOR": "worker", "BOXOFFICE_STRIPE_SECRET_KEY": KEY,
               "BOXOFFICE_STRIPE_WEBHOOK_SECRET": WHSEC, "BOXOFFICE_STRIPE_API_BASE": standin.url,
               "BOXOFFICE_STRIPE_OPS_PER_SECOND": str(PACED_AT), "BOXOFFICE_STRIPE_PACER_WORKERS": "8",
               "BOXOFFICE_STRIPE_MAX_NETWORK_RETRIES": "5"}
        with projector_worker(url, env), running_server(url, SECRET, workers=workers, extra_env=env) as base:
            host, port = base.removeprefix("http://").split(":")
            room = _a_room(base, capacity)
            buys = _purchases(room, buyers)
            sender = WebhookSender(f"{base}/v1/webhooks/stripe", WHSEC, timeout=30)
            with WebhookForwarder(standin, sender, {"payment_intent.succeeded"}, confirm_after=0.2) as forwarder:
                started, cpu_before = time.perf_counter(), app_cpu_seconds(url)
                raw = run_in_process(host, int(port), buys, connections)
                cpu_ms = 1000 * (app_cpu_seconds(url) - cpu_before) / len(buys)
                accepted = [r for r in raw["results"] if r[0] == 201]
                reserved_in = max((r[3] for r in accepted), default=0.0)
                settled_in, counts = _wait_until_settled(url, room, len(accepted), started, timeout=3600)
            statuses = Counter(r[0] for r in raw["results"])
            with psycopg.connect(url) as conn:
                held = conn.execute("SELECT count(*) FROM seat_holds WHERE room_id = %s AND live AND NOT paid",
                                    (room,)).fetchone()[0]
                live = conn.execute("SELECT count(*) FROM seat_holds WHERE room_id = %s AND live",
                                    (room,)).fetchone()[0]
                taken = conn.execute("SELECT taken FROM seat_inventory WHERE room_id = %s", (room,)).fetchone()[0]
    unretried = _unretried_429s(standin)
    creates = [r for r in standin.requests if (r.method, r.path) == ("POST", "/v1/payment_intents") and r.status == 200]
    five_xx = sum(n for s, n in statuses.items() if s >= 500) + sum(n for s, n in forwarder.statuses.items() if s >= 500)
    sold = min(capacity, len(accepted))
    result = {
        "mode": "full" if full else "quick", "capacity": capacity, "buyers": buyers, "connections": connections,
        "workers": workers, "stripe_limit_ops_per_s": STRIPE_LIMIT, "paced_at_ops_per_s": PACED_AT,
        "accepted_201": len(accepted), "statuses": dict(statuses),
        "reservations_per_s": round(len(accepted) / reserved_in, 1) if reserved_in else 0.0,
        "baseline_sandbox_sales_per_s": baseline,
        "app_cpu_ms_per_purchase": round(cpu_ms, 2), "baseline_sandbox_app_cpu_ms_per_purchase": baseline_cpu_ms,
        "ratio_cpu_to_sandbox": round(cpu_ms / baseline_cpu_ms, 2) if baseline_cpu_ms else None,
        "ratio_reservations_to_sandbox_sales": round(len(accepted) / reserved_in / baseline, 2)
        if reserved_in and baseline else None,
        "time_to_reserve_all_s": round(reserved_in, 2),
        "time_until_every_seat_paid_or_released_s": round(settled_in, 2) if settled_in else None,
        "paid": counts.get("paid", 0), "released": counts.get("released", 0), "still_reserved": counts.get("reserved", 0),
        "payment_intents_created": len(creates), "stripe_calls": len(standin.requests),
        "stripe_calls_per_s": round(len(standin.requests) / settled_in, 1) if settled_in else None,
        "rate_limited_429": standin.rate_limited, "unretried_429": unretried,
        "webhook_answers": dict(forwarder.statuses), "five_xx": five_xx,
        # a seat counted as taken that no live ticket holds (or the reverse) is lost
        "seats_lost": abs(taken - live), "seats_taken": taken, "held_unpaid_at_end": held,
        "baseline_stripe_ceiling_s": round(2 * sold / STRIPE_LIMIT, 1),
        "ratio_to_stripe_ceiling": round(settled_in / (2 * sold / STRIPE_LIMIT), 2) if settled_in and sold else None,
    }
    result["goals"] = {
        "every seat paid or released": bool(settled_in), "no unretried 429": unretried == 0,
        "0 seats lost": result["seats_lost"] == 0, "0 held past the end": counts.get("reserved", 0) == 0 and held == 0,
        "0 5xx": five_xx == 0,
    }
    write("stripe_flash_sale", result)
    print(table("Flash sale in Stripe mode", [(k, v if not isinstance(v, dict) else json.dumps(v))
                                              for k, v in result.items()]))
    return result


def _sandbox_reservations_per_s(capacity: int, buyers: int, workers: int, connections: int) -> tuple[float, float]:
    """The same sale on the sandbox gateway (paid inside the reservation, no Stripe): the baseline
    (sales/s, and the app's CPU ms per purchase)."""
    env = {"BOXOFFICE_DB_POOL_SIZE": "20", "BOXOFFICE_PROJECTOR": "worker"}
    with throwaway_database() as url, projector_worker(url, env), running_server(url, SECRET, workers=workers,
                                                                                 extra_env=env) as base:
        room = _a_room(base, capacity)
        host, port = base.removeprefix("http://").split(":")
        buys, cpu_before = _purchases(room, buyers), app_cpu_seconds(url)
        raw = run_in_process(host, int(port), buys, connections)
        cpu_ms = 1000 * (app_cpu_seconds(url) - cpu_before) / len(buys)
    accepted = [r for r in raw["results"] if r[0] == 201]
    last = max((r[3] for r in accepted), default=0.0)
    return (round(len(accepted) / last, 1) if last else 0.0), round(cpu_ms, 2)


def app_cpu_seconds(database_url: str) -> float:
    """utime + stime of every process serving this database (its URL in their environment), from /proc."""
    needle, total = f"BOXOFFICE_DATABASE_URL={database_url}".encode(), 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as env:
                if needle not in env.read().split(b"\0"):
                    continue
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        except OSError:  # gone, or not ours to read
            continue
    return total / os.sysconf("SC_CLK_TCK")


def _a_room(base: str, capacity: int) -> str:
    creator = {"Authorization": f"Bearer {issue_token(SECRET, 'flash-host', ['creator'], ttl_seconds=7200)}"}
    httpx.post(f"{base}/v1/creators", json={"display_name": "Flash", "follower_count": 10_000}, headers=creator)
    return str(httpx.post(f"{base}/v1/rooms", headers=creator, json={
        "title": "Flash sale", "ticket_price": {"amount": 500, "currency": "USD"}, "capacity": capacity}).json()["id"])


def _purchases(room: str, buyers: int) -> list[Request]:
    return [Request("POST", f"/v1/rooms/{room}/tickets", (("Authorization",
                    f"Bearer {issue_token(SECRET, f'listener-{i}', ['listener'], ttl_seconds=7200)}"),))
            for i in range(buyers)]


def _wait_until_settled(url: str, room: str, accepted: int, started: float, timeout: float
                        ) -> tuple[float | None, dict[str, int]]:
    """Seconds from the first purchase until no accepted ticket is still `reserved` (from the event log)."""
    deadline = time.monotonic() + timeout
    counts: dict[str, int] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            rows = conn.execute("SELECT topic, count(*) FROM boxoffice_events WHERE topic LIKE %s GROUP BY topic",
                                ("%:Ticket.%",)).fetchall()
            by = {topic.rsplit(".", 1)[-1]: n for topic, n in rows}
            counts = {"paid": by.get("Paid", 0), "released": by.get("Released", 0)}
            counts["reserved"] = by.get("Reserved", 0) - counts["paid"] - counts["released"]
            if by.get("Reserved", 0) >= accepted and counts["reserved"] == 0:
                return time.perf_counter() - started, counts
            time.sleep(0.25)
    return None, counts


def _unretried_429s(standin: StripeStandIn) -> int:
    """Idempotent calls whose last answer was a 429: given up on instead of retried to an answer."""
    last: dict[str, int] = {}
    for r in standin.requests:
        if r.idempotency_key is not None:
            last[r.idempotency_key] = r.status
    return sum(1 for status in last.values() if status == 429)


def reservation_cost(rounds: int = 2, capacity: int = 500, buyers: int = 800) -> dict[str, Any]:
    """The reservation's own cost in Stripe mode, the payment pipeline nearly idle (the app paced at
    1 call/s, so no pacer or webhook works during the sale): the app's CPU per purchase, alternated
    with the same sale on the sandbox gateway. `python -m bench.stripe_flash_sale --reserve-only`."""
    out: dict[str, Any] = {}
    for n in range(rounds):
        for mode in ("sandbox", "stripe"):
            env = {"BOXOFFICE_DB_POOL_SIZE": "20", "BOXOFFICE_PROJECTOR": "worker"}
            with StripeStandIn(rate_limit=STRIPE_LIMIT) as standin, throwaway_database() as url:
                if mode == "stripe":
                    env |= {"BOXOFFICE_STRIPE_SECRET_KEY": KEY, "BOXOFFICE_STRIPE_WEBHOOK_SECRET": WHSEC,
                            "BOXOFFICE_STRIPE_API_BASE": standin.url, "BOXOFFICE_STRIPE_OPS_PER_SECOND": "1"}
                with projector_worker(url, env), running_server(url, SECRET, extra_env=env) as base:
                    host, port = base.removeprefix("http://").split(":")
                    buys = _purchases(_a_room(base, capacity), buyers)
                    cpu_before = app_cpu_seconds(url)
                    raw = run_in_process(host, int(port), buys, 64)
                    cpu_ms = 1000 * (app_cpu_seconds(url) - cpu_before) / len(buys)
                accepted = [r for r in raw["results"] if r[0] == 201]
                out[f"{mode}_{n + 1}"] = {"app_cpu_ms_per_purchase": round(cpu_ms, 2), "accepted": len(accepted),
                                          "per_s": round(len(accepted) / max(r[3] for r in accepted), 1),
                                          "stripe_calls": len(standin.requests)}
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    import sys

    if "--reserve-only" in sys.argv:
        reservation_cost()
    else:
        run(full="--full" in sys.argv)
