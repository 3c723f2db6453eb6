"""Write guards: rules that span aggregates, checked where the events are written.

The seat cap ("never more live tickets than capacity") and "one live ticket
per listener per room" span every ticket of a room. Holding them in one hot
Room aggregate serialises every sale on optimistic retries (about 18 sales/s
with 8 buyers). Instead the store keeps a guarded counter per room and a hold
row per ticket, and updates them in the SAME transaction that appends the
ticket's events, so the counter and the event log can never disagree. Many
reservations share one transaction (group commit, see domain/sales/group_commit.py).

The domain sees only this port; `store/` implements it for SQLite and
PostgreSQL.

The lock order (no deadlock, ever). A transaction locks guard rows in ONE
global order: first by guard kind, in the order of `LOCK_ORDER`, then by key
(plain string order, PostgreSQL's "C" collation) within a kind; the events
table lock is always taken last, by the recorder. A batch therefore states
what it needs before it acts on it, kind by kind: its dedupe keys, then every
room it will claim or give seats back to (`claim_rooms`, `lock_rooms`), then
its creators' revenue rows (`lock_revenue`), then holds. Re-touching a row
already locked is free; locking a row that sorts before one already locked
raises `LockOrderError` at once (on SQLite too), so a wrong order fails every
test that takes it instead of deadlocking one run in a hundred under load.
A new guard table joins by taking its place in `LOCK_ORDER` and acquiring
through the same check. Codes come BEFORE rooms: a creator-wide code's use
counter is shared by all of its host's rooms, so a batch locks its codes
(`lock_codes`) before its rooms. A tier's counter belongs to one room and is
written only while its room's row is held (claim, release, resize, close), so
no two transactions can wait on a tier row: tiers need no place of their own.
The waitlist's line rows (domain/sales/waitlist.py) are the same: read and written only behind
their room's row, and the offers a transaction makes are made at its end, for rooms it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol
from uuid import UUID

from domain.money import Money, minor_units
from domain.payments import PaymentQueueGuards

if TYPE_CHECKING:
    from domain.policies import PricePolicy

# Guard kinds in the global lock order (see the module docstring); the store maps its tables onto them.
LOCK_ORDER = ("processed_key", "code", "room", "creator_revenue", "ticket_hold", "payout_account")


class LockOrderError(RuntimeError):
    """A guard row was locked out of the global order: a bug that could deadlock under load."""


class ExactRevenueNeeded(RuntimeError):
    """A sale may cross its creator's threshold while other rooms hold slices of the creator's headroom.

    Nothing was written: the caller folds the slices back (`fold_revenue_slices`, in a
    transaction of its own) and runs its batch again."""

    def __init__(self, keys: Iterable[tuple[str, str]]) -> None:
        self.keys = sorted(set(keys))
        super().__init__(f"the exact lifetime revenue of {self.keys} is needed")


ClaimStatus = Literal["claimed", "replay", "already_holds", "sold_out", "not_on_sale", "unknown_room",
                      "tier_sold_out", "tier_not_on_sale", "unknown_tier", "tier_required", "code_invalid",
                      "code_exhausted", "below_minimum_price", "fixed_price", "above_maximum_price", "busy"]

TransferStatus = Literal["transferred", "receiver_holds", "no_hold"]


class SeatWanted(NamedTuple):
    """One seat a purchase asks for; a plain (holder, ticket) pair means no tier, code or amount."""

    holder_id: str
    ticket_id: UUID
    tier_id: UUID | None = None  # None: the room's default (or only visible) tier
    code_id: UUID | None = None
    amount: int | None = None  # pay what you want: what the buyer names


@dataclass(frozen=True)
class CodeTerms:
    """What a code does, as a sale needs it: the guard keeps a copy (the `PromoCode` aggregate of
    domain/sales/codes.py holds the original), so a sale never reads the event store."""

    code_id: UUID
    host_id: str
    room_id: UUID | None  # None: every room of the host
    percent_off: int | None
    amount_off: int | None
    currency: str | None
    max_uses: int | None
    valid_from: datetime | None
    valid_until: datetime | None
    tier_ids: frozenset[UUID]  # empty: any tier
    unlocks_tier_ids: frozenset[UUID]

    def applies(self, room_id: UUID, tier_id: UUID, now: datetime) -> bool:
        """Valid for this room and tier now (the use count is checked by the guard)."""
        return ((self.room_id is None or self.room_id == room_id) and (self.valid_from is None or self.valid_from <= now)
                and (self.valid_until is None or now < self.valid_until) and (not self.tier_ids or tier_id in self.tier_ids))

    def discount(self, list_price: Money, policy: PricePolicy) -> int:
        """How much comes off `list_price`: never below the policy's minimum price, never negative."""
        if self.percent_off is not None:
            off = list_price.amount * self.percent_off // 100
        elif self.amount_off is not None and self.currency == list_price.currency:
            off = self.amount_off
        else:
            off = 0
        floor = minor_units(list_price.currency, policy.min_major)
        return max(0, min(off, list_price.amount - floor))


