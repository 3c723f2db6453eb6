"""The payout guard: one balance, one payout, whatever the period or run.

A run that has read the balances and not yet scheduled is held still while a
second run, for another period (another payout id), starts. Without the guard
the second run reads the same balance and pays it again; with it, the second
run waits its turn and then finds nothing left. The same story on two
processes and PostgreSQL is in tests/integration/test_payout_guard_postgres.py.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from payouts.runs import PayoutRunBusyError, PayoutRunner
from tests.integration.payouts.builders import Desk, DeskFactory, iso

HELD = 1.5  # seconds the first run stays between reading and scheduling, unless the second run reaches its read


class PausingRunner(PayoutRunner):
    """The first run to read the balances stops there until `go` is set (or HELD passes)."""

    read: threading.Event
    go: threading.Event

    @classmethod
    def like(cls, runner: PayoutRunner) -> PausingRunner:
        made = cls(runner.app, runner.db, runner.wait_for, runner.policy, workers=runner.workers, chunk=runner.chunk,
                   lock_wait=runner.lock_wait)
        made.read, made.go = threading.Event(), threading.Event()
        made.readers = 0
        made.guard = threading.Lock()
        return made

    def _available(self, extra_rooms: Any = ()) -> dict[tuple[str, str], int]:
        owed = super()._available(extra_rooms)
        with self.guard:
            self.readers += 1
            first = self.readers == 1
        if first:
            self.read.set()
            self.go.wait(HELD)
        return owed


def owed_creators(desk: Desk, n: int) -> list[Any]:
    creators = [desk.a_creator() for _ in range(n)]
    for creator in creators:
        desk.an_ended_room(creator, tickets=3, price=2_000)  # 58.20 each
    desk.clock.advance(days=desk.services.settings.refund_window_days)
    return creators


def test_a_run_for_another_period_never_pays_a_balance_another_run_is_paying(open_desk: DeskFactory) -> None:
    desk = open_desk(payout_schedule="daily")
    creators = owed_creators(desk, 3)
    today = desk.clock.now()
    runner = desk.services.payouts = PausingRunner.like(desk.runner)
    answers: dict[str, Any] = {}

    def run(name: str, as_of: Any) -> None:
        answers[name] = desk.http.post("/v1/payout-runs", json={"as_of": iso(as_of)}, headers=desk.finance.headers)

    # The first run (today) reads the balances and stops there.
    a = threading.Thread(target=run, args=("today", today))
    a.start()
    assert runner.read.wait(10)
    # The second run (yesterday: another period, other payout ids) starts meanwhile.
    b = threading.Thread(target=run, args=("yesterday", today - timedelta(days=1)))
    b.start()
    b.join(HELD / 2)  # unguarded, it pays at once
    runner.go.set()
    a.join(30)
    b.join(30)

    assert [answers[n].status_code for n in ("today", "yesterday")] == [201, 201], [a.text for a in answers.values()]
    paid = sorted((p["creator_id"], p["amount"]) for r in answers.values() for p in r.json()["payouts"])
    assert paid == sorted((c.sub, 5_820) for c in creators)
    assert len(desk.payouts()) == 3
    for creator in creators:
        assert desk.earnings(creator)["available"] == 0
        assert desk.earnings(creator)["paid"] == 5_820
    assert set(desk.trial_balance().values()) <= {0}


def test_a_run_that_cannot_get_its_turn_in_time_is_refused_and_writes_nothing(open_desk: DeskFactory) -> None:
    desk = open_desk(payout_schedule="daily")
    owed_creators(desk, 1)
    first = PausingRunner.like(desk.runner)
    impatient = PayoutRunner(desk.runner.app, desk.runner.db, desk.runner.wait_for, desk.runner.policy, lock_wait=0.1)
    a = threading.Thread(target=first.run)
    a.start()
    assert first.read.wait(10)
    before = desk.events()

    try:
        impatient.run(desk.clock.now() - timedelta(days=1))
        refused = None
    except PayoutRunBusyError as exc:
        refused = exc
    first.go.set()
    a.join(30)

    assert refused is not None and refused.code == "conflict"
    assert desk.events()["PayoutRun.Started"] == before["PayoutRun.Started"]
    assert len(desk.payouts()) == 1


def test_a_dry_run_does_not_wait_for_a_running_run(open_desk: DeskFactory) -> None:
    desk = open_desk(payout_schedule="daily")
    owed_creators(desk, 1)
    first = PausingRunner.like(desk.runner)
    a = threading.Thread(target=first.run)
    a.start()
    assert first.read.wait(10)

    dry = PayoutRunner(desk.runner.app, desk.runner.db, desk.runner.wait_for, desk.runner.policy, lock_wait=0.1)
    report = dry.run(dry_run=True)
    first.go.set()
    a.join(30)

    assert report.dry_run and report.run_id is None
