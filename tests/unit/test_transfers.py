"""Giving a ticket away on the in-memory store: one live ticket per listener holds for the receiver.

The hold changes holder in the same transaction as `Ticket.Transferred`
(the guard `transfer_hold`); a refused transfer writes nothing.
"""

from __future__ import annotations

import pytest

from domain.errors import AlreadyHoldsTicketError
from domain.sales.model import TicketStatus
from domain.sales.transfers import NotTransferableError
from tests.unit.builders import events_since, names, open_room


def test_a_given_ticket_is_the_receivers_one_live_ticket_and_the_giver_may_buy_again(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=3)
    gift = box.buy_ticket(room.id, "ann").ticket
    start = box.uow.position()

    given, _, replayed = box.transfer_ticket("ann", gift.id, "ben")

    assert not replayed and given.holder_id == "ben" and given.status is TicketStatus.PAID
    assert names(events_since(box, start)) == ["Ticket.Transferred"]
    with pytest.raises(AlreadyHoldsTicketError):
        box.buy_ticket(room.id, "ben")
    assert box.buy_ticket(room.id, "ann").ticket.status is TicketStatus.PAID
    assert box.uow.guards.inventory(room.id).taken == 2


def test_a_ticket_is_not_given_to_a_listener_who_holds_one_and_nothing_is_written(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=3)
    gift = box.buy_ticket(room.id, "ann").ticket
    box.buy_ticket(room.id, "ben")
    start = box.uow.position()

    with pytest.raises(NotTransferableError) as refused:
        box.transfer_ticket("ann", gift.id, "ben")

    assert refused.value.extra == {"rule": "receiver_holds_ticket"}
    assert events_since(box, start) == []
    assert box.get_ticket(gift.id).holder_id == "ann"


def test_the_same_gift_sent_twice_at_once_is_one_transfer_replayed(box, monkeypatch) -> None:  # noqa: ANN001
    room = open_room(box, capacity=3)
    gift = box.buy_ticket(room.id, "ann").ticket
    commit = box.uow.transact

    def twin_commits_first(decide, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        monkeypatch.setattr(box.uow, "transact", commit)
        box.transfer_ticket("ann", gift.id, "ben", idempotency_key="gift-1")  # the twin, between load and commit
        return commit(decide, *args, **kwargs)

    monkeypatch.setattr(box.uow, "transact", twin_commits_first)
    start = box.uow.position()

    given, position, replayed = box.transfer_ticket("ann", gift.id, "ben", idempotency_key="gift-1")

    assert replayed and position is None and given.holder_id == "ben"
    assert names(events_since(box, start)) == ["Ticket.Transferred"]
