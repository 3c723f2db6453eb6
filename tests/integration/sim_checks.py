"""What must hold after every step of the money simulation, read from the books and from Stripe.

Each check answers a list of plain sentences, empty when it holds:
- the trial balance is zero in every currency;
- no creator's paid plus in transit exceeds their lifetime share minus
  reversals, in our ledger, and at Stripe (transfers less what came back);
- each payout has at most one live transfer, and each transfer belongs to one payout;
- each Stripe object is booked once;
- a ledger rebuilt from the log equals the one kept incrementally.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from tests.integration.sim_world import World

# Ledger entry kinds whose `reference` is one Stripe object (or one payout of ours).
BOOKED_ONCE = ("sale", "refund_paid", "dispute_opened", "dispute_won", "dispute_lost", "payout_scheduled",
               "payout_paid", "payout_reversed")
REBUILD_SUFFIX = "__sim"


def trial_balance(world: World) -> list[str]:
    rows = world.services.db.query("SELECT currency, SUM(amount) AS total FROM ledger_postings GROUP BY currency")
    return [f"trial balance {r['currency']} is {r['total']}, not 0" for r in rows if int(r["total"]) != 0]


def _creator_sums(world: World) -> tuple[dict[str, int], dict[str, int]]:
    """Per creator (one currency in the simulation): lifetime share credited by sales, and the net
    moved out of available by payouts (scheduled, less failed, cancelled and reversed)."""
    share: dict[str, int] = defaultdict(int)
    out: dict[str, int] = defaultdict(int)
    rows = world.services.db.query(
        "SELECT e.kind, e.creator_id, p.account, p.amount FROM ledger_entries e JOIN ledger_postings p"
        " ON p.entry_id = e.entry_id WHERE p.account LIKE %s", ("creator:%",))
    for r in rows:
        creator, account, amount = r["creator_id"], r["account"], int(r["amount"])
        if r["kind"] == "sale" and account.endswith(":pending"):
            share[creator] -= amount  # credits are negative
        elif r["kind"].startswith("payout_") and account.endswith(":available"):
            out[creator] += amount  # scheduled debits available; failed/cancelled/reversed credit it back
    return share, out


def never_paid_beyond_earnings(world: World) -> list[str]:
    share, out = _creator_sums(world)
    problems = [f"{c}: paid and in transit {out[c]} > lifetime share {share.get(c, 0)}"
                for c in out if out[c] > share.get(c, 0)]
    accounts = {r["account_id"]: r["user_id"] for r in world.services.db.query(
        "SELECT account_id, user_id FROM payout_accounts")}
    at_stripe: Counter[str] = Counter()
    for t in world.stripe.objects("transfer"):
        at_stripe[accounts.get(t["destination"], t["destination"])] += t["amount"] - t["amount_reversed"]
    problems += [f"{c}: Stripe transferred {amount} net > lifetime share {share.get(c, 0)}"
                 for c, amount in at_stripe.items() if amount > share.get(c, 0)]
    return problems


def one_transfer_per_payout(world: World) -> list[str]:
    problems = []
    live: Counter[str] = Counter()
    for t in world.stripe.objects("transfer"):
        payout_id = (t.get("metadata") or {}).get("payout_id")
        if payout_id and t["amount_reversed"] < t["amount"]:
            live[payout_id] += 1
    problems += [f"payout {p} has {n} live transfers" for p, n in live.items() if n > 1]
    rows = world.services.db.query(
        "SELECT transfer_id, COUNT(*) AS n FROM payouts_view WHERE transfer_id IS NOT NULL GROUP BY transfer_id"
        " HAVING COUNT(*) > 1")
    problems += [f"transfer {r['transfer_id']} belongs to {r['n']} payouts" for r in rows]
    return problems


def booked_once(world: World) -> list[str]:
    marks = ", ".join(["%s"] * len(BOOKED_ONCE))
    rows = world.services.db.query(
        f"SELECT kind, reference, COUNT(*) AS n FROM ledger_entries WHERE reference IS NOT NULL AND kind IN ({marks})"
        " GROUP BY kind, reference HAVING COUNT(*) > 1", BOOKED_ONCE)
    return [f"{r['reference']} booked {r['n']} times as {r['kind']}" for r in rows]


def rebuilt_equals_incremental(world: World) -> list[str]:
    """Replay the whole log into fresh ledger tables beside the live ones and compare them row by row."""
    projector = world.services.projector
    ledger = projector.projections["ledger"]
    tables = ledger.tables(REBUILD_SUFFIX)
    with world.services.db.transaction() as tx:
        for table, create, _ in tables:
            tx.execute(f"DROP TABLE IF EXISTS {table}")
            tx.execute(create)
    try:
        projector.replay(["ledger"], REBUILD_SUFFIX)
        problems = []
        for table, _, _ in tables:
            live = table[: -len(REBUILD_SUFFIX)]
            fresh_rows, live_rows = _rows(world, table), _rows(world, live)
            if fresh_rows != live_rows:
                missing = [r for r in fresh_rows if r not in live_rows][:3]
                extra = [r for r in live_rows if r not in fresh_rows][:3]
                problems.append(f"{live}: rebuilt differs (only rebuilt: {missing}; only incremental: {extra})")
        return problems
    finally:
        with world.services.db.transaction() as tx:
            for table, _, _ in tables:
                tx.execute(f"DROP TABLE IF EXISTS {table}")


def _rows(world: World, table: str) -> list[tuple[Any, ...]]:
    return sorted(tuple(r.values()) for r in world.services.db.query(f"SELECT * FROM {table}"))


EVERY_STEP = (trial_balance, never_paid_beyond_earnings, one_transfer_per_payout, booked_once)


def violations(world: World, *, rebuild: bool) -> list[str]:
    world.caught_up()
    found = [problem for check in EVERY_STEP for problem in check(world)]
    if rebuild:
        found += rebuilt_equals_incremental(world)
    return found
