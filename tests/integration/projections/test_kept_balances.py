"""The balances, their hourly history, the movement days and the revenue days the ledger projection
keeps always say what the postings say, for ANY sequence of money operations, and after a rebuild.

The oracle (tests/integration/projections/support.py, `kept_books_mismatches` and `balances_at`) recomputes
every figure from the postings themselves; balances as of a moment are compared with a sum over
the postings dated at or before it, at moments Hypothesis picks (hour and day edges included).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from projections.ledger_balances import HOUR_US, BalanceBook
from projections.queries.balances import balances_as_of, trial_balance
from projections.queries.period import period_report
from store.db import Database
from tests.integration.projections.support import balances_at, kept_books_mismatches, postings_of
from tests.integration.projections.ledger_story import (  # noqa: F401 - the module fixture is shared
    OPERATIONS,
    PROPERTY_SETTINGS,
    Story,
    fresh_services,
    migrated_template,
)


def moments(postings: list[dict[str, Any]], rng: random.Random, n: int = 12) -> list[int]:
    """Moments worth asking about: around postings, on hour and day edges, and anywhere between."""
    times = sorted({p["occurred_us"] for p in postings})
    picked = [times[0] - 1, times[-1] + 1]
    for _ in range(n):
        t = rng.choice(times)
        picked += [t, t - 1, (t // HOUR_US) * HOUR_US, (t // HOUR_US) * HOUR_US - 1, (t // 86_400_000_000) * 86_400_000_000,
                   rng.randint(times[0], times[-1])]
    return picked


def as_tuples(rows: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[int, ...]]:
    return {(r["account"], r["currency"]): (r["balance"], r["debits"], r["credits"], r["postings"]) for r in rows}


def assert_period_closes(db: Any, from_us: int, to_us: int) -> None:
    report = period_report(db, from_us, to_us)
    for row in report["accounts"]:
        moved = sum(v for k, v in row.items() if k not in ("account", "currency", "opening", "closing"))
        assert row["opening"] + moved == row["closing"], row
    for currency, total in report["totals"].items():
        assert total["closing"] == 0 and total["opening"] == 0, (currency, total)
    closing = {k: v[0] for k, v in as_tuples(balances_as_of(db, to_us - 1)).items()}
    assert {(r["account"], r["currency"]): r["closing"] for r in report["accounts"]
            if (r["account"], r["currency"]) in closing} == closing


@PROPERTY_SETTINGS
@given(data=st.data())
def test_kept_balances_history_and_rollups_equal_a_recomputation_from_the_postings(migrated_template: Path, data) -> None:  # noqa: ANN001, F811
    with fresh_services(migrated_template) as services:
        # Arrange: any sequence of sales, refunds, disputes and cancellations, projected at random points.
        story = Story(services, data)
        story.set_up()
        projector, db = services.projector, services.db
        for operation in data.draw(st.lists(st.sampled_from(OPERATIONS), min_size=15, max_size=60), label="operations"):
            story.run(operation)
            if data.draw(st.booleans(), label="project now"):
                projector.catch_up()
        projector.catch_up()
        postings = postings_of(db)
        rng = random.Random(data.draw(st.integers(0, 2**32), label="seed"))

        # Assert: the kept tables agree with the postings; as_of at any moment with a sum over them.
        assert kept_books_mismatches(db) == []
        if not postings:
            return
        assert set(trial_balance(balances_as_of(db, postings[0]["occurred_us"])).values()) <= {0}
        for moment in moments(postings, rng):
            assert as_tuples(balances_as_of(db, moment)) == balances_at(postings, moment), moment
        # Periods, cutting through hours and days, close: opening + movements = closing.
        points = sorted(moments(postings, rng, 3))
        for _ in range(5):
            a, b = sorted(rng.sample(points, 2))
            if a < b:
                assert_period_closes(db, a, b)

        # Act: rebuild from zero; Assert: the same agreement.
        projector.rebuild("ledger")
        assert kept_books_mismatches(db) == []


@given(batches=st.lists(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["USD", "EUR"]),
                                           st.integers(-5_000, 5_000), st.integers(0, 30 * HOUR_US)),
                                 min_size=1, max_size=12), min_size=1, max_size=8))
@PROPERTY_SETTINGS
def test_postings_dated_before_an_accounts_last_hour_still_leave_an_exact_history(tmp_path_factory, batches) -> None:  # noqa: ANN001
    # Arrange: the kept tables alone, on a fresh SQLite file.
    path = tmp_path_factory.mktemp("book") / "book.db"
    db = Database(f"sqlite:///{path}")
    from projections.ledger_balances import ddl

    with db.transaction() as tx:
        for _, create, _ in ddl(""):
            tx.execute(create)
    applied: list[dict[str, Any]] = []
    position = 0

    # Act: batches of postings whose times jump back and forth (late postings take the slow path).
    for batch in batches:
        rows = []
        for account, currency, amount, at in batch:
            position += 1
            rows.append((f"e{position}", 0, account, currency, amount, at, position))
            applied.append({"account": account, "currency": currency, "amount": amount, "occurred_us": at,
                            "position": position})
        with db.transaction() as tx:
            BalanceBook("").apply(tx, rows)

    # Assert: now, and at the end of every hour, the kept figures are the postings' sums.
    kept = {(r["account"], r["currency"]): (r["balance"], r["debits"], r["credits"], r["postings"])
            for r in db.query("SELECT * FROM ledger_balances")}
    assert kept == balances_at(applied)
    for r in db.query("SELECT * FROM ledger_balance_hours"):
        key = (r["account"], r["currency"])
        expected = balances_at([p for p in applied if (p["account"], p["currency"]) == key],
                               (r["hour"] + 1) * HOUR_US - 1)[key]
        assert (r["balance"], r["debits"], r["credits"], r["postings"]) == expected, r
    hours = {(p["account"], p["currency"], p["occurred_us"] // HOUR_US) for p in applied}
    assert {(r["account"], r["currency"], r["hour"]) for r in db.query("SELECT * FROM ledger_balance_hours")} == hours
    db.close()