@dataclass(frozen=True)
class SeatClaim:
    status: ClaimStatus
    price: Money | None = None  # the list price: the tier's, or the amount named for pay what you want
    host_id: str | None = None
    ticket_id: UUID | None = None  # the replayed or already-held ticket
    tier_id: UUID | None = None  # the tier the seat was claimed in
    code: CodeTerms | None = None  # the code whose use the claim took
    # sold_out, tier_sold_out: may a sweep of expired holds give the room a seat (a live unpaid hold whose hold
    # has passed, read under the room's lock; True when the store cannot tell)? And when may the answer first
    # change by time alone (a sales window, an unpaid hold's expiry; None: never)? (domain/sales/sold_out.py)
    expired_holds: bool = True
    stable_until: datetime | None = None


@dataclass(frozen=True)
class TierInventory:
    """One tier's guarded counter and what a sale checks against it."""

    tier_id: UUID
    capacity: int
    taken: int  # live tickets of the tier: reserved and paid
    paid: int
    price: Money
    hidden: bool
    closed: bool
    sales_start: datetime | None
    sales_end: datetime | None
    minimum_amount: int | None = None

    @property
    def available(self) -> int:
        return max(self.capacity - self.taken, 0)


@dataclass(frozen=True)
class Inventory:
    room_id: UUID
    host_id: str
    capacity: int
    taken: int  # live tickets: reserved and paid
    paid: int
    price: Money
    on_sale: bool
    sales_end: datetime | None
    tiers: tuple[TierInventory, ...] = ()

    @property
    def available(self) -> int:
        return max(self.capacity - self.taken, 0)

    def tier(self, tier_id: UUID) -> TierInventory | None:
        return next((t for t in self.tiers if t.tier_id == tier_id), None)


@dataclass(frozen=True)
class ExpiredHold:
    ticket_id: UUID
    room_id: UUID


# --- the waitlist's line (domain/sales/waitlist.py; implemented by store/waitlist_guards_sql.py) ---

JoinStatus = Literal["joined", "already_on_waitlist", "already_holds", "not_sold_out", "not_on_sale", "unknown_room",
                     "unknown_tier", "tier_required", "tier_not_on_sale"]


@dataclass(frozen=True)
class JoinResult:
    status: JoinStatus
    tier_id: UUID | None = None
    place: int = 0


@dataclass(frozen=True)
class OfferGrant:
    """A seat the line's guard just held for the first listener in line who can take it."""

    offer_id: UUID
    entry_id: UUID
    room_id: UUID
    tier_id: UUID
    holder_id: str
    place: int


@dataclass(frozen=True)
class OfferSeat:
    """What taking an offer's seat for a ticket found."""

    status: Literal["claimed", "replay", "offer_expired", "unknown_offer", "already_holds"]
    price: Money | None = None
    host_id: str | None = None
    tier_id: UUID | None = None
    minimum_amount: int | None = None


@dataclass(frozen=True)
class LineSpot:
    entry_id: UUID
    status: Literal["waiting", "offered"]
    offer_id: UUID | None


class WaitlistGuards(Protocol):
    """The line's guard operations, in the write transaction (every one locks the room's row first)."""

    def join_waitlist(self, entry_id: UUID, room_id: UUID, tier_id: UUID | None, holder_id: str,
                      now: datetime) -> JoinResult: ...

    def serve_waitlists(self, now: datetime, expires_at: datetime) -> list[OfferGrant]:
        """Offer every seat freed in this transaction (a seat given back, a cap raised) to the line,
        first in line first (a listener whose tier has no seat keeps their place); returns the offers."""

    def take_offer_seat(self, offer_id: UUID, ticket_id: UUID, holder_id: str, now: datetime,
                        hold_expires_at: datetime) -> OfferSeat:
        """The offer's seat becomes the ticket's hold (the counters do not move)."""

    def drop_offer(self, offer_id: UUID, status: Literal["expired", "declined"]) -> bool:
        """The offer's seat comes back (and goes to the line when served); False if it was not open."""

    def leave_waitlist(self, entry_id: UUID) -> bool:
        """A waiting listener leaves the line; False if they were not waiting."""


