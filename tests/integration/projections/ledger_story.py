"""The story one property example tells, for the read side's property tests: Hypothesis draws 1-3 creators,
1-3 rooms priced in USD or EUR, and a sequence of operations (buy a ticket, the host refunds in full, an
admin refunds part, the host cancels a room, a dispute opens, closes won or closes lost; also a refunded
listener buying again, co-hosts and speakers coming and going, rooms starting and ending).

Every example gets a fresh SQLite store (fresh_services), copied from one migrated template (the module
fixture migrated_template, imported by the modules that use it).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st

from api.bootstrap import Services, build_services
from domain.clock import FrozenClock
from domain.rooms.model import RoomState
from domain.sales.model import TicketStatus
from migrations.runner import upgrade
from tests.conftest import make_settings
from tests.integration.projections.support import a_creator, a_paid_ticket, a_room


# Weighted by repetition: sales are common, ending or cancelling a room (which ends its sales) is rare.
OPERATIONS = ("buy",) * 6 + ("host_refund", "partial_refund", "partial_refund", "open_dispute", "open_dispute",
                             "dispute_won", "dispute_lost", "rebuy", "add_to_cast", "remove_from_cast",
                             "start_room", "start_room", "end_room", "cancel_room")

PROPERTY_SETTINGS = settings(max_examples=25, deadline=None, database=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "boxoffice.db"
    upgrade(f"sqlite:///{path}")
    return path


@contextmanager
def fresh_services(template: Path) -> Iterator[Services]:
    directory = Path(tempfile.mkdtemp(prefix="ledger-props-"))
    shutil.copy(template, directory / "boxoffice.db")
    clock = FrozenClock(datetime(2026, 3, 2, 18, 0, tzinfo=UTC))
    services = build_services(make_settings(f"sqlite:///{directory / 'boxoffice.db'}"), clock=clock)
    try:
        yield services
    finally:
        services.close()
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class Story:
    """Creators, their rooms, the tickets sold and the disputes open, driven by Hypothesis draws."""

    services: Services
    data: Any
    rooms: list[Any] = field(default_factory=list)
    tickets: list[Any] = field(default_factory=list)
    open_disputes: dict[str, Any] = field(default_factory=dict)  # dispute id -> ticket id
    disputed: set[Any] = field(default_factory=set)
    listeners: list[str] = field(default_factory=list)
    serial: int = 0

    @property
    def box(self) -> Any:
        return self.services.app

    def next_id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}-{self.serial}"

    def draw(self, strategy: st.SearchStrategy, label: str) -> Any:
        return self.data.draw(strategy, label=label)

    def pick(self, items: list[Any], label: str) -> Any:
        """One of the items (aggregates are unhashable, so draw an index)."""
        return items[self.draw(st.integers(0, len(items) - 1), label)]

    def set_up(self) -> None:
        creators = [a_creator(self.box, f"creator-{i}") for i in range(self.draw(st.integers(1, 3), "creators"))]
        for _ in range(self.draw(st.integers(1, 3), "rooms")):
            host = self.pick(creators, "host")
            currency = self.draw(st.sampled_from(["USD", "EUR"]), "currency")
            amount = self.draw(st.integers(100, 99_900), "price")
            self.rooms.append(a_room(self.box, host, amount=amount, currency=currency))

    def rooms_in(self, *states: RoomState) -> list[Any]:
        return [r for r in self.rooms if self.box.get_room(r.id).state in states]

    def refundable_tickets(self) -> list[Any]:
        live = [self.box.get_ticket(t) for t in self.tickets]
        return [t for t in live if t.status in (TicketStatus.PAID, TicketStatus.REVOKED) and t.refundable > 0]

    def run(self, operation: str) -> None:
        self.services.clock.advance(minutes=self.draw(st.integers(0, 90), "minutes later"))  # type: ignore
        if getattr(self, operation)():
            event(operation)  # shown by --hypothesis-show-statistics: which operations really ran

    # --- operations: each returns False (and does nothing) when nothing fits -------------------

    def buy(self) -> bool:
        on_sale = self.rooms_in(RoomState.SCHEDULED, RoomState.LIVE)
        if not on_sale:
            return False
        room = self.pick(on_sale, "room")
        self.listeners.append(self.next_id("listener"))
        self.tickets.append(a_paid_ticket(self.box, room.id, self.listeners[-1]).id)
        return True

    def rebuy(self) -> bool:
        """A listener whose ticket was refunded buys again in the same room."""
        on_sale = {r.id for r in self.rooms_in(RoomState.SCHEDULED, RoomState.LIVE)}
        tickets = [self.box.get_ticket(t) for t in self.tickets]
        # A disputed (revoked) ticket still holds its seat until the dispute is lost: only re-buy when
        # every ticket of the listener in that room is refunded.
        holding = {(t.room_id, t.holder_id) for t in tickets if t.status is not TicketStatus.REFUNDED}
        candidates = [t for t in tickets if t.status is TicketStatus.REFUNDED and t.room_id in on_sale
                      and (t.room_id, t.holder_id) not in holding]
        if not candidates:
            return False
        ticket = self.pick(candidates, "refunded ticket")
        self.tickets.append(a_paid_ticket(self.box, ticket.room_id, ticket.holder_id).id)
        return True

    def add_to_cast(self) -> bool:
        rooms = self.rooms_in(RoomState.SCHEDULED, RoomState.LIVE)
        if not rooms or not self.listeners:
            return False
        room = self.pick(rooms, "room")
        user = self.pick(self.listeners, "listener")
        current = self.box.get_room(room.id)
        if user in current.cohosts or user in current.speakers:
            return False
        if self.draw(st.booleans(), "as cohost") and len(current.cohosts) < 2:
            self.box.set_cohost(room.host_id, room.id, user, True)
        elif len(current.speakers) < 10:
            self.box.set_speaker(room.host_id, room.id, user, True)
        return True

    def remove_from_cast(self) -> bool:
        cast = [(r, u, "cohost") for r in self.rooms for u in self.box.get_room(r.id).cohosts]
        cast += [(r, u, "speaker") for r in self.rooms for u in self.box.get_room(r.id).speakers]
        if not cast:
            return False
        room, user, role = self.pick(cast, "cast member")
        (self.box.set_cohost if role == "cohost" else self.box.set_speaker)(room.host_id, room.id, user, False)
        return True

    def start_room(self) -> bool:
        rooms = self.rooms_in(RoomState.SCHEDULED)
        if not rooms:
            return False
        room = self.pick(rooms, "room")
        self.box.start_room(room.host_id, room.id)
        return True

    def end_room(self) -> bool:
        rooms = self.rooms_in(RoomState.LIVE)
        if not rooms:
            return False
        room = self.pick(rooms, "room")
        self.box.end_room(room.host_id, room.id)
        return True

    def host_refund(self) -> bool:
        candidates = self.refundable_tickets()
        if not candidates:
            return False
        ticket = self.pick(candidates, "ticket")
        self.box.refund_ticket(ticket.host_id, ticket.id, amount=None, reason="requested_by_customer", key="full")
        return True

    def partial_refund(self) -> bool:
        candidates = self.refundable_tickets()
        if not candidates:
            return False
        ticket = self.pick(candidates, "ticket")
        amount = self.draw(st.integers(1, ticket.refundable), "refund amount")
        self.box.refund_ticket("admin", ticket.id, amount=amount, reason="goodwill", key=self.next_id("partial"),
                               as_admin=True)
        return True

    def cancel_room(self) -> bool:
        candidates = self.rooms_in(RoomState.SCHEDULED, RoomState.LIVE)
        if not candidates:
            return False
        room = self.pick(candidates, "room")
        self.box.cancel_room(room.host_id, room.id)
        return True

    def open_dispute(self) -> bool:
        # Assumption (Stripe): one dispute per charge, for at most what was not refunded.
        candidates = [t for t in self.refundable_tickets() if t.id not in self.disputed]
        if not candidates:
            return False
        ticket = self.pick(candidates, "ticket")
        amount = self.draw(st.integers(1, ticket.refundable), "disputed amount")
        dispute_id = self.next_id("dp")
        self.box.open_dispute(ticket.id, dispute_id, amount)
        self.open_disputes[dispute_id] = ticket.id
        self.disputed.add(ticket.id)
        return True

    def _close_dispute(self, won: bool) -> bool:
        if not self.open_disputes:
            return False
        dispute_id = self.draw(st.sampled_from(sorted(self.open_disputes)), "dispute")
        self.box.close_dispute(self.open_disputes.pop(dispute_id), dispute_id, won)
        return True

    def dispute_won(self) -> bool:
        return self._close_dispute(True)

    def dispute_lost(self) -> bool:
        return self._close_dispute(False)
