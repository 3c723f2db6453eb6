"""The catalog: rooms, their cast, tiers and policies, and their tickets, as read tables.

Serves room listings, a listener's tickets, a room's buyers, and is the
snapshot the in-memory admission index loads from. Built only from events:
one handler per event kind, below, writing through a `CatalogView`
(projections/catalog_view.py: PostgreSQL and SQLite). Imports domain/,
store/ and this package only.
"""

from __future__ import annotations

from typing import Any

from store.timecodes import to_us
from domain.rooms.model import Room
from domain.sales.model import Ticket
from domain.rooms.tiers import DEFAULT_TIER_NAME
from projections.ids import id_text
from projections.catalog_view import CatalogView, PostgresCatalogView, SqliteCatalogView
from projections.projection import Projection, handles


def _ddl(suffix: str) -> list[tuple[str, str, list[str]]]:
    r, c, t, tv = f"rooms_view{suffix}", f"room_cast{suffix}", f"tickets_view{suffix}", f"room_tiers_view{suffix}"
    pv, xv = f"room_policies_view{suffix}", f"ticket_transfers_view{suffix}"
    return [
        (
            r,
            f"CREATE TABLE {r} (room_id VARCHAR(36) PRIMARY KEY, host_id TEXT NOT NULL, title TEXT NOT NULL,"
            " state VARCHAR(16) NOT NULL, scheduled_start_us BIGINT NOT NULL, price_amount BIGINT NOT NULL,"
            " price_currency VARCHAR(3) NOT NULL, capacity INTEGER NOT NULL, sales_end_us BIGINT,"
            " opened_us BIGINT NOT NULL, started_us BIGINT, ended_us BIGINT, cancelled_us BIGINT,"
            " paid_count INTEGER NOT NULL DEFAULT 0, position BIGINT NOT NULL)",
            [f"CREATE INDEX {r}_by_host ON {r} (host_id, opened_us)", f"CREATE INDEX {r}_by_state ON {r} (state, opened_us)"],
        ),
        (
            c,
            f"CREATE TABLE {c} (room_id VARCHAR(36) NOT NULL, user_id TEXT NOT NULL, role VARCHAR(16) NOT NULL,"
            " PRIMARY KEY (room_id, user_id))",
            [],
        ),
        (
            t,
            f"CREATE TABLE {t} (ticket_id VARCHAR(36) PRIMARY KEY, room_id VARCHAR(36) NOT NULL, holder_id TEXT NOT NULL,"
            " host_id TEXT NOT NULL, status VARCHAR(16) NOT NULL, price_amount BIGINT NOT NULL,"
            " price_currency VARCHAR(3) NOT NULL, reserved_us BIGINT NOT NULL, hold_expires_us BIGINT NOT NULL,"
            " paid_us BIGINT, provider VARCHAR(16), payment_id TEXT, fee BIGINT NOT NULL DEFAULT 0,"
            " refunded_amount BIGINT NOT NULL DEFAULT 0, release_reason VARCHAR(32), revoke_reason VARCHAR(32),"
            " position BIGINT NOT NULL, revoked_position BIGINT, tier_id VARCHAR(36))",
            [
                f"CREATE INDEX {t}_by_holder ON {t} (holder_id, reserved_us)",
                f"CREATE INDEX {t}_by_room ON {t} (room_id, status)",
                f"CREATE INDEX {t}_by_revocation ON {t} (room_id, revoked_position)",
            ],
        ),
        (tv, TIERS_TABLE.format(table=tv), [TIERS_INDEX.format(table=tv)]),
        (pv, POLICIES_TABLE.format(table=pv), []),
        (xv, TRANSFERS_TABLE.format(table=xv), [TRANSFERS_INDEX.format(table=xv)]),
    ]


# Created by migration 0014 (literal SQL there; keep the two the same): one row per gift of a ticket,
# the old holder's revocation (the feed lists it with reason `transferred`).
TRANSFERS_TABLE = ("CREATE TABLE {table} (ticket_id VARCHAR(36) NOT NULL, transfer_no INTEGER NOT NULL,"
                   " room_id VARCHAR(36) NOT NULL, from_holder_id TEXT NOT NULL, to_holder_id TEXT NOT NULL,"
                   " at_us BIGINT NOT NULL, position BIGINT NOT NULL, PRIMARY KEY (ticket_id, transfer_no))")
TRANSFERS_INDEX = "CREATE INDEX {table}_by_room ON {table} (room_id, position)"


