"""The write guards' contract, driven through the port: one store per kind, the same words for every test.

Every store implements domain.guards.GuardedRecorder. The domain's unit tests
run on the in-memory one (store/memory.py); the contract tests
(tests/integration/test_guard_contract_*.py) are what makes that honest: the
memory store must answer every claim, release, count, refusal and lock-order
error exactly as the SQL guards do, and write nothing when a transaction
fails. The `store` fixture (tests/integration/conftest.py) gives one per kind:
memory, SQLite in a tmp file, PostgreSQL in its own throw-away database; the
tests talk to the port only (`transact`, `guard_reads`, `select_events_of`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import StoredEvent

from domain.guards import CodeTerms, GuardReads, SeatClaim, SeatWanted, WriteGuards
from domain.money import Money

NOW = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(minutes=15)
HOST = "host-1"


def usd(amount: int) -> Money:
    return Money(amount, "USD")


class Store:
    """A guarded recorder, driven through its port, with a few words for the tests."""

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder

    def run(self, act: Callable[[WriteGuards], Any], events: Sequence[StoredEvent] = ()) -> Any:
        """`act` in one transaction that appends `events`; returns what `act` returned."""
        box: dict[str, Any] = {}

        def work(guards: WriteGuards) -> list[StoredEvent]:
            box["out"] = act(guards)
            return list(events)

        box["ids"] = self.recorder.transact(work)
        return box["out"]

    @property
    def reads(self) -> GuardReads:
        return self.recorder.guard_reads()

    def open_room(self, capacity: int = 2, price: int = 1000, host: str = HOST, default_tier: bool = True,
                  sales_end: datetime | None = None) -> UUID:
        room = uuid4()
        self.run(lambda g: g.open_inventory(room, host, capacity, usd(price), sales_end, default_tier))
        return room

    def open_tier(self, room: UUID, capacity: int = 2, price: int = 1000, hidden: bool = False,
                  minimum: int | None = None, sales_start: datetime | None = None) -> UUID:
        tier = uuid4()
        self.run(lambda g: g.open_tier(room, tier, capacity, usd(price), sales_start, None, hidden, minimum))
        return tier

    def open_code(self, room: UUID | None = None, host: str = HOST, max_uses: int | None = None,
                  unlocks: frozenset[UUID] = frozenset()) -> UUID:
        code = uuid4()
        terms = CodeTerms(code_id=code, host_id=host, room_id=room, percent_off=10, amount_off=None, currency=None,
                          max_uses=max_uses, valid_from=None, valid_until=None, tier_ids=frozenset(),
                          unlocks_tier_ids=unlocks)
        self.run(lambda g: g.open_code(terms))
        return code

    def claim(self, room: UUID, holder: str, ticket: UUID | None = None, tier: UUID | None = None,
              code: UUID | None = None, amount: int | None = None, now: datetime = NOW,
              replayable: set[UUID] | None = None, ceilings: dict[str, int] | None = None) -> SeatClaim:
        wanted = SeatWanted(holder, ticket or uuid4(), tier, code, amount)

        def act(g: WriteGuards) -> SeatClaim:
            if code is not None:
                g.lock_codes([code])
            return g.claim_rooms({room: [wanted]}, now, now + timedelta(minutes=15), replayable, ceilings)[room][0]

        return self.run(act)

    def sell(self, room: UUID, holder: str, **kw: Any) -> UUID:
        """A claimed seat; its ticket id."""
        ticket = uuid4()
        assert self.claim(room, holder, ticket, **kw).status == "claimed"
        return ticket

    def release(self, ticket: UUID, room: UUID, code: UUID | None = None) -> bool:
        return self.run(lambda g: g.release_seat(ticket, room, code))

    def taken(self, room: UUID) -> int:
        inventory = self.reads.inventory(room)
        assert inventory is not None
        return inventory.taken


def stored(originator_id: UUID, version: int = 1, state: bytes = b'{"n": 1}') -> StoredEvent:
    return StoredEvent(originator_id=originator_id, originator_version=version, topic="tests.guards:Happened",
                       state=state)
