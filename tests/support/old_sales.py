"""The same log as older code wrote it: each `Ticket.Sold` as the `Ticket.Reserved` and `Ticket.Paid` it stands for.

Before `Sold` (domain/sales/sold.py), an instant sale appended `Reserved` then `Paid` in one transaction.
`as_reserved_and_paid` rewrites a log of (position, event) that way, the two events made by the domain's
own `reserve` and `pay` from the `Sold`'s facts. Positions double, so that both logs can be compared
table for table: an event at p moves to 2p, and a `Sold` at p becomes `Reserved` at 2p - 1 and `Paid` at 2p
(the position a read row keeps is its last event's).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.money import Money
from domain.policies import Split
from domain.sales.model import Seat, Ticket


def reserved_and_paid(sold: Any) -> list[Any]:
    """`Ticket.Reserved` and `Ticket.Paid` for the facts of one `Ticket.Sold`, as `reserve` and `pay` record them."""
    seat = Seat(id=sold.originator_id, room_id=sold.room_id, host_id=sold.host_id, holder_id=sold.holder_id,
                price_amount=sold.price_amount, price_currency=sold.price_currency, reserved_at=sold.reserved_at,
                hold_expires_at=sold.hold_expires_at, idempotency_key=sold.idempotency_key, tier_id=sold.tier_id,
                list_amount=sold.list_amount, discount_amount=sold.discount_amount, code=sold.code)
    ticket = Ticket.reserve(**seat.reservation())
    ticket.pay(split=Split(sold.gross, sold.creator_share, sold.commission, sold.currency, sold.policy_version),
               fee=Money(sold.fee, sold.fee_currency), net=Money(sold.net, sold.fee_currency),
               exchange_rate=sold.exchange_rate, provider=sold.provider, payment_id=sold.payment_id,
               charge_id=sold.charge_id, balance_transaction_id=sold.balance_transaction_id,
               lifetime_before=sold.lifetime_before, at=sold.paid_at, seat_held=True)
    return list(ticket.collect_events())


def as_reserved_and_paid(events: Iterable[tuple[int, Any]]) -> list[tuple[int, Any]]:
    out: list[tuple[int, Any]] = []
    for position, event in events:
        if type(event).__qualname__ == "Ticket.Sold":
            reserved, paid = reserved_and_paid(event)
            out += [(2 * position - 1, reserved), (2 * position, paid)]
        else:
            out.append((2 * position, event))
    return out


def doubled(events: Iterable[tuple[int, Any]]) -> list[tuple[int, Any]]:
    """The log as it is, at the positions `as_reserved_and_paid` gives it."""
    return [(2 * position, event) for position, event in events]


def kinds(events: Iterable[tuple[int, Any]]) -> list[str]:
    return [type(event).__qualname__ for _, event in events]
