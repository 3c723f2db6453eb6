"""The boxoffice application: every command of the product, recorded as events.

`BoxOffice` is an eventsourcing `Application` whose recorder also implements
`domain.guards.GuardedRecorder`, so a command can check cross-aggregate rules
(the seat cap, one live ticket per listener, a webhook seen once) in the same
transaction that appends its events. Commands return the log position of
their last event, so a caller can wait for projections to reach it.

The commands live in mixins by use case (rooms, sales, refunds, accounts);
this module holds the wiring they share.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, project_aggregate
from eventsourcing.domain import Aggregate

from domain.creators.accounts import AccountCommands
from domain.attendance.commands import MediaCommands
from domain.sales.group_commit import GroupCommitter
from domain.clock import Clock, SystemClock
from domain.creators.model import Creator
from domain.errors import DuplicateDeliveryError, NotFoundError
from domain.guards import GuardedRecorder, GuardReads, WriteGuards
from domain.payments import PaymentGateway
from domain.policies import Policies
from domain.sales.refunds import RefundCommands
from domain.rooms.model import Room
from domain.rooms.commands import RoomCommands
from domain.sales.commands import SalesCommands
from domain.sales.model import Ticket
from domain.webhooks.commands import WebhookEndpointCommands
from domain.rooms.tier_commands import TierCommands
from domain.sales.code_commands import CodeCommands
from domain.sales.holds import HoldCommands
from domain.sales.self_refunds import SelfRefundCommands
from domain.sales.transfers import TransferCommands
from domain.sales.waitlist_commands import WaitlistCommands

log = logging.getLogger(__name__)

R = TypeVar("R")
A = TypeVar("A", bound=Aggregate)


class BoxOffice(RoomCommands, TierCommands, CodeCommands, SalesCommands, HoldCommands, SelfRefundCommands, RefundCommands, AccountCommands,
                TransferCommands, WaitlistCommands,
                MediaCommands, WebhookEndpointCommands, Application[UUID]):
    name = "boxoffice"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        gateway: PaymentGateway,
        clock: Clock | None = None,
        policies: Policies | None = None,
        group_commit_flushers: int = 1,
    ) -> None:
        super().__init__(env)
        if not hasattr(self.recorder, "transact"):
            raise TypeError(
                "the recorder must implement domain.guards.GuardedRecorder; "
                "set APPLICATION_RECORDER_TOPIC (the composition root does)"
            )
        self.clock: Clock = clock or SystemClock()
        self.policies = policies or Policies()
        self.gateway = gateway
        self.reservations: GroupCommitter[Any, Any] = GroupCommitter(
            self._reserve_batch, name="reserve", flushers=group_commit_flushers
        )
        self.settlements: GroupCommitter[Any, Any] = GroupCommitter(
            self._settle_batch, name="settle", flushers=group_commit_flushers
        )
        # Called with the log position after every commit (read models poke their tails).
        self.commit_listeners: list[Callable[[int], None]] = []

    def close(self) -> None:
        self.reservations.close()
        self.settlements.close()
        super().close()

    # --- plumbing ------------------------------------------------------------

    @property
    def guarded(self) -> GuardedRecorder:
        return self.recorder  # type: ignore[return-value]

    @property
    def guards(self) -> GuardReads:
        return self.guarded.guard_reads()

    def transact(
        self, decide: Callable[[WriteGuards], tuple[R, Sequence[Aggregate]]], dedupe_key: str | None = None
    ) -> tuple[R, int | None]:
        """Decide with the guards and append the aggregates' new events, atomically.

        `decide` must not read the event store (on SQLite the write lock is
        held); load aggregates before calling. With a `dedupe_key` (a webhook
        event id) the key is recorded in the same transaction; if it was seen
        before, nothing is written and DuplicateDeliveryError is raised.
        """
        box: dict[str, Any] = {}

        def work(guards: WriteGuards) -> list[Any]:
            if dedupe_key is not None and not guards.first_time(dedupe_key):
                raise DuplicateDeliveryError(dedupe_key)
            result, aggregates = decide(guards)
            # Seats this transaction freed go to the waitlists now (domain/sales/waitlist_commands.py).
            aggregates = [*aggregates, *self.offers_for_freed_seats(guards)]
            events = [e for aggregate in aggregates for e in aggregate.collect_events()]
            box["result"] = result
            return [self.mapper.to_stored_event(e) for e in events]

        ids = self.guarded.transact(work)
        position = max(ids) if ids else None
        if position is not None:
            self._committed(position)
        return box["result"], position

    def _notify(self, recordings: list[Any]) -> None:
        super()._notify(recordings)
        if recordings:
            self._committed(recordings[-1].notification.id)

    def _committed(self, position: int) -> None:
        for listener in self.commit_listeners:
            try:
                listener(position)
            except Exception:  # a read model's wake-up must never fail a committed write
                log.exception("commit listener failed")

    def acknowledge(self, dedupe_key: str) -> bool:
        """Record a delivery that has no effect; False if it was seen before."""
        try:
            self.transact(lambda guards: (None, []), dedupe_key)
        except DuplicateDeliveryError:
            return False
        return True

    def load(self, cls: type[A], aggregate_id: UUID, what: str) -> A:
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFoundError(f"{what} {aggregate_id} not found") from None
        if not isinstance(aggregate, cls):
            raise NotFoundError(f"{what} {aggregate_id} not found")
        return aggregate

    def _find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        """The aggregate, or None if there is none of that class with that id."""
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def load_many(self, cls: type[A], aggregate_ids: Sequence[UUID], what: str) -> list[A]:
        """What `load` answers for each id, from one read of the store instead of one per id
        (a payout run loads thousands of rooms). Same events, same mutators: no snapshots are
        configured, so replaying each aggregate's events from the start is the whole story."""
        stored = self.guarded.select_events_of(aggregate_ids)
        loaded = []
        for aggregate_id in aggregate_ids:
            aggregate = project_aggregate(None, map(self.mapper.to_domain_event, stored.get(aggregate_id, ())))
            if not isinstance(aggregate, cls):
                raise NotFoundError(f"{what} {aggregate_id} not found")
            loaded.append(aggregate)
        return loaded

    def position(self) -> int:
        return self.recorder.max_notification_id() or 0

    # --- creators ------------------------------------------------------------

    def register_creator(self, user_id: str, display_name: str, follower_count: int) -> tuple[Creator, int | None]:
        """Register the caller as a creator; registering again updates the profile."""
        creator = self.find_creator(user_id)
        if creator is None:
            creator = Creator(user_id=user_id, display_name=display_name, follower_count=follower_count,
                              registered_at=self.clock.now())
        else:
            if (creator.display_name, creator.follower_count) == (display_name, follower_count):
                return creator, None
            creator.update_profile(display_name, follower_count)
        recordings = self.save(creator)
        return creator, recordings[-1].notification.id if recordings else None

    def attest_eligibility(self, user_id: str, followers: int | None, age_verified: bool | None,
                           by: str) -> tuple[Creator, int | None]:
        """An admin or the platform service states a creator's follower count and age check."""
        creator = self.get_creator(user_id)
        if not creator.attest_eligibility(followers, age_verified, by, self.clock.now()):
            return creator, None
        recordings = self.save(creator)
        return creator, recordings[-1].notification.id if recordings else None

    def find_creator(self, user_id: str) -> Creator | None:
        from domain.ids import creator_id_for

        try:
            creator = self.repository.get(creator_id_for(user_id))
        except AggregateNotFoundError:
            return None
        return creator if isinstance(creator, Creator) else None

    def get_creator(self, user_id: str) -> Creator:
        creator = self.find_creator(user_id)
        if creator is None:
            raise NotFoundError(f"creator {user_id} not found")
        return creator

    def get_room(self, room_id: UUID) -> Room:
        return self.load(Room, room_id, "room")

    def get_ticket(self, ticket_id: UUID) -> Ticket:
        return self.load(Ticket, ticket_id, "ticket")
