"""The catalog's and the ledger's handlers, run against in-memory views (tests/support/memory_views.py).

The events come from the application on the in-memory store; no database is involved. What the
SQL views add (kept balances, rollups, both engines) is covered by
tests/integration/projections/test_projection_views.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from domain.application import BoxOffice
from projections.catalog import CatalogProjection
from projections.ledger import LedgerProjection, UnbalancedEntryError, available, pending
from tests.support.memory_views import MemoryCatalogView, MemoryLedgerView
from tests.unit.builders import host, open_room, unique


def log(box: BoxOffice) -> list[tuple[int, Any]]:
    return [(n.id, box.mapper.to_domain_event(n)) for n in box.recorder.select_notifications(start=1, limit=100_000)]


def test_a_sale_posts_one_balanced_entry_and_holds_the_creators_share_pending(box: BoxOffice) -> None:
    room = open_room(box, capacity=5, price=2_000)
    ticket = box.buy_ticket(room.id, unique("listener")).ticket
    view = MemoryLedgerView()

    LedgerProjection().apply_to(view, log(box))

    assert view.kinds() == ["sale"]
    assert sum(p[4] for p in view.postings) == 0
    share = ticket.split.creator_share
    assert view.balance(pending(room.host_id)) == -share
    assert view.pending(str(room.id)) == {"USD": share}


def test_a_full_refund_reverses_the_share_still_pending(box: BoxOffice) -> None:
    room = open_room(box, capacity=5, price=2_000)
    ticket = box.buy_ticket(room.id, unique("listener")).ticket
    box.refund_ticket(room.host_id, ticket.id, amount=None, reason="requested_by_customer", key="full")
    view = MemoryLedgerView()

    LedgerProjection().apply_to(view, log(box))

    assert view.kinds() == ["sale", "refund", "refund_paid"]
    assert view.balance(pending(room.host_id)) == 0
    assert view.pending(str(room.id)) == {"USD": 0}


def test_released_earnings_move_from_pending_to_available_and_later_sales_earn_straight_into_available(
        box: BoxOffice, clock: Any) -> None:
    room = open_room(box, capacity=5, price=2_000)
    first = box.buy_ticket(room.id, unique("listener")).ticket
    box.start_room(room.host_id, room.id)
    box.end_room(room.host_id, room.id)
    ended = box.get_room(room.id)
    ended.release_earnings(as_of=clock.now(), at=clock.now())
    box.uow.save(ended)
    events = log(box)
    view = MemoryLedgerView()
    LedgerProjection().apply_to(view, events)
    share = first.split.creator_share

    assert view.kinds() == ["sale", "earnings_released"]
    assert view.balance(pending(room.host_id)) == 0
    assert view.balance(available(room.host_id)) == -share
    assert view.rooms[str(room.id)]["released"] is True


def test_an_unbalanced_entry_stops_the_ledger(box: BoxOffice) -> None:
    room = open_room(box, capacity=5, price=2_000)
    box.buy_ticket(room.id, unique("listener"))
    (sale,) = [(p, e) for p, e in log(box) if type(e).__qualname__ == "Ticket.Sold"]
    object.__setattr__(sale[1], "commission", sale[1].commission + 1)  # a split that no longer adds up
    view = MemoryLedgerView()

    with pytest.raises(UnbalancedEntryError):
        LedgerProjection().apply_to(view, [sale])


def test_the_catalog_counts_paid_tickets_and_a_won_dispute_gives_access_back(box: BoxOffice) -> None:
    room = open_room(box, capacity=5, price=2_000, host_id=host(box))
    kept, disputed = (box.buy_ticket(room.id, unique("listener")).ticket for _ in range(2))
    box.open_dispute(disputed.id, "dp_1", disputed.price_amount)
    opened = log(box)
    view = MemoryCatalogView()
    CatalogProjection().apply_to(view, opened)
    revoked = (view.rooms[str(room.id)]["paid_count"], view.tickets[str(disputed.id)]["status"])

    box.close_dispute(disputed.id, "dp_1", True)
    CatalogProjection().apply_to(view, log(box)[len(opened):])

    assert revoked == (1, "revoked")
    assert view.rooms[str(room.id)]["paid_count"] == 2
    assert view.tickets[str(disputed.id)]["status"] == "paid"
    assert view.tickets[str(kept.id)]["status"] == "paid"
    assert view.cast == {(str(room.id), room.host_id): "host"}