class WaitlistReads(Protocol):
    def expired_offers(self, now: datetime, limit: int = 500) -> list[UUID]: ...

    def line_spot(self, room_id: UUID, holder_id: str) -> LineSpot | None:
        """The listener's place in the room's line, if waiting or holding an offer."""


class WriteGuards(WaitlistGuards, PaymentQueueGuards, Protocol):
    """Guard operations bound to one open write transaction (the line's: domain/sales/waitlist.py)."""

    def open_inventory(self, room_id: UUID, host_id: str, capacity: int, price: Money, sales_end: datetime | None,
                       default_tier: bool = True) -> None:
        """Open the room's counter, and (unless it sells through tiers) its default tier's, whose id is the room's."""

    def set_price(self, room_id: UUID, price: Money) -> None:
        """The room's price, and its default tier's (the tier whose id is the room's)."""

    def open_tier(self, room_id: UUID, tier_id: UUID, capacity: int, price: Money, sales_start: datetime | None,
                  sales_end: datetime | None, hidden: bool, minimum_amount: int | None) -> None: ...

    def set_tier_price(self, room_id: UUID, tier_id: UUID, price: Money) -> None: ...

    def set_tier_capacity(self, room_id: UUID, tier_id: UUID, capacity: int) -> int | None:
        """Set a tier's cap; refused (returns the tier's live count) if below its live tickets."""

    def close_tier(self, room_id: UUID, tier_id: UUID) -> None: ...

    def set_sales_end(self, room_id: UUID, sales_end: datetime | None) -> None: ...

    def close_sales(self, room_id: UUID) -> None: ...

    def set_capacity(self, room_id: UUID, capacity: int) -> int | None:
        """Set the capacity (and the default tier's); refused (returns the live count) if below live tickets."""

    def open_code(self, terms: CodeTerms) -> None: ...

    def room_hosts(self, room_ids: Collection[UUID]) -> dict[UUID, str]: ...  # each room's host, read without a lock

    def lock_codes(self, code_ids: Iterable[UUID]) -> None:
        """Lock these codes' use counters now, in the lock order: codes come before rooms, because
        a creator-wide code is shared by all of its host's rooms."""

    def claim_seats(self, room_id: UUID, claims: Sequence[Sequence[Any]], now: datetime,
                    hold_expires_at: datetime, replayable: Collection[UUID] | None = None) -> list[SeatClaim]:
        """claim_rooms for one room."""

    def claim_rooms(self, claims: Mapping[UUID, Sequence[Sequence[Any]]], now: datetime,
                    hold_expires_at: datetime, replayable: Collection[UUID] | None = None,
                    ceilings: Mapping[str, int] | None = None, skip_busy: bool = False) -> dict[UUID, list[SeatClaim]]:
        """Claim seats for many `SeatWanted` (or (holder, ticket) pairs) of many rooms at once, in order per room.

        `skip_busy`: a room whose row another transaction holds is not waited for; its claims
        answer `busy`, take nothing and lock nothing (a skip never waits, so it cannot join a
        deadlock). Stores that run one transaction at a time never answer `busy`.

        Locks every room in the lock order, in a few statements whatever the number of rooms.
        A seat counts against the room's cap and its tier's cap, both checked here under
        the room's row lock. A claim with a code takes one of its uses (the code locked
        first by `lock_codes`) and may buy a hidden tier the code unlocks. A
        pay-what-you-want tier sells at the amount named (at least its minimum, at most
        `ceilings[currency]`); a fixed-price tier at its price only.
        `replayable`: the ticket ids that may have been claimed before (derived from an
        idempotency key); None means any may. A random fresh id cannot be a replay."""

    def lock_rooms(self, room_ids: Iterable[UUID], skip_busy: bool = False) -> None:
        """Lock these rooms' inventory rows now, in the lock order (before any revenue row); `skip_busy`: not those
        another transaction holds (not waited for, not held: see claim_rooms)."""

    def plan_revenue(self, sales: Iterable[tuple[str, str, UUID | None, int]], limits: Mapping[str, int]) -> None:
        """State every sale this transaction will accrue, (creator, currency, room or None, gross), before the first
        (a room just opened states one of 0: it takes a slice sized to what its seats could bring).
        `limits`: the commission threshold per currency, in minor units. A sale of a room
        this transaction holds may be counted in the room's slice of its creator's headroom
        below the threshold, under the room's lock alone; the others lock their creator's
        row now, in the lock order. Either way `accrue_revenue` returns a figure that gives
        the exact split (store/revenue_guards_sql.py says why), or raises ExactRevenueNeeded."""

    def lock_revenue(self, keys: Iterable[tuple[str, str]], limits: Mapping[str, int] | None = None) -> None:
        """Lock these (creator, currency) lifetime rows now, in the lock order (`limits`: see plan_revenue)."""

    def reclaim_seat(self, ticket_id: UUID, now: datetime) -> bool:
        """Take a seat again for a released ticket whose payment succeeded late."""

    def mark_paid(self, ticket_id: UUID) -> None: ...

    def transfer_hold(self, ticket_id: UUID, room_id: UUID, from_holder: str, to_holder: str) -> TransferStatus:
        """Give a live hold to another listener, behind its room's lock (the lock order): refused
        (`receiver_holds`) if the receiver holds a live ticket for the room, `no_hold` if the
        ticket's live hold is not `from_holder`'s."""

    def release_seat(self, ticket_id: UUID, room_id: UUID, code_id: UUID | None = None) -> bool:
        """Give the ticket's seat back to its room and tier, and a use to `code_id` if given (lock
        the code first with `lock_codes`); False if it held none."""

    def accrue_revenue(self, creator_id: str, currency: str, delta: int, room_id: UUID | None = None) -> int:
        """Add `delta` to the creator's lifetime gross; returns the total before it.

        Exact when the split depends on it; for a sale wholly below the threshold (whose
        split is then 97% whatever came before) the total as committed when the batch read
        it, plus the batch's own sales. Raises ExactRevenueNeeded if the split may depend on
        revenue in other rooms' slices. Locks the row if neither `plan_revenue` nor
        `lock_revenue` did (or the sale does not fit its room's slice)."""

    def fold_revenue_slices(self, keys: Iterable[tuple[str, str]]) -> bool:
        """Give every slice of these creators back to their rows; True if none is left.

        Run alone in a transaction (it locks the slices' rooms, then the rows)."""

    def first_time(self, key: str) -> bool:
        """Record a processed key (a webhook event id); False if it was seen before."""

    def link_account(self, account_id: str, user_id: str, status: str) -> None:
        """Remember which creator owns a payout account, and its status."""

    def set_account_status(self, account_id: str, status: str) -> None: ...


