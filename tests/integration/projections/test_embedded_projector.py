"""Commands and rebuilds keep working while the embedded projector applies events (the SQLite default).

The API's default runs the projector in a thread of the API process, on the
same SQLite file as the event store (ARCHITECTURE.md: "can run in-process
(embedded default)"). A purchase must never fail because the read side is busy.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from tests.api.builders import a_hosted_room, a_listener, buy
from tests.integration.projections.support import MONEY_EVENTS, a_room, domain_events, kind, projection_tables, unique

# Regression: until 84bc9a7 the event store's deferred BEGIN could not upgrade to a write while the
# projector (BEGIN IMMEDIATE on its own connection) held or had just released the write lock, and
# such commands failed with "database is locked" (HTTP 500); store/recorders.py now begins
# guarded writes IMMEDIATE.


def test_concurrent_purchases_over_http_all_succeed_while_the_embedded_projector_runs(client) -> None:  # noqa: ANN001
    _, room = a_hosted_room(client, capacity=500)

    with ThreadPoolExecutor(4) as pool:
        statuses = Counter(pool.map(lambda _: buy(client, room["id"], a_listener()).status_code, range(120)))

    assert statuses == {201: 120}


def test_purchases_one_after_another_succeed_while_the_embedded_projector_runs(services) -> None:  # noqa: ANN001
    box, projector = services.app, services.projector
    room = a_room(box, unique("host"), capacity=500)
    projector.start()
    try:
        failures = Counter()
        for _ in range(100):
            try:
                box.buy_ticket(room.id, unique("listener"))
            except Exception as exc:  # noqa: BLE001 - counting what escapes a command is the point
                failures[f"{type(exc).__name__}: {exc}"] += 1
    finally:
        projector.stop()

    assert failures == Counter()


def test_a_rebuild_while_the_embedded_projector_runs_and_sales_continue_loses_and_repeats_nothing(services) -> None:  # noqa: ANN001
    # Arrange: a backlog, the embedded projector running, and sales that keep coming.
    box, projector = services.app, services.projector
    room = a_room(box, unique("host"), capacity=100_000)
    for _ in range(1_500):
        box.buy_ticket(room.id, unique("listener"))
    projector.start()
    selling, failures = threading.Event(), []

    def keep_selling() -> None:
        for _ in range(2_000):  # at most; stops when the rebuilds are done
            if selling.is_set():
                return
            try:
                box.buy_ticket(room.id, unique("listener"))
            except Exception as exc:  # noqa: BLE001 - any failure is the finding
                failures.append(exc)

    seller = threading.Thread(target=keep_selling, name="seller")
    seller.start()
    try:
        time.sleep(0.1)

        # Act: rebuild both projections from zero, swapping them in under the live projector.
        projector.rebuild("ledger")
        projector.rebuild("catalog")
        time.sleep(0.1)
    finally:
        selling.set()
        seller.join(timeout=10)
    assert projector.wait(box.uow.position(), timeout=20)
    projector.stop()

    # Assert: one entry per money event, and the same tables as a quiet rebuild.
    assert failures == []
    money = [e for _, e in domain_events(box) if kind(e) in MONEY_EVENTS]
    assert services.db.query_one("SELECT count(*) AS n FROM ledger_entries")["n"] == len(money)
    live = projection_tables(projector, ["ledger", "catalog"])
    projector.rebuild("ledger")
    projector.rebuild("catalog")
    assert projection_tables(projector, ["ledger", "catalog"]) == live


def test_a_projection_a_rebuild_left_ahead_of_the_others_never_moves_back(services) -> None:  # noqa: ANN001
    """Regression: a batch starts at the slowest projection's position. A projection a rebuild
    had swapped in further on was moved back to the batch's end, and the next batch applied
    its entries a second time (a UNIQUE violation on every retry: the projector stalled)."""
    box, projector = services.app, services.projector
    room = a_room(box, unique("host"), capacity=500)
    for _ in range(40):
        box.buy_ticket(room.id, unique("listener"))
    head = box.uow.position()
    projector.rebuild("ledger")  # the ledger at the head, the other projections still at 0
    projector.batch_size = 10

    projector.run_once()

    assert projector.positions()["ledger"] == head
    assert projector.positions()["catalog"] == 10
    projector.catch_up()
    assert set(projector.positions().values()) == {head}
    money = [e for _, e in domain_events(box) if kind(e) in MONEY_EVENTS]
    assert services.db.query_one("SELECT count(*) AS n FROM ledger_entries")["n"] == len(money)


class _Batches:
    """A projector's run_once answered by the test: each call counted, every answer `covered`."""

    def __init__(self, projector, covered: int) -> None:  # noqa: ANN001
        self.calls, self.covered = 0, covered
        projector.run_once = self

    def __call__(self) -> int:
        self.calls += 1
        return self.covered

    def reach(self, calls: int) -> bool:
        deadline = time.monotonic() + 5
        while self.calls < calls and time.monotonic() < deadline:
            time.sleep(0.001)
        return self.calls >= calls


def test_a_hot_projector_pauses_for_its_poll_between_batches_and_a_waiting_reader_cuts_the_pause_short(
        services) -> None:  # noqa: ANN001
    projector = services.projector
    batches = _Batches(projector, covered=5)  # a partial batch: the log grows, no backlog
    runner = threading.Thread(target=projector.run_forever, args=(3600,), daemon=True)  # a poll of an hour
    runner.start()
    try:
        assert batches.reach(1)
        projector.nudge()  # a commit: the hot projector takes it at its next batch, not now
        time.sleep(0.2)
        assert batches.calls == 1
        projector.poke()  # a reader waits for a position: catch up now
        assert batches.reach(2)
    finally:
        projector.stop()


def test_a_projector_with_a_backlog_goes_on_at_once(services) -> None:  # noqa: ANN001
    projector = services.projector
    batches = _Batches(projector, covered=projector.batch_size)  # full batches: the log has more
    runner = threading.Thread(target=projector.run_forever, args=(3600,), daemon=True)
    runner.start()
    try:
        assert batches.reach(50)
    finally:
        projector.stop()