# Created by migration 0012 (literal SQL there; keep the two the same). No row: refund policy `none`, never moved.
POLICIES_TABLE = ("CREATE TABLE {table} (room_id VARCHAR(36) PRIMARY KEY, refund_hours INTEGER, rescheduled_us BIGINT,"
                  " refund_until_us BIGINT)")


# Created by migration 0010 (literal SQL there; keep the two the same).
TIERS_TABLE = ("CREATE TABLE {table} (tier_id VARCHAR(36) PRIMARY KEY, room_id VARCHAR(36) NOT NULL,"
               " name TEXT NOT NULL, price_amount BIGINT NOT NULL, price_currency VARCHAR(3) NOT NULL,"
               " capacity INTEGER NOT NULL, sales_start_us BIGINT, sales_end_us BIGINT, hidden BOOLEAN NOT NULL,"
               " closed BOOLEAN NOT NULL, minimum_amount BIGINT, suggested_amount BIGINT, added_position BIGINT NOT NULL)")
TIERS_INDEX = "CREATE INDEX {table}_by_room ON {table} (room_id, added_position)"


# Events that name a tier row to change: the tier's own, and the room's price and capacity (its default tier's).
TIER_KINDS = frozenset(k.__qualname__ for k in (Room.TierRepriced, Room.TierResized, Room.TierClosed,
                                                 Room.PriceChanged, Room.CapacityChanged))
POLICY_KINDS = frozenset(k.__qualname__ for k in (Room.RefundPolicySet, Room.Rescheduled))
NEW_TICKETS = frozenset(k.__qualname__ for k in (Ticket.Reserved, Ticket.Sold))