class GuardReads(WaitlistReads, Protocol):
    """Reads of the guard tables outside any write transaction."""

    def inventory(self, room_id: UUID) -> Inventory | None: ...

    def inventories(self, room_ids: Sequence[UUID]) -> dict[UUID, Inventory]: ...

    def expired_holds(self, now: datetime, room_id: UUID | None = None, limit: int = 500) -> list[ExpiredHold]: ...

    def tickets_of_room(self, room_id: UUID) -> list[UUID]:
        """Every ticket ever reserved for the room, oldest first."""

    def lifetime_revenue(self, creator_id: str, currency: str) -> int: ...

    def code_uses(self, code_id: UUID) -> int:
        """Uses of the code taken by live or paid tickets (see CodePolicy for refunds)."""

    def processed(self, key: str) -> bool:
        """Was this key (a webhook event id) recorded by first_time?"""

    def creator_of_account(self, account_id: str) -> str | None: ...

    def enabled_payout_accounts(self) -> dict[str, str]:
        """Creator id -> account id, for every enabled payout account."""


class GuardedRecorder(Protocol):
    """What the application needs of its recorder beyond eventsourcing's own."""

    def transact(self, work: Callable[[WriteGuards], Sequence[Any]]) -> Sequence[int]:
        """Run `work` in one write transaction; append the stored events it returns.

        Returns the notification ids of the appended events. Raises (and
        writes nothing) if `work` raises.
        """

    def guard_reads(self) -> GuardReads: ...

    def select_events_of(self, originator_ids: Sequence[UUID]) -> dict[UUID, list[Any]]:
        """Every stored event of each of these aggregates, in version order, in one read."""
