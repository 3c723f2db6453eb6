"""The 97/80 split on the in-memory store (ARCHITECTURE.md, "Money rules").

The creator's share is 97% of the gross within their first 50,000.00 of
lifetime ticket revenue (per currency, paid minus refunded) and 80% beyond;
a sale that crosses the threshold is split at it; each part rounds down and
the commission is the rest. Every sale records its split in `Ticket.Paid` (`Ticket.Sold` here, on the sandbox).
"""

from __future__ import annotations

from domain.money import Money
from tests.unit.builders import events_since, host, names, open_room

TOP_PRICE = 99_900  # 999.00, the price policy's maximum


def test_sixty_tickets_at_999_pay_the_creator_5_645_200(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=60, price=TOP_PRICE)

    tickets = [box.buy_ticket(room.id, f"listener-{i}").ticket for i in range(60)]

    creator = sum(t.split.creator_share for t in tickets)
    assert creator == 5_645_200  # 50,000.00 x 97% + 9,940.00 x 80%
    assert sum(t.split.commission for t in tickets) == 60 * TOP_PRICE - creator
    assert box.uow.guards.lifetime_revenue(room.host_id, "USD") == 60 * TOP_PRICE


def test_the_sale_that_crosses_the_threshold_is_split_at_it(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=60, price=TOP_PRICE)
    for i in range(50):  # 49,950.00: 50.00 short of the threshold
        box.buy_ticket(room.id, f"listener-{i}")
    start = box.uow.position()

    crossing = box.buy_ticket(room.id, "crosser").ticket
    after = box.buy_ticket(room.id, "after").ticket

    assert crossing.split.creator_share == 5_000 * 97 // 100 + 94_900 * 80 // 100  # 4,850 + 75,920
    assert after.split.creator_share == TOP_PRICE * 80 // 100
    paid = [e for e in events_since(box, start) if names([e]) == ["Ticket.Sold"]]
    assert [(e.creator_share, e.commission, e.lifetime_before) for e in paid] == [
        (80_770, 19_130, 4_995_000), (79_920, 19_980, 5_094_900)]
    assert {e.policy_version for e in paid} == {"tiered-97-80-v1"}


def test_a_refund_lowers_the_lifetime_revenue_the_next_split_starts_from(box) -> None:  # noqa: ANN001
    room = open_room(box, capacity=60, price=TOP_PRICE)
    sold = [box.buy_ticket(room.id, f"listener-{i}").ticket for i in range(51)]  # past the threshold
    box.refund_ticket(room.host_id, sold[-1].id, amount=None, reason="host", key="r1")  # back to 49,950.00

    again = box.buy_ticket(room.id, "again").ticket

    assert box.uow.guards.lifetime_revenue(room.host_id, "USD") == 51 * TOP_PRICE
    assert again.split.creator_share == 5_000 * 97 // 100 + 94_900 * 80 // 100  # crosses at the same point again


def test_the_threshold_counts_each_creator_and_currency_apart(box) -> None:  # noqa: ANN001
    maya = host(box)
    big = open_room(box, capacity=51, price=TOP_PRICE, host_id=maya)
    for i in range(51):
        box.buy_ticket(big.id, f"listener-{i}")
    other = open_room(box, price=TOP_PRICE)
    euros, _ = box.open_room(maya, title="Euros", scheduled_start=None, price=Money(TOP_PRICE, "EUR"), capacity=3)

    theirs = box.buy_ticket(other.id, "listener-0").ticket
    in_euros = box.buy_ticket(euros.id, "listener-0").ticket
    in_dollars = box.buy_ticket(open_room(box, price=TOP_PRICE, host_id=maya).id, "listener-0").ticket

    assert theirs.split.creator_share == in_euros.split.creator_share == TOP_PRICE * 97 // 100
    assert in_dollars.split.creator_share == TOP_PRICE * 80 // 100