class CatalogProjection(Projection[CatalogView]):
    name = "catalog"
    views = {"postgresql": PostgresCatalogView, "sqlite": SqliteCatalogView}

    def tables(self, suffix: str = "") -> list[tuple[str, str, list[str]]]:
        return _ddl(suffix)

    def prepare(self, view: CatalogView, events: list[tuple[int, Any]]) -> None:
        """One pass: tickets reserved in this batch are new rows, so only older ones are read."""
        reserved: set[str] = set()
        tickets: set[str] = set()
        rooms: set[str] = set()
        tiers: set[str] = set()
        policies: set[str] = set()
        for _, e in events:
            kind = type(e).__qualname__
            if kind in NEW_TICKETS:  # a new row, whose room's paid count this or a later event may move
                reserved.add(id_text(e.originator_id))
                rooms.add(id_text(e.room_id))
                continue
            if kind.startswith("Ticket."):
                tickets.add(id_text(e.originator_id))
                continue
            if kind in TIER_KINDS:
                tiers.add(id_text(e.tier_id) if hasattr(e, "tier_id") else id_text(e.originator_id))
            if kind in POLICY_KINDS:
                policies.add(id_text(e.originator_id))
            if kind.startswith("Room.") and kind != "Room.Opened":
                rooms.add(id_text(e.originator_id))
        view.preload(rooms=rooms, tickets=tickets - reserved, tiers=tiers, policies=policies)

    # --- rooms -----------------------------------------------------------------------

    @handles(Room.Opened)
    def room_opened(self, view: CatalogView, e: Any, pos: int) -> None:
        room_id = id_text(e.originator_id)
        view.add_room({
            "room_id": room_id, "host_id": e.host_id, "title": e.title, "state": "scheduled",
            "scheduled_start_us": to_us(e.scheduled_start), "price_amount": e.price_amount,
            "price_currency": e.price_currency, "capacity": e.capacity, "sales_end_us": to_us(e.sales_end),
            "opened_us": to_us(e.opened_at), "paid_count": 0, "position": pos,
        })
        view.set_cast(room_id, e.host_id, "host")
        if e.default_tier:  # one price for the room: its default tier, whose id is the room's (listed first)
            view.add_tier(_tier_row(room_id, room_id, DEFAULT_TIER_NAME, e.price_amount, e.price_currency, e.capacity,
                                    added_position=0))

    @handles(Room.Retitled)
    def retitled(self, view: CatalogView, e: Any, pos: int) -> None:
        _set_room(view, e, pos, title=e.title)

    @handles(Room.PriceChanged)
    def price_changed(self, view: CatalogView, e: Any, pos: int) -> None:
        _set_room(view, e, pos, price_amount=e.price_amount, price_currency=e.price_currency)
        _set_tier(view, e.originator_id, price_amount=e.price_amount, price_currency=e.price_currency)

    @handles(Room.CapacityChanged)
    def capacity_changed(self, view: CatalogView, e: Any, pos: int) -> None:
        _set_room(view, e, pos, capacity=e.capacity)
        _set_tier(view, e.originator_id, capacity=e.capacity)

    @handles(Room.SalesEndChanged)
    def sales_end_changed(self, view: CatalogView, e: Any, pos: int) -> None:
        _set_room(view, e, pos, sales_end_us=to_us(e.sales_end))

    @handles(Room.Started)
    def started(self, view: CatalogView, e: Any, pos: int) -> None:
        _set_room(view, e, pos, state="live", started_us=to_us(e.at))

    @handles(Room.Ended)
    def ended(self, view: CatalogView, e: Any, pos: int) -> None:
        _set_room(view, e, pos, state="ended", ended_us=to_us(e.at))

    @handles(Room.Cancelled)
    def cancelled(self, view: CatalogView, e: Any, pos: int) -> None:
        _set_room(view, e, pos, state="cancelled", cancelled_us=to_us(e.at))

    @handles(Room.RefundPolicySet)
    def refund_policy_set(self, view: CatalogView, e: Any, pos: int) -> None:
        view.policy(id_text(e.originator_id))["refund_hours"] = e.hours

    @handles(Room.Rescheduled)
    def rescheduled(self, view: CatalogView, e: Any, pos: int) -> None:
        _set_room(view, e, pos, scheduled_start_us=to_us(e.scheduled_start))
        view.policy(id_text(e.originator_id)).update(rescheduled_us=to_us(e.at), refund_until_us=to_us(e.refund_until))

    @handles(Room.CohostAdded)
    def cohost_added(self, view: CatalogView, e: Any, pos: int) -> None:
        view.set_cast(id_text(e.originator_id), e.user_id, "cohost")

    @handles(Room.SpeakerAdded)
    def speaker_added(self, view: CatalogView, e: Any, pos: int) -> None:
        view.set_cast(id_text(e.originator_id), e.user_id, "speaker")

    @handles(Room.CohostRemoved, Room.SpeakerRemoved)
    def cast_removed(self, view: CatalogView, e: Any, pos: int) -> None:
        view.set_cast(id_text(e.originator_id), e.user_id, None)

    # --- tiers -------------------------------------------------------------------------

    @handles(Room.TierAdded)
    def tier_added(self, view: CatalogView, e: Any, pos: int) -> None:
        view.add_tier(_tier_row(e.tier_id, e.originator_id, e.name, e.price_amount, e.price_currency, e.capacity,
                                sales_start=e.sales_start, sales_end=e.sales_end, hidden=e.hidden,
                                minimum=e.minimum_amount, suggested=e.suggested_amount, added_position=pos))

    @handles(Room.TierRepriced)
    def tier_repriced(self, view: CatalogView, e: Any, pos: int) -> None:
        _set_tier(view, e.tier_id, price_amount=e.price_amount, price_currency=e.price_currency)

    @handles(Room.TierResized)
    def tier_resized(self, view: CatalogView, e: Any, pos: int) -> None:
        _set_tier(view, e.tier_id, capacity=e.capacity)

    @handles(Room.TierClosed)
    def tier_closed(self, view: CatalogView, e: Any, pos: int) -> None:
        _set_tier(view, e.tier_id, closed=True)

    # --- tickets ---------------------------------------------------------------------

    @handles(Ticket.Reserved)
    def reserved(self, view: CatalogView, e: Any, pos: int) -> None:
        view.add_ticket({
            "ticket_id": id_text(e.originator_id), "room_id": id_text(e.room_id), "holder_id": e.holder_id,
            "host_id": e.host_id, "status": "reserved", "price_amount": e.price_amount,
            "price_currency": e.price_currency, "reserved_us": to_us(e.reserved_at),
            "hold_expires_us": to_us(e.hold_expires_at), "fee": 0, "refunded_amount": 0, "position": pos,
            "tier_id": id_text(e.tier_id),
        })

    @handles(Ticket.Sold)
    def sold(self, view: CatalogView, e: Any, pos: int) -> None:
        """Reserved and paid at once (domain/sales/sold.py): the two handlers at one position."""
        self.reserved(view, e, pos)
        self.paid(view, e, pos)

    @handles(Ticket.PaymentStarted)
    def payment_started(self, view: CatalogView, e: Any, pos: int) -> None:
        if (t := _ticket(view, e, pos)) is not None:
            t.update(provider=e.provider, payment_id=e.payment_id)

    @handles(Ticket.Paid)
    def paid(self, view: CatalogView, e: Any, pos: int) -> None:
        if (t := _ticket(view, e, pos)) is not None:
            t.update(status="paid", paid_us=to_us(e.paid_at), provider=e.provider, payment_id=e.payment_id, fee=e.fee)
            _paid_count(view, t, +1)

    @handles(Ticket.Released)
    def released(self, view: CatalogView, e: Any, pos: int) -> None:
        if (t := _ticket(view, e, pos)) is not None:
            t.update(status="released", release_reason=e.reason)

    @handles(Ticket.Transferred)
    def transferred(self, view: CatalogView, e: Any, pos: int) -> None:
        if (t := _ticket(view, e, pos)) is not None:
            t["holder_id"] = e.to_holder_id
            view.add_transfer((id_text(e.originator_id), e.transfer_count, id_text(e.room_id), e.from_holder_id,
                               e.to_holder_id, to_us(e.at), pos))

    @handles(Ticket.RefundRequested)
    def refund_requested(self, view: CatalogView, e: Any, pos: int) -> None:
        if (t := _ticket(view, e, pos)) is not None:
            t["refunded_amount"] += e.amount
            if e.full:
                if t["status"] == "paid":
                    _paid_count(view, t, -1)
                t.update(status="refunded", revoked_position=pos)

    @handles(Ticket.Revoked)
    def revoked(self, view: CatalogView, e: Any, pos: int) -> None:
        if (t := _ticket(view, e, pos)) is not None:
            _revoke(view, t, e.reason, pos)

    @handles(Ticket.DisputeOpened)
    def dispute_opened(self, view: CatalogView, e: Any, pos: int) -> None:
        if (t := _ticket(view, e, pos)) is not None and e.access_revoked:
            _revoke(view, t, "disputed", pos)

    @handles(Ticket.DisputeClosed)
    def dispute_closed(self, view: CatalogView, e: Any, pos: int) -> None:
        if (t := _ticket(view, e, pos)) is None:
            return
        if e.won and t["status"] == "revoked" and t["revoke_reason"] == "disputed":
            t.update(status="paid", revoke_reason=None)
            _paid_count(view, t, +1)
        elif not e.won:
            t["refunded_amount"] += e.amount


