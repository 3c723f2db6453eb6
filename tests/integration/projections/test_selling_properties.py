"""Tiers, codes and pay what you want keep every cap for ANY sequence of operations.

Hypothesis draws a host with one or two rooms (a room cap of 2-6, one to three
tiers, some hidden or pay what you want, caps up to the room's), a room code
and a creator-wide code with a few uses, and then a sequence of: purchases
(any tier or none, any code or none, any amount or none, some declined),
host refunds, tier resizes, closes and additions, and gifts of a ticket to any
listener (its holder's, with whatever the transfer rules refuse), joins to a
room's line (any tier or none), purchases with an open offer, leaving the line,
and time passing beyond the offers' window (the sweep). After every step the
guard counters equal what the event log says and no cap is exceeded: the room's
and each tier's (live tickets plus the seats open offers hold), each code's; no
listener holds two live tickets for a room, every live hold names its ticket's
holder, and nobody waits for a tier that has a seat (a freed seat always went to
the line first). At the end the catalog and the waitlist rebuilt from zero equal
the ones the projector built as it went.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any
from uuid import UUID

from hypothesis import event, given
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.money import Money
from domain.sales.model import TicketStatus
from domain.rooms.tiers import TierSpec
from tests.integration.projections.support import a_creator, projection_tables
from tests.integration.projections.ledger_story import PROPERTY_SETTINGS, fresh_services, migrated_template  # noqa: F401
from domain.sales.waitlist import Offer

OPERATIONS = ("buy",) * 6 + ("refund", "refund", "resize", "close", "add_tier", "transfer", "transfer") + (
    "join", "join", "join", "offer_buy", "offer_buy", "leave", "expire", "sell_out")
LIVE = (TicketStatus.RESERVED, TicketStatus.PAID)
USES = (TicketStatus.RESERVED, TicketStatus.PAID, TicketStatus.REFUNDED, TicketStatus.REVOKED)


def _tier(data: Any, room_cap: int, n: int) -> TierSpec:
    cap = data.draw(st.integers(1, room_cap), label="tier cap")
    if data.draw(st.booleans(), label="pay what you want"):
        return TierSpec(f"T{n}", Money(1500, "USD"), cap, minimum_price=Money(500, "USD"),
                        suggested_price=Money(1500, "USD"))
    return TierSpec(f"T{n}", Money(data.draw(st.integers(100, 5000), label="price"), "USD"), cap,
                    hidden=data.draw(st.booleans(), label="hidden"))


def _rows(db: Any, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
    return db.query(sql, params)


def _open_offers(box: Any) -> list[Offer]:
    """Every offer the event log made and did not end (read from the log, not the guard tables)."""
    made = [n.originator_id for n in box.recorder.select_notifications(start=1, limit=1_000_000)
            if n.topic.endswith(":Offer.Made")]
    return [o for o in (box.uow.load(Offer, UUID(str(i)), "offer") for i in made) if o.status == "offered"]


def _check_caps(services: Any, rooms: list[Any], codes: dict[str, UUID | None]) -> None:
    box, db = services.app, services.db
    tickets = [box.get_ticket(UUID(r["ticket_id"])) for r in _rows(db, "SELECT ticket_id FROM seat_holds")]
    offers = _open_offers(box)
    if offers:
        event("an offer holds a seat")
    for room in rooms:
        (inv,) = _rows(db, "SELECT capacity, taken, on_sale FROM seat_inventory WHERE room_id = %s", (str(room.id),))
        live = [t for t in tickets if t.room_id == room.id and t.status in LIVE]
        held = [o for o in offers if o.room_id == room.id]
        assert inv["taken"] == len(live) + len(held) <= inv["capacity"]
        assert max(Counter(t.holder_id for t in live).values(), default=0) <= 1  # one live ticket per listener
        by_tier = Counter(str(t.tier_id) for t in live) + Counter(str(o.tier_id) for o in held)
        tiers = _rows(db, "SELECT tier_id, capacity, taken, closed FROM tier_inventory WHERE room_id = %s", (str(room.id),))
        for tier in tiers:
            assert tier["taken"] == by_tier[tier["tier_id"]] <= tier["capacity"], tier
        # Nobody waits while their tier and the room have a seat (unless they hold a ticket already).
        has_seat = {t["tier_id"] for t in tiers if t["taken"] < t["capacity"] and not t["closed"]}
        holders = {t.holder_id for t in live}
        if inv["taken"] < inv["capacity"] and inv["on_sale"]:
            waiting = _rows(db, "SELECT holder_id, tier_id FROM waitlist WHERE room_id = %s AND status = 'waiting'",
                            (str(room.id),))
            assert not [w for w in waiting if w["tier_id"] in has_seat and w["holder_id"] not in holders], waiting
    holds = {r["ticket_id"]: r["holder_id"] for r in _rows(db, "SELECT ticket_id, holder_id FROM seat_holds WHERE live")}
    assert holds == {str(t.id): t.holder_id for t in tickets if t.status in LIVE}
    for code, code_id in codes.items():
        (row,) = _rows(db, "SELECT used, max_uses FROM code_inventory WHERE code_id = %s", (str(code_id),))
        spent = [t for t in tickets if t.code == code and t.status in USES]
        assert row["used"] == len(spent) <= row["max_uses"], (code, row, len(spent))
        assert all(t.price_amount == t.list_amount - t.discount_amount >= 100 for t in spent)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_every_cap_holds_and_the_catalog_rebuilds_the_same(migrated_template, data) -> None:  # noqa: ANN001, F811
    with fresh_services(migrated_template) as services:
        box, clock = services.app, services.clock
        host = a_creator(box, "host")
        rooms = []
        for r in range(data.draw(st.integers(1, 2), label="rooms")):
            cap = data.draw(st.integers(2, 6), label="room cap")
            specs = [_tier(data, cap, n) for n in range(data.draw(st.integers(1, 3), label="tiers"))]
            room, _ = box.open_room(host, title=f"Room {r}", scheduled_start=clock.now() + timedelta(days=1),
                                    price=None, capacity=cap, tiers=specs)
            rooms.append(room)
        hidden = [UUID(t.id) for t in box.get_room(rooms[0].id).tiers.values() if t.hidden]
        promo, _ = box.create_code(host, "ROOM", room_id=rooms[0].id, percent_off=data.draw(st.integers(1, 100)),
                                   max_uses=data.draw(st.integers(1, 3), label="room code uses"),
                                   unlocks_tier_ids=hidden)
        wide, _ = box.create_code(host, "WIDE", amount_off=Money(data.draw(st.integers(1, 2000)), "USD"),
                                  max_uses=data.draw(st.integers(1, 3), label="wide code uses"))
        codes = {"room": promo.id, "wide": wide.id}
        sold: list[UUID] = []
        for step in range(data.draw(st.integers(5, 25), label="steps")):
            operation = data.draw(st.sampled_from(OPERATIONS), label="operation")
            room = box.get_room(rooms[data.draw(st.integers(0, len(rooms) - 1), label="room")].id)
            tier_ids = [None, *(UUID(t) for t in room.tiers)]
            try:
                if operation == "buy":
                    purchase = box.buy_ticket(
                        room.id, f"fan-{step}", tier_id=data.draw(st.sampled_from(tier_ids), label="tier"),
                        code=data.draw(st.sampled_from([None, "room", "WIDE", "nope"]), label="code"),
                        amount=data.draw(st.sampled_from([None, 300, 800, 2500]), label="amount"),
                        payment_method=data.draw(st.sampled_from([None, "pm_card_chargeDeclined"]), label="card"))
                    sold.append(purchase.ticket.id)
                elif operation == "refund" and sold:
                    ticket = box.get_ticket(data.draw(st.sampled_from(sold), label="ticket"))
                    box.refund_ticket(host, ticket.id, amount=None, reason="requested_by_customer", key="full")
                elif operation == "resize":
                    tier_id = data.draw(st.sampled_from([str(t) for t in tier_ids[1:]]), label="tier")
                    box.change_tier(host, room.id, tier_id, capacity=data.draw(st.integers(1, room.capacity)))
                elif operation == "close":
                    box.close_tier(host, room.id, data.draw(st.sampled_from([str(t) for t in tier_ids[1:]])))
                elif operation == "transfer" and sold:
                    ticket = box.get_ticket(data.draw(st.sampled_from(sold), label="ticket"))
                    receiver = data.draw(st.sampled_from([f"fan-{k}" for k in range(step + 1)]), label="receiver")
                    box.transfer_ticket(ticket.holder_id, ticket.id, receiver)
                elif operation == "sell_out":  # a rush: buyers until the room or their tiers are sold out
                    for k in range(room.capacity):
                        try:
                            sold.append(box.buy_ticket(room.id, f"rush-{step}-{k}", tier_id=data.draw(
                                st.sampled_from(tier_ids), label="tier")).ticket.id)
                        except DomainError:
                            pass
                    inv = box.uow.guards.inventory(room.id)
                    open_tiers = [t for t in inv.tiers if not t.hidden and not t.closed]
                    full_ids = {t.tier_id for t in open_tiers if inv.taken >= inv.capacity or t.taken >= t.capacity}
                    full = [t for t in tier_ids[1:] if t in full_ids]  # in the room's order, not the ids' (random)
                    for k in range(data.draw(st.integers(0, 3), label="then in line") if full else 0):
                        box.join_waitlist(f"line-{step}-{k}", room.id, data.draw(st.sampled_from(full), label="tier"))
                        event("joined after a rush")
                elif operation == "join":
                    box.join_waitlist(f"fan-{data.draw(st.integers(0, step), label='fan')}", room.id,
                                      data.draw(st.sampled_from(tier_ids), label="tier"))
                elif operation == "offer_buy" and (open_offers := _open_offers(box)):
                    offer = open_offers[data.draw(st.integers(0, len(open_offers) - 1), label="offer")]
                    purchase = box.buy_with_offer(offer.id, offer.holder_id, payment_method=data.draw(
                        st.sampled_from([None, "pm_card_chargeDeclined"]), label="card"))
                    sold.append(purchase.ticket.id)
                    event(f"offer bought: {purchase.ticket.status}")
                elif operation == "leave":
                    box.leave_waitlist(f"fan-{data.draw(st.integers(0, step), label='fan')}", room.id)
                elif operation == "expire":
                    clock.advance(minutes=data.draw(st.sampled_from([5, 15, 16]), label="minutes"))
                    box.expire_offers()
                elif operation == "add_tier":
                    box.add_tier(host, room.id, _tier(data, room.capacity, len(tier_ids)))
                event(operation if operation not in ("transfer", "refund", "offer_buy") or sold else "nothing to do")
            except DomainError as refused:
                event(f"{operation} refused: {refused.code}")
            _check_caps(services, rooms, {"room": codes["room"], "wide": codes["wide"]})
        projector = services.projector
        projector.catch_up()
        live = projection_tables(projector, ["catalog", "waitlist"])
        projector.rebuild("catalog")
        projector.rebuild("waitlist")
        assert projection_tables(projector, ["catalog", "waitlist"]) == live
