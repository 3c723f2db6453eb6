"""Tiers in the event log: events stored before tiers load as one default tier, and the
catalog's tiers rebuild from the events to the same rows the live projector wrote."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent

from domain.money import Money
from domain.rooms.tiers import DEFAULT_TIER_NAME, TierSpec
from tests.integration.projections.support import a_creator, projection_tables, unique


def _as_version_1(box, stored: StoredEvent, *added: str) -> StoredEvent:  # noqa: ANN001
    """The same event as it was stored before its class's version 2: without the added fields."""
    state = orjson.loads(stored.state)
    for name in (*added, "class_version"):
        state.pop(name)
    return StoredEvent(stored.originator_id, stored.originator_version, stored.topic, orjson.dumps(state))


def test_a_room_and_a_ticket_stored_before_tiers_load_with_the_rooms_default_tier(box) -> None:  # noqa: ANN001
    host = a_creator(box)
    room, _ = box.open_room(host, title="Old", scheduled_start=None, price=Money(999, "USD"), capacity=7)
    # declined: `Reserved` then `Released` (a sandbox sale is one `Ticket.Sold`, a class still at version 1)
    ticket = box.buy_ticket(room.id, unique("listener"), payment_method="pm_card_chargeDeclined").ticket
    opened, reserved = (next(e for e in box.recorder.select_events(a.id) if e.originator_version == 1)
                        for a in (room, ticket))

    old_room = box.mapper.to_domain_event(_as_version_1(box, opened, "default_tier"))
    old_ticket = box.mapper.to_domain_event(
        _as_version_1(box, reserved, "tier_id", "list_amount", "discount_amount", "code"))

    assert old_room.default_tier is True
    assert (old_ticket.tier_id, old_ticket.list_amount, old_ticket.discount_amount, old_ticket.code) == (
        room.id, 999, 0, None)
    rebuilt = old_room.mutate(None)
    assert [(t.id, t.name, t.price_amount, t.capacity) for t in rebuilt.tiers.values()] == [
        (str(room.id), DEFAULT_TIER_NAME, 999, 7)]


def test_the_catalogs_tiers_rebuild_to_what_the_live_projector_wrote(services) -> None:  # noqa: ANN001
    box, projector, clock = services.app, services.projector, services.clock
    host = a_creator(box)
    one_price, _ = box.open_room(host, title="One", scheduled_start=None, price=Money(999, "USD"), capacity=9)
    tiered, _ = box.open_room(host, title="Tiered", scheduled_start=None, price=None, capacity=20, tiers=[
        TierSpec("Early", Money(500, "USD"), 5, sales_end=clock.now() + timedelta(days=1)),
        TierSpec("Secret", Money(700, "USD"), 5, hidden=True)])
    early, secret = list(tiered.tiers)
    _, vip, _ = box.add_tier(host, tiered.id, TierSpec("VIP", Money(5000, "USD"), 3))
    box.change_tier(host, tiered.id, early, price=Money(600, "USD"), capacity=6)
    box.close_tier(host, tiered.id, secret)
    box.change_tier(host, one_price.id, str(one_price.id), capacity=12)
    box.buy_ticket(tiered.id, unique("listener"), tier_id=UUID(vip))
    projector.catch_up()

    live = projection_tables(projector, ["catalog"])
    projector.rebuild("catalog")

    assert projection_tables(projector, ["catalog"]) == live
    rows = services.db.query("SELECT name, price_amount, capacity, closed FROM room_tiers_view"
                                       " ORDER BY room_id, added_position")
    assert sorted((r["name"], r["price_amount"], r["capacity"], bool(r["closed"])) for r in rows) == [
        ("Early", 600, 6, False), (DEFAULT_TIER_NAME, 999, 12, False), ("Secret", 700, 5, True), ("VIP", 5000, 3, False)]