def _set_room(view: CatalogView, e: Any, pos: int, **values: Any) -> None:
    room = view.room(id_text(e.originator_id))
    if room is not None:
        room.update(values, position=pos)


def _set_tier(view: CatalogView, tier_id: Any, **values: Any) -> None:
    """A tier's row; the room's own price and capacity events change its default tier (if it has one)."""
    tier = view.tier(id_text(tier_id))
    if tier is not None:
        tier.update(values)


def _tier_row(tier_id: Any, room_id: Any, name: str, price_amount: int, price_currency: str, capacity: int, *,
              sales_start: Any = None, sales_end: Any = None, hidden: bool = False, minimum: int | None = None,
              suggested: int | None = None, added_position: int) -> dict[str, Any]:
    return {"tier_id": id_text(tier_id), "room_id": id_text(room_id), "name": name, "price_amount": price_amount,
            "price_currency": price_currency, "capacity": capacity, "sales_start_us": to_us(sales_start),
            "sales_end_us": to_us(sales_end), "hidden": hidden, "closed": False, "minimum_amount": minimum,
            "suggested_amount": suggested, "added_position": added_position}


def _ticket(view: CatalogView, e: Any, pos: int) -> dict[str, Any] | None:
    """The ticket's row, its position moved to this event's."""
    ticket = view.ticket(id_text(e.originator_id))
    if ticket is not None:  # Safeguard, should never happen: every ticket event follows Reserved or Sold.
        ticket["position"] = pos
    return ticket


def _paid_count(view: CatalogView, ticket: dict[str, Any], delta: int) -> None:
    room = view.room(ticket["room_id"])
    if room is not None:
        room["paid_count"] += delta


def _revoke(view: CatalogView, ticket: dict[str, Any], reason: str, pos: int) -> None:
    if ticket["status"] == "paid":
        _paid_count(view, ticket, -1)
    ticket.update(status="revoked", revoke_reason=reason, revoked_position=pos)
