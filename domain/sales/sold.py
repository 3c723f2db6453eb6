"""A seat sold in one event: `Ticket.Sold`, recorded when an instant gateway's payment succeeds inside
the reservation's own transaction, with the seat held (the offline sandbox, domain/payments.py).

Until then such a sale appended two events for one ticket in one transaction, `Ticket.Reserved` and
`Ticket.Paid`, and each cost its encoding, an INSERT row, and a read and decode by the projector and by
every API process's admission tail (issue 14). `Sold` carries every fact of both; a ticket after it is
the ticket after `Reserved` then `Paid` (tests/unit/test_sold.py compares them), and every consumer of
the log treats it as those two events at its one position. Declines, paced and asynchronous gateways
(Stripe) record `Reserved`, `PaymentStarted`, `Paid` or `Released` as before, and old logs replay as
they were.

Three facts of `Paid` are not stored, because a sold ticket cannot make them differ from a reserved
one's: `gross` is the price charged (`price_amount`), `currency` the ticket's (`price_currency`) and
`creator_id` the host (`host_id`); and `seat_held` is always true. The event answers them as properties,
so a reader of `Paid` reads a `Sold` alike (projections/ledger.py).

Here: the event's fields (the aggregate's class declares `Ticket.Sold` on them, domain/sales/model.py),
a seat just claimed (`Seat`: what a ticket is reserved or sold with), and what `pay` and `sell` share:
the settlement's checks and the assignments of a payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.money import Money
from domain.policies import Split
from domain.sales.states import TicketStatus


@dataclass(frozen=True)
class Seat:
    """A seat just claimed for a holder, before its ticket is recorded: `Ticket.reserve`'s arguments."""

    id: UUID
    room_id: UUID
    host_id: str
    holder_id: str
    price_amount: int
    price_currency: str
    reserved_at: datetime
    hold_expires_at: datetime
    idempotency_key: str | None
    tier_id: UUID
    list_amount: int
    discount_amount: int = 0
    code: str | None = None

    @property
    def price(self) -> Money:
        return Money(self.price_amount, self.price_currency)

    def reservation(self) -> dict[str, Any]:
        """The keyword arguments of `Ticket.reserve` (and the reservation's part of `Ticket.Sold`)."""
        return dict(self.__dict__)


def settled(split: Split, fee: Money | None, net: Money | None, exchange_rate: str | None
            ) -> tuple[Money, Money, str | None]:
    """(fee, net, exchange rate) as a payment records them: `fee` and `net` in the settlement currency
    (None: the processor reported no fee, so nothing was taken: net is the gross), the rate only where
    the settlement currency is not the ticket's."""
    fee = fee if fee is not None else Money(0, split.currency)
    net = net if net is not None else Money(split.gross, split.currency) - fee
    if net.currency != fee.currency:
        raise ValueError(f"fee in {fee.currency} but net in {net.currency}")
    if fee.currency != split.currency and exchange_rate is None:
        raise ValueError(f"a {split.currency} sale settled in {fee.currency} needs the exchange rate")
    return fee, net, exchange_rate if fee.currency != split.currency else None


def assign_payment(ticket: Any, provider: str, payment_id: str, charge_id: str | None, split: Split, fee: int,
                   fee_currency: str, paid_at: datetime) -> None:
    """What money received changes on a ticket: `Ticket.Paid` and `Ticket.Sold` alike."""
    ticket.status = TicketStatus.PAID
    ticket.provider = provider
    ticket.payment_id = payment_id
    ticket.split = split
    ticket.fee = fee
    ticket.fee_currency = fee_currency
    ticket.paid_at = paid_at
    ticket.charge_id = charge_id


class SoldEvent(Aggregate.Created):
    """`Ticket.Sold`'s fields: `Ticket.Reserved`'s (v2), then `Ticket.Paid`'s (v2) but those above."""

    room_id: UUID
    host_id: str
    holder_id: str
    price_amount: int
    price_currency: str
    reserved_at: datetime
    hold_expires_at: datetime
    idempotency_key: str | None
    tier_id: UUID
    list_amount: int
    discount_amount: int
    code: str | None
    provider: str
    payment_id: str
    charge_id: str | None
    balance_transaction_id: str | None
    creator_share: int
    commission: int
    fee: int
    fee_currency: str
    net: int
    exchange_rate: str | None
    policy_version: str
    lifetime_before: int  # exact where the split depends on it (domain/guards.py, accrue_revenue)
    paid_at: datetime

    @property
    def creator_id(self) -> str:
        return self.host_id

    @property
    def gross(self) -> int:
        return self.price_amount

    @property
    def currency(self) -> str:
        return self.price_currency

    @property
    def seat_held(self) -> bool:
        return True

    def apply(self, aggregate: Any) -> None:
        """After the ticket's `__init__` (the reservation's assignments): the payment's."""
        assign_payment(aggregate, self.provider, self.payment_id, self.charge_id,
                       Split(self.price_amount, self.creator_share, self.commission, self.price_currency,
                             self.policy_version), self.fee, self.fee_currency, self.paid_at)
