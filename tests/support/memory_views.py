"""In-memory implementations of the catalog's and the ledger's view interfaces, for unit tests of
their handlers with no I/O (projections/catalog_view.py, projections/ledger_view.py).

Fakes, like tests/support/fakes.py: plain dicts and lists, nothing derived (no kept balances, no
rollups; the SQL views' contract test covers those on both engines). May import projections/.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from projections.catalog_view import CatalogView
from projections.ledger_view import LedgerView


class MemoryCatalogView(CatalogView):
    def __init__(self) -> None:
        self.rooms: dict[str, dict[str, Any]] = {}
        self.tickets: dict[str, dict[str, Any]] = {}
        self.tiers: dict[str, dict[str, Any]] = {}
        self.policies: dict[str, dict[str, Any]] = {}
        self.transfers: list[tuple[Any, ...]] = []
        self.cast: dict[tuple[str, str], str] = {}

    def preload(self, *, rooms: Iterable[str], tickets: Iterable[str], tiers: Iterable[str],
                policies: Iterable[str]) -> None:
        pass  # everything is at hand

    def add_room(self, row: dict[str, Any]) -> None:
        self.rooms[row["room_id"]] = dict(row)

    def room(self, room_id: str) -> dict[str, Any] | None:
        return self.rooms.get(room_id)

    def add_ticket(self, row: dict[str, Any]) -> None:
        self.tickets[row["ticket_id"]] = dict(row)

    def ticket(self, ticket_id: str) -> dict[str, Any] | None:
        return self.tickets.get(ticket_id)

    def add_tier(self, row: dict[str, Any]) -> None:
        self.tiers[row["tier_id"]] = dict(row)

    def tier(self, tier_id: str) -> dict[str, Any] | None:
        return self.tiers.get(tier_id)

    def policy(self, room_id: str) -> dict[str, Any]:
        return self.policies.setdefault(room_id, {"room_id": room_id})

    def add_transfer(self, row: tuple[Any, ...]) -> None:
        self.transfers.append(row)

    def set_cast(self, room_id: str, user_id: str, role: str | None) -> None:
        if role is None:
            self.cast.pop((room_id, user_id), None)
        else:
            self.cast[(room_id, user_id)] = role

    def flush(self) -> None:
        pass


class MemoryLedgerView(LedgerView):
    def __init__(self) -> None:
        self.rooms: dict[str, dict[str, Any]] = {}
        self.amounts: dict[str, dict[str, int]] = {}  # room -> currency -> pending
        self.entries: list[tuple[Any, ...]] = []
        self.postings: list[tuple[Any, ...]] = []
        self.facts: list[tuple[Any, ...]] = []
        self.payouts: list[tuple[Any, ...]] = []

    def preload(self, rooms: Iterable[str]) -> None:
        pass

    def add_room(self, room_id: str, creator_id: str) -> None:
        self.rooms[room_id] = {"room_id": room_id, "creator_id": creator_id, "released": False}

    def room(self, room_id: str) -> dict[str, Any] | None:
        return self.rooms.get(room_id)

    def release(self, room_id: str) -> None:
        if room_id in self.rooms:
            self.rooms[room_id]["released"] = True

    def pending(self, room_id: str) -> dict[str, int]:
        return dict(self.amounts.get(room_id, {}))

    def add_pending(self, room_id: str, currency: str, delta: int) -> None:
        mine = self.amounts.setdefault(room_id, {})
        mine[currency] = mine.get(currency, 0) + delta

    def post(self, entry: tuple[Any, ...], postings: Sequence[tuple[Any, ...]]) -> None:
        self.entries.append(entry)
        self.postings += postings

    def fact(self, fact: tuple[Any, ...]) -> None:
        self.facts.append(fact)

    def payout(self, creator_id: str, currency: str, paid: int, in_transit: int, postings: int) -> None:
        self.payouts.append((creator_id, currency, paid, in_transit, postings))

    def flush(self) -> None:
        pass

    def balance(self, account: str, currency: str = "USD") -> int:
        return sum(p[4] for p in self.postings if p[2] == account and p[3] == currency)

    def kinds(self) -> list[str]:
        return [e[1] for e in self.entries]
