"""What a replay reads: only the events its projections handle, and every one of them (PostgreSQL).

A rebuild's replay lists the log's topics once and then fetches only the stored
events of the kinds its projections handle, up to the position it listed them
at; past that position it fetches everything, so an event of a kind the log
had never held before is still applied (projections/rebuild.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from projections.rebuild import Rebuilder
from tests.integration.projections.support import MONEY_EVENTS, a_room, domain_events, kind, rows, unique

pytestmark = pytest.mark.postgres


class CountingRecorder:
    """The recorder, counting the rows it hands out; `listed` runs when the topics have been listed."""

    def __init__(self, recorder: Any, *, lists_topics: bool = True, listed: Any = None) -> None:
        self._recorder, self._listed = recorder, listed
        self.fetched: list[int] = []
        if lists_topics:
            self.stored_topics = self._stored_topics

    def _stored_topics(self) -> list[str]:
        topics: list[str] = self._recorder.stored_topics()
        if self._listed is not None:
            self._listed()
        return topics

    def select_notification_rows(self, *args: Any) -> list[tuple[Any, ...]]:
        found: list[tuple[Any, ...]] = self._recorder.select_notification_rows(*args)
        self.fetched += [row[0] for row in found]
        return found

    def __getattr__(self, name: str) -> Any:
        if name == "stored_topics":  # a recorder that cannot list its topics: the replay reads everything
            raise AttributeError(name)
        return getattr(self._recorder, name)


def replayed(services: Any, recorder: Any, suffix: str, batch_size: int) -> tuple[int, dict[str, list[Any]]]:
    projector = services.projector
    ledger = projector.projections["ledger"]
    with services.db.transaction() as tx:
        for table, create, _ in ledger.tables(suffix):
            tx.execute(f"DROP TABLE IF EXISTS {table}")
            tx.execute(create)
    rebuilder = Rebuilder(recorder, projector.mapper, services.db, projector.projections)
    position = rebuilder.replay(["ledger"], suffix, batch_size)
    tables = {table.removesuffix(suffix): rows(services.db, table) for table, _, _ in ledger.tables(suffix)}
    with services.db.transaction() as tx:
        for table, _, _ in ledger.tables(suffix):
            tx.execute(f"DROP TABLE {table}")
    return position, tables


def test_a_replay_fetches_only_the_events_its_projections_handle_and_builds_the_same_rows(make_services,  # noqa: ANN001
                                                                                         postgres_url) -> None:
    services = make_services(postgres_url)
    box = services.app
    room = a_room(box, unique("host"), capacity=100)
    tickets = [box.buy_ticket(room.id, unique("listener")).ticket for _ in range(12)]
    box.refund_ticket(room.host_id, tickets[0].id, amount=None, reason="requested_by_customer", key="full")
    handled = services.projector.projections["ledger"].handles
    wanted = [p for p, e in domain_events(box) if kind(e) in handled]
    filtered = CountingRecorder(services.projector.recorder)
    everything = CountingRecorder(services.projector.recorder, lists_topics=False)

    position, tables = replayed(services, filtered, "__filtered", batch_size=3)
    position_all, tables_all = replayed(services, everything, "__all", batch_size=3)

    assert filtered.fetched == wanted  # each once, in order, and nothing else
    assert everything.fetched == [p for p, _ in domain_events(box)]
    assert len(everything.fetched) > len(wanted)
    assert position == position_all == box.uow.position()
    assert tables == tables_all
    assert len(tables["ledger_entries"]) == len([e for _, e in domain_events(box) if kind(e) in MONEY_EVENTS])


def test_an_event_of_a_kind_new_to_the_log_after_the_topics_were_listed_is_applied(make_services,  # noqa: ANN001
                                                                                 postgres_url) -> None:
    services = make_services(postgres_url)
    box = services.app
    room = a_room(box, unique("host"), capacity=100)
    tickets = [box.buy_ticket(room.id, unique("listener")).ticket for _ in range(4)]
    # The log's first refund is appended once the replay has listed the topics (no refund among them).
    recorder = CountingRecorder(services.projector.recorder, listed=lambda: box.refund_ticket(
        room.host_id, tickets[1].id, amount=None, reason="requested_by_customer", key="late"))

    position, tables = replayed(services, recorder, "__late", batch_size=2)

    assert position == box.uow.position()
    assert [r for r in tables["ledger_entries"] if "refund" in r] != []  # its kind
    assert len(tables["ledger_entries"]) == len([e for _, e in domain_events(box) if kind(e) in MONEY_EVENTS])
