"""Codes on the in-memory store: a discount taken off the list price, and `max_uses`, a guarded counter:
exactly that many live or paid tickets, a released seat's use given back.
"""

from __future__ import annotations

import pytest

from domain.sales.codes import CodeExhaustedError, CodeInvalidError
from domain.sales.model import TicketStatus
from tests.unit.builders import open_room


def test_a_code_takes_its_discount_off_the_list_price(box) -> None:  # noqa: ANN001
    room = open_room(box, price=2000)
    box.create_code(room.host_id, "FRIENDS", room_id=room.id, percent_off=25)

    ticket = box.buy_ticket(room.id, "ann", code="friends").ticket  # codes are case-insensitive

    assert (ticket.list_amount, ticket.discount_amount, ticket.price_amount) == (2000, 500, 1500)
    assert ticket.split.gross == 1500


def test_a_code_sells_at_most_max_uses_tickets(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=10)
    promo, _ = box.create_code(room.host_id, "TWO", room_id=room.id, percent_off=10, max_uses=2)
    box.buy_ticket(room.id, "ann", code="TWO")
    box.buy_ticket(room.id, "ben", code="TWO")

    with pytest.raises(CodeExhaustedError):
        box.buy_ticket(room.id, "cat", code="TWO")

    assert box.uow.guards.code_uses(promo.id) == 2
    assert box.buy_ticket(room.id, "cat").ticket.status is TicketStatus.PAID  # without the code


def test_a_declined_payment_gives_its_code_use_back(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=10)
    promo, _ = box.create_code(room.host_id, "ONE", room_id=room.id, percent_off=10, max_uses=1)

    declined = box.buy_ticket(room.id, "ann", code="ONE", payment_method="pm_card_chargeDeclined").ticket
    paid = box.buy_ticket(room.id, "ben", code="ONE").ticket

    assert declined.status is TicketStatus.RELEASED and paid.status is TicketStatus.PAID
    assert box.uow.guards.code_uses(promo.id) == 1


def test_an_expired_hold_gives_its_code_use_back(pending_box, clock) -> None:  # noqa: ANN001
    room = open_room(pending_box, capacity=10)
    promo, _ = pending_box.create_code(room.host_id, "ONE", room_id=room.id, percent_off=10, max_uses=1)
    pending_box.buy_ticket(room.id, "ann", code="ONE")
    clock.advance(minutes=16)

    pending_box.expire_holds()

    assert pending_box.uow.guards.code_uses(promo.id) == 0


def test_a_refund_keeps_the_use_spent_by_default(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=10)
    promo, _ = box.create_code(room.host_id, "ONE", room_id=room.id, percent_off=10, max_uses=1)
    ticket = box.buy_ticket(room.id, "ann", code="ONE").ticket

    box.refund_ticket(room.host_id, ticket.id, amount=None, reason="host", key="r1")

    assert box.uow.guards.code_uses(promo.id) == 1
    with pytest.raises(CodeExhaustedError):
        box.buy_ticket(room.id, "ann", code="ONE")


def test_an_unknown_code_or_another_rooms_is_refused(box) -> None:  # noqa: ANN001
    room, other = open_room(box), open_room(box)
    box.create_code(other.host_id, "ELSEWHERE", room_id=other.id, percent_off=10)

    with pytest.raises(CodeInvalidError):
        box.buy_ticket(room.id, "ann", code="NOPE")
    with pytest.raises(CodeInvalidError):
        box.buy_ticket(room.id, "ann", code="ELSEWHERE")
