"""A seeded simulation of money, in the spirit of TigerBeetle's VOPR.

A seed makes a plan: a list of steps (purchases, payments that succeed or
fail, refunds full and partial, disputes won and lost, room ends and
cancellations, Stripe webhooks delivered late, twice and out of order,
payout runs alone and overlapping across periods and two processes, bank
payouts paid and failed, transfer reversals, crashes mid-run and between
steps, projector restarts and rebuilds, time passing). The plan is made
before anything runs and names things by their position (the third room
opened, the fifth ticket bought), so any sub-list of it is a plan too: a
step whose subject does not exist does nothing. That is what lets a failure
shrink to the shortest list of steps that still fails.

After every step the checks of `sim_checks.py` run; the first violation
stops the run. `run_seed` answers what went wrong (or nothing), `shrink`
the shortest plan that still goes wrong.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import psycopg
import stripe
from psycopg import sql

from migrations.runner import upgrade
from tests.conftest import POSTGRES_ADMIN_URL, bearer
from tests.integration import sim_checks
from tests.integration.sim_world import World
from tests.integration.payouts.builders import CrashingGateway, ProcessCrash

Step = tuple[Any, ...]  # ("name", *args)
CREATORS = 3
PRICES = (500, 999, 1_500, 2_000)
WEBHOOK_TYPES = ("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled",
                 "charge.refunded", "refund.created", "refund.updated", "refund.failed", "charge.dispute.created",
                 "charge.dispute.closed", "payout.paid", "payout.failed", "transfer.reversed")
REBUILD_EVERY = 1  # steps between rebuild checks: every step (raise it for long exploratory runs)
FINANCE, ADMIN = bearer("sim-finance", "finance"), bearer("sim-admin", "admin")

# name -> weight in a plan
WEIGHTS = {"open": 4, "buy": 20, "pay": 3, "deliver": 24, "refund": 3, "partial_refund": 2, "dispute": 2,
           "close_dispute": 2, "end": 6, "cancel": 1, "advance": 10, "run": 5, "overlap": 7, "crash_run": 1,
           "bank_payout": 4, "bank_fail": 1, "reverse": 2, "crash": 2, "rebuild": 1}


def plan(seed: int, steps: int = 60) -> list[Step]:
    rng = random.Random(seed)
    names, weights = list(WEIGHTS), list(WEIGHTS.values())
    out: list[Step] = [("open", c, rng.choice(PRICES)) for c in range(CREATORS)]
    for _ in range(steps):
        name = rng.choices(names, weights)[0]
        pick = rng.randrange(1_000)
        if name == "open":
            out.append((name, rng.randrange(CREATORS), rng.choice(PRICES)))
        elif name == "buy":  # the card then succeeds, is declined, or the buyer walks away
            out.append((name, pick, rng.randrange(40), rng.choices(("paid", "declined", "abandoned"), (8, 1, 1))[0]))
        elif name in ("pay", "close_dispute", "reverse", "deliver"):
            out.append((name, pick, rng.random() < 0.8 if name == "pay" else rng.random() < 0.3))
        elif name == "advance":
            out.append((name, rng.choice((6, 12, 24, 48))))
        elif name == "run":
            out.append((name, rng.choice((0, 0, 1))))
        elif name == "overlap":  # two periods: today here, a day or two ago in the other process
            out.append((name, 0, rng.randrange(1, 3)))
        elif name == "crash_run":
            out.append((name, rng.randrange(3)))
        else:
            out.append((name, pick))
    return out


@dataclass
class Outcome:
    seed: int
    steps: list[Step]
    failed_at: int | None = None
    problems: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    timing: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failed_at is None

    def report(self) -> str:
        if self.ok:
            return f"seed {self.seed}: {len(self.steps)} steps, every check held ({self.stats})"
        lines = [f"seed {self.seed} failed at step {self.failed_at}: {self.steps[self.failed_at]}"]
        lines += [f"  {p}" for p in self.problems[:10]]
        lines += ["  steps:"] + [f"    {i}: {s}" for i, s in enumerate(self.steps[: self.failed_at + 1])]
        return "\n".join(lines)


@contextmanager
def fresh_database(admin_url: str = POSTGRES_ADMIN_URL) -> Iterator[str]:
    name = f"boxoffice_sim_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = f"{admin_url.rsplit('/', 1)[0]}/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


class Simulation:
    """Runs one plan against a World and checks after every step."""

    def __init__(self, world: World) -> None:
        self.w = world
        self.creators = [f"sim-creator-{i}" for i in range(CREATORS)]
        self.accounts: dict[str, str] = {}
        self.rooms: list[tuple[str, str] | None] = []  # (room_id, host)
        self.tickets: list[tuple[str, str, str, str] | None] = []  # (ticket_id, payment_intent_id, host, room_id)
        self.inbox: list[dict[str, Any]] = []
        self.seen_events = 0
        self.errors: list[str] = []
        self.runs: list[int] = []  # rooms each run released (or its HTTP status if it failed)
        self.closed: set[str] = set()  # rooms ended or cancelled: nobody buys there
        self.timing: dict[str, float] = {}

    # --- plumbing ----------------------------------------------------------------------

    def http(self, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
        r = self.w.http.request(method, path, headers=headers, **kw)
        if r.status_code >= 500 and not (r.status_code == 503 and path.endswith("/stripe")):
            self.errors.append(f"{method} {path} answered {r.status_code}: {r.text[:300]}")
        return r

    def collect(self) -> None:
        """New Stripe events go to the inbox, to be delivered later, maybe twice, in any order."""
        events = self.w.stripe.events
        for event in events[self.seen_events:]:
            if event["type"] in WEBHOOK_TYPES:
                self.inbox.append(event)
        self.seen_events = len(events)

    def setup(self) -> None:
        for sub in self.creators:
            headers = bearer(sub, "creator")
            self.http("POST", "/v1/creators", headers, json={"display_name": sub, "follower_count": 5_000})
            account = self.http("POST", f"/v1/creators/{sub}/payout-account", headers).json()["account_id"]
            self.w.stripe.set_account_status(account, charges_enabled=True, payouts_enabled=True, currently_due=[])
            self.accounts[sub] = account
            (updated,) = [e for e in self.w.stripe.events_of("account.updated") if e["data"]["object"]["id"] == account][-1:]
            self.w.webhooks.send(updated)
        self.seen_events = len(self.w.stripe.events)

    def stats(self) -> dict[str, int]:
        events = self.w.services.db.query("SELECT status, COUNT(*) AS n FROM payouts_view GROUP BY status")
        kinds = self.w.services.db.query("SELECT kind, COUNT(*) AS n FROM ledger_entries GROUP BY kind")
        return {"rooms": sum(1 for r in self.rooms if r), "tickets": sum(1 for t in self.tickets if t),
                **{r["kind"]: int(r["n"]) for r in kinds}, "inbox": len(self.inbox), "runs": str(self.runs),
                "transfers": len(self.w.stripe.objects("transfer")),
                **{f"payouts_{r['status']}": int(r["n"]) for r in events}}

    @staticmethod
    def _nth(items: list[Any], pick: int) -> Any:
        live = [i for i in items if i is not None]
        return live[pick % len(live)] if live else None

    # --- steps -----------------------------------------------------------------------------

    def step(self, s: Step) -> None:
        started = time.monotonic()
        getattr(self, f"do_{s[0]}")(*s[1:])
        self.collect()
        self.timing[s[0]] = self.timing.get(s[0], 0.0) + time.monotonic() - started

    def do_open(self, creator: int, price: int) -> None:
        host = self.creators[creator]
        r = self.http("POST", "/v1/rooms", bearer(host, "creator"), json={
            "title": "Sim room", "ticket_price": {"amount": price, "currency": "USD"}, "capacity": 20})
        self.rooms.append((r.json()["id"], host) if r.status_code == 201 else None)

    def do_buy(self, pick: int, listener: int, outcome: str = "abandoned") -> None:
        room = self._nth([r for r in self.rooms if r and r[0] not in self.closed], pick)
        if room is None:
            self.tickets.append(None)
            return
        r = self.http("POST", f"/v1/rooms/{room[0]}/tickets", bearer(f"sim-listener-{listener}", "listener"))
        body = r.json()
        ok = r.status_code == 201 and body.get("payment")
        self.tickets.append((body["id"], body["payment"]["payment_id"], room[1], room[0]) if ok else None)
        if ok and outcome != "abandoned":
            self.do_pay(len(self.tickets) - 1, outcome == "paid")

    def do_pay(self, pick: int, succeeds: bool) -> None:
        ticket = self._nth(self.tickets, pick)
        if ticket is None:
            return
        with suppress(ValueError, KeyError):  # already decided, or canceled: Stripe refuses as well
            (self.w.stripe.succeed_payment if succeeds else self.w.stripe.fail_payment)(ticket[1])

    def do_deliver(self, pick: int, again: bool) -> None:
        if not self.inbox:
            return
        event = self.inbox[pick % len(self.inbox)] if again else self.inbox.pop(pick % len(self.inbox))
        r = self.w.webhooks.send(event)
        if r.status_code != 200 and r.status_code != 503:
            self.errors.append(f"webhook {event['type']} {event['id']} answered {r.status_code}: {r.text[:300]}")

    def _refund(self, pick: int, amount: int | None) -> None:
        ticket = self._nth(self.tickets, pick)
        if ticket is None:
            return
        headers = bearer(ticket[2], "creator") if amount is None else ADMIN
        self.http("POST", f"/v1/tickets/{ticket[0]}/refund", headers, json={"amount": amount} if amount else {})

    def do_refund(self, pick: int) -> None:
        self._refund(pick, None)

    def do_partial_refund(self, pick: int) -> None:
        self._refund(pick, 100)

    def _charge(self, pick: int) -> str | None:
        ticket = self._nth(self.tickets, pick)
        if ticket is None:
            return None
        return self.w.stripe.get(ticket[1], "payment_intent").get("latest_charge")

    def do_dispute(self, pick: int) -> None:
        charge = self._charge(pick)
        if charge:
            with suppress(ValueError):
                self.w.stripe.dispute(charge)

    def do_close_dispute(self, pick: int, won: bool) -> None:
        open_ = [d for d in self.w.stripe.objects("dispute") if d["status"] in ("needs_response", "under_review",
                                                                                   "warning_needs_response")]
        if open_:
            with suppress(ValueError):
                self.w.stripe.close_dispute(open_[pick % len(open_)]["id"], won)

    def do_end(self, pick: int) -> None:
        """End a room still on sale, one that sold tickets if there is one (an empty room earns nothing)."""
        open_ = [r for r in self.rooms if r and r[0] not in self.closed]
        sold = {t[3] for t in self.tickets if t}
        room = self._nth([r for r in open_ if r[0] in sold] or open_, pick)
        if room is not None:
            headers = bearer(room[1], "creator")
            self.http("POST", f"/v1/rooms/{room[0]}/start", headers)
            self.http("POST", f"/v1/rooms/{room[0]}/end", headers)
            self.closed.add(room[0])

    def do_cancel(self, pick: int) -> None:
        room = self._nth([r for r in self.rooms if r and r[0] not in self.closed], pick)
        if room is not None:
            self.http("POST", f"/v1/rooms/{room[0]}/cancel", bearer(room[1], "creator"))
            self.closed.add(room[0])

    def do_advance(self, hours: int) -> None:
        self.w.advance(hours)

    def _as_of(self, days_back: int) -> str:
        return (self.w.clock.now() - timedelta(days=days_back)).isoformat()

    def do_run(self, days_back: int) -> None:
        r = self.http("POST", "/v1/payout-runs", FINANCE, json={"as_of": self._as_of(days_back)})
        self.runs.append(r.status_code if r.status_code != 201 else len(r.json()["released_rooms"]))

    def do_overlap(self, days_here: int, days_there: int) -> None:
        """Two runs for two periods at once: one in this process (HTTP), one in the other process."""
        self.w.overlapping(True)
        try:
            self.w.worker_run(self.w.clock.now() - timedelta(days=days_there))
            r = self.http("POST", "/v1/payout-runs", FINANCE, json={"as_of": self._as_of(days_here)})
            self.runs.append(r.status_code if r.status_code != 201 else len(r.json()["released_rooms"]))
            status, detail = self.w.worker_result()
            if status != "ok" and "PayoutRunBusyError" not in str(detail):
                self.errors.append(f"the other process's run failed: {detail}")
        finally:
            self.w.overlapping(False)

    def do_crash_run(self, spare: int) -> None:
        """The process dies in a run, after Stripe made a transfer and before we heard of it."""
        app = self.w.services.app
        crashing = CrashingGateway(app.gateway)
        crashing.arm("after", spare=spare)
        app.gateway = crashing
        try:
            self.w.services.payouts.run(self.w.clock.now(), requested_by="sim")
        except ProcessCrash:
            pass
        finally:
            app.gateway = crashing.inner
        self.w.crash()

    def do_bank_payout(self, pick: int) -> None:
        self.w.stripe.pay_out(self.accounts[self.creators[pick % CREATORS]])

    def do_bank_fail(self, pick: int) -> None:
        paid = [p for p in self.w.stripe.objects("payout") if p["status"] == "paid"]
        if paid:
            self.w.stripe.fail_payout(paid[pick % len(paid)]["id"])

    def do_reverse(self, pick: int, partial: bool) -> None:
        live = [t for t in self.w.stripe.objects("transfer") if t["amount_reversed"] < t["amount"]]
        if not live:
            return
        transfer = live[pick % len(live)]
        dashboard = stripe.StripeClient("sk_test_dashboard", base_addresses={"api": self.w.stripe.url})
        params = {"amount": min(100, transfer["amount"] - transfer["amount_reversed"])} if partial else {}
        dashboard.v1.transfers.reversals.create(transfer["id"], params=params)  # type: ignore[arg-type]

    def do_crash(self, pick: int) -> None:
        self.w.crash()

    def do_rebuild(self, pick: int) -> None:
        self.w.caught_up()
        self.w.services.projector.rebuild("ledger", "payouts")


def run_plan(seed: int, steps: list[Step], *, guarded: bool = True,
             admin_url: str = POSTGRES_ADMIN_URL, drain: bool = True) -> Outcome:
    """Run a plan on a fresh database; stop at the first step after which a check fails."""
    outcome = Outcome(seed, list(steps))
    with fresh_database(admin_url) as url:
        world = World(url, guarded=guarded)
        try:
            sim = Simulation(world)
            sim.setup()
            for index, s in enumerate(outcome.steps):
                sim.step(s)
                last = index == len(outcome.steps) - 1
                if last and drain:  # everything Stripe said arrives in the end
                    while sim.inbox:
                        sim.do_deliver(0, False)
                        sim.collect()
                checking = time.monotonic()
                problems = sim.errors + sim_checks.violations(world, rebuild=last or index % REBUILD_EVERY == 0)
                sim.timing["checks"] = sim.timing.get("checks", 0.0) + time.monotonic() - checking
                if problems:
                    outcome.failed_at, outcome.problems = index, problems
                    break
            outcome.stats = sim.stats()
            outcome.timing = {k: round(v, 2) for k, v in sorted(sim.timing.items(), key=lambda kv: -kv[1])[:6]}
        finally:
            world.close()
    return outcome


def shrink(outcome: Outcome, *, guarded: bool = True, budget: float = 300.0, admin_url: str = POSTGRES_ADMIN_URL,
           still_fails: Callable[[Outcome], bool] | None = None) -> Outcome:
    """The shortest plan found within `budget` seconds that still fails: the failing prefix, then
    chunks of steps removed, halves first, while the rest still fails."""
    assert outcome.failed_at is not None
    fails = still_fails or (lambda o: not o.ok)
    best = Outcome(outcome.seed, outcome.steps[: outcome.failed_at + 1], outcome.failed_at, outcome.problems)
    deadline = time.monotonic() + budget
    size = max(len(best.steps) // 2, 1)
    while size >= 1 and time.monotonic() < deadline:
        start, removed = 0, False
        while start < len(best.steps) and time.monotonic() < deadline:
            trial = best.steps[:start] + best.steps[start + size:]
            result = run_plan(best.seed, trial, guarded=guarded, admin_url=admin_url) if trial else None
            if result is not None and fails(result):
                best = Outcome(result.seed, result.steps[: result.failed_at + 1], result.failed_at, result.problems)  # type: ignore[operator]
                removed = True
            else:
                start += size
        if not removed:
            size //= 2
    return best
