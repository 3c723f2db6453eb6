"""The read side keeps its rules for ANY sequence of sales, refunds, cancellations and disputes.

Hypothesis draws 1-3 creators, 1-3 rooms priced in USD or EUR, and a sequence
of operations: buy a ticket (sandbox, paid at once), the host refunds in full,
an admin refunds part, the host cancels a room, a dispute opens, closes won or
closes lost; also a refunded listener buying again, co-hosts and speakers
coming and going, rooms starting and ending. Then the projector catches up,
and the books must agree with the events (ARCHITECTURE.md, "Money rules"):
every entry balances, the trial balance is zero, each creator's balance is
their share minus reversals, the platform's cash is what the processor holds,
every sale's split follows the creator's lifetime revenue, the revenue report
adds up, and a rebuild from zero gives the same tables.

Every example gets a fresh SQLite store, copied from one migrated template.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from api.bootstrap import Services, build_services
from migrations.runner import upgrade
from domain.clock import FrozenClock
from domain.money import Money
from domain.policies import CommissionPolicy
from domain.rooms.model import RoomState
from domain.sales.model import TicketStatus
from projections.queries import revenue as revenue_queries
from projections.admission_index import AdmissionIndex, AdmissionTail
from projections.ledger import CASH, COMMISSION, DISPUTES, FEES, REFUNDS_PAYABLE, available, pending
from tests.conftest import make_settings
from tests.integration.projections.support import (
    a_creator,
    a_paid_ticket,
    a_room,
    balance,
    domain_events,
    kind,
    projection_tables,
    trial_balance,
    unbalanced_entries,
)

# Weighted by repetition: sales are common, ending or cancelling a room (which ends its sales) is rare.
OPERATIONS = ("buy",) * 6 + ("host_refund", "partial_refund", "partial_refund", "open_dispute", "open_dispute",
                             "dispute_won", "dispute_lost", "rebuy", "add_to_cast", "remove_from_cast",
                             "start_room", "start_room", "end_room", "cancel_room")

PROPERTY_SETTINGS = settings(max_examples=25, deadline=None, database=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


# --- a fresh store per example ---------------------------------------------------------


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


# --- the story one example tells -------------------------------------------------------


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


# --- what the books must say, derived from the events alone --------------------------------


@dataclass
class Expected:
    """Account balances and journal entries the events call for (debit positive, credit negative)."""

    creator_totals: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    platform: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    entry_ids: set[str] = field(default_factory=set)
    lifetime_violations: list[str] = field(default_factory=list)
    revenue: dict[tuple[str, str], dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: dict.fromkeys(("tickets", "gross", "refunds", "fees",
                                                                    "commission", "creator_share"), 0)))

    @classmethod
    def from_events(cls, events: list[tuple[int, Any]]) -> Expected:
        expected = cls()
        lifetime: dict[tuple[str, str], int] = defaultdict(int)  # creator, currency -> gross net of refunds
        policy = CommissionPolicy()
        for _, e in events:
            k = kind(e)
            if k not in ("Ticket.Paid", "Ticket.RefundRequested", "Ticket.RefundSettled", "Ticket.DisputeOpened",
                         "Ticket.DisputeClosed"):
                continue
            cur, creator = e.currency, (e.creator_id, e.currency)
            if k == "Ticket.Paid":
                if e.lifetime_before != lifetime[creator] or \
                        policy.split(Money(e.gross, cur), e.lifetime_before).creator_share != e.creator_share:
                    expected.lifetime_violations.append(
                        f"sale {e.originator_id}: lifetime_before {e.lifetime_before}, revenue {lifetime[creator]}")
                lifetime[creator] += e.gross
                expected.add_revenue(creator, tickets=1, gross=e.gross, fees=e.fee, commission=e.commission,
                                     creator_share=e.creator_share)
                expected.creator_totals[creator] += e.creator_share
                expected.platform[(CASH, cur)] += e.gross - e.fee
                expected.platform[(FEES, cur)] += e.fee
                expected.platform[(COMMISSION, cur)] -= e.commission
                expected.entry_ids.add(f"sale:{e.originator_id}")
            elif k == "Ticket.RefundRequested":
                lifetime[creator] -= e.amount
                expected.add_revenue(creator, tickets=-1 if e.full else 0, refunds=e.amount,
                                     commission=-e.commission_reversal, creator_share=-e.creator_reversal)
                expected.creator_totals[creator] -= e.creator_reversal
                expected.platform[(COMMISSION, cur)] += e.commission_reversal
                expected.platform[(REFUNDS_PAYABLE, cur)] -= e.amount
                expected.entry_ids.add(f"refund:{e.refund_id}")
            elif k == "Ticket.RefundSettled":
                expected.platform[(REFUNDS_PAYABLE, cur)] += e.amount
                expected.platform[(CASH, cur)] -= e.amount
                expected.entry_ids.add(f"refund-paid:{e.refund_id}")
            elif k == "Ticket.DisputeOpened":
                expected.platform[(CASH, cur)] -= e.amount
                expected.platform[(DISPUTES, cur)] += e.amount
                expected.entry_ids.add(f"dispute:{e.dispute_id}")
            else:  # DisputeClosed: won, the held money comes back; lost, it is gone and the split reverses
                expected.platform[(DISPUTES, cur)] -= e.disputed_amount
                if e.won:
                    expected.platform[(CASH, cur)] += e.disputed_amount
                else:
                    lifetime[creator] -= e.amount
                    expected.add_revenue(creator, tickets=-1, refunds=e.amount, commission=-e.commission_reversal,
                                         creator_share=-e.creator_reversal)
                    expected.creator_totals[creator] -= e.creator_reversal
                    expected.platform[(COMMISSION, cur)] += e.commission_reversal
                expected.entry_ids.add(f"dispute-closed:{e.dispute_id}")
        return expected


    def add_revenue(self, creator: tuple[str, str], **amounts: int) -> None:
        for column, amount in amounts.items():
            self.revenue[creator][column] += amount

    def revenue_report(self) -> dict[tuple[str, str], dict[str, int]]:
        """What `GET /v1/reports/revenue?by=creator` should say: net = gross - refunds."""
        return {key: {**row, "net": row["gross"] - row["refunds"]} for key, row in self.revenue.items()}


def creator_balance(db: Any, creator_id: str, currency: str) -> int:
    """What the ledger owes the creator: credits on their pending and available accounts."""
    return -(balance(db, pending(creator_id), currency) + balance(db, available(creator_id), currency))


# --- the property ---------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(data=st.data())
def test_the_books_agree_with_the_events_for_any_sequence_of_money_operations(migrated_template: Path, data) -> None:  # noqa: ANN001
    with fresh_services(migrated_template) as services:
        # Arrange: creators, rooms, then whatever sequence Hypothesis picks.
        story = Story(services, data)
        story.set_up()
        for operation in data.draw(st.lists(st.sampled_from(OPERATIONS), min_size=15, max_size=60), label="operations"):
            story.run(operation)

        # Act: the projector catches up with the whole log.
        projector = services.projector
        projector.catch_up()

        # Assert: the books say what the events say.
        db = services.db
        events = domain_events(services.app)
        expected = Expected.from_events(events)
        assert unbalanced_entries(db) == []
        assert all(total == 0 for total in trial_balance(db).values()), trial_balance(db)
        assert {r["entry_id"] for r in db.query("SELECT entry_id FROM ledger_entries")} == expected.entry_ids
        for (creator_id, currency), total in expected.creator_totals.items():
            assert creator_balance(db, creator_id, currency) == total, (creator_id, currency)
        for (account, currency), total in expected.platform.items():
            assert balance(db, account, currency) == total, (account, currency)
        assert expected.lifetime_violations == []
        report = revenue_queries.revenue(db, by="creator", from_us=None, to_us=None)
        assert {(r["creator_id"], r["currency"]): {k: v for k, v in r.items() if k not in ("creator_id", "currency")}
                for r in report} == expected.revenue_report()
        assert all(r["net"] == r["commission"] + r["creator_share"] for r in report)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_the_catalog_agrees_with_the_aggregates_and_a_rebuild_gives_identical_tables(migrated_template: Path, data) -> None:  # noqa: ANN001
    with fresh_services(migrated_template) as services:
        # Arrange: any sequence, the projector catching up at random points along the way.
        story = Story(services, data)
        story.set_up()
        projector = services.projector
        for operation in data.draw(st.lists(st.sampled_from(OPERATIONS), min_size=15, max_size=60), label="operations"):
            story.run(operation)
            if data.draw(st.booleans(), label="project now"):
                projector.catch_up()
        projector.catch_up()
        incremental = projection_tables(projector, ("ledger", "catalog"))

        # Act: rebuild both projections from zero.
        projector.rebuild("ledger")
        projector.rebuild("catalog")

        # Assert: the same rows, and the catalog says what the aggregates say.
        assert projection_tables(projector, ("ledger", "catalog")) == incremental
        db = services.db
        for ticket_id in story.tickets:
            ticket = services.app.get_ticket(ticket_id)
            view = db.query_one("SELECT status, refunded_amount FROM tickets_view WHERE ticket_id = %s",
                                (str(ticket_id),))
            assert (view["status"], view["refunded_amount"]) == (ticket.status.value, ticket.refunded_amount), ticket_id
        for room in story.rooms:
            paid = sum(1 for t in story.tickets if services.app.get_ticket(t).room_id == room.id
                       and services.app.get_ticket(t).status is TicketStatus.PAID)
            view = db.query_one("SELECT state, paid_count FROM rooms_view WHERE room_id = %s", (str(room.id),))
            assert view["paid_count"] == paid, room.id
            assert view["state"] == services.app.get_room(room.id).state.value


def expected_admission(box: Any, room: Any, user: str, tickets: list[Any]) -> tuple[bool, str | None]:
    """(admit, role) from the aggregates: the cast, or a listener holding a paid ticket, in an open room."""
    current = box.get_room(room.id)
    if current.state in (RoomState.CANCELLED, RoomState.ENDED):
        return False, None
    if user == current.host_id:
        return True, "host"
    if user in current.cohosts:
        return True, "cohost"
    if user in current.speakers:
        return True, "speaker"
    if any(t.room_id == room.id and t.holder_id == user and t.status is TicketStatus.PAID for t in tickets):
        return True, "listener"
    return False, None


@PROPERTY_SETTINGS
@given(data=st.data())
def test_an_admission_index_loaded_from_the_catalog_answers_like_one_that_followed_the_whole_log(migrated_template: Path, data) -> None:  # noqa: ANN001
    with fresh_services(migrated_template) as services:
        # Arrange: any sequence; the catalog catches up part-way, more events follow.
        story = Story(services, data)
        story.set_up()
        operations = data.draw(st.lists(st.sampled_from(OPERATIONS), min_size=15, max_size=60), label="operations")
        split = data.draw(st.integers(0, len(operations)), label="snapshot after")
        box, projector, db = services.app, services.projector, services.db
        for operation in operations[:split]:
            story.run(operation)
        projector.catch_up()
        for operation in operations[split:]:
            story.run(operation)

        # Act: one index follows the log from the start; one loads the catalog snapshot, then tails.
        followed, loaded = AdmissionIndex(), AdmissionIndex()
        AdmissionTail(followed, box.recorder, box.mapper, db).catch_up()
        tail = AdmissionTail(loaded, box.recorder, box.mapper, db)
        tail.load_snapshot()
        tail.catch_up()

        # Assert: the same answer for everyone, and admitted exactly when the aggregates say so.
        tickets = [box.get_ticket(t) for t in story.tickets]
        people = sorted({r.host_id for r in story.rooms} | set(story.listeners) | {"stranger"})
        for room in story.rooms:
            for user in people:
                answer = followed.check(str(room.id), user)
                assert loaded.check(str(room.id), user) == answer, (room.id, user)
                expected = expected_admission(box, room, user, tickets)
                assert (answer.admit, answer.role) == expected, (room.id, user, answer)
