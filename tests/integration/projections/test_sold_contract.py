"""A log of `Ticket.Sold` projects to the very tables the same sales as `Reserved` then `Paid` project to.

Since domain/sales/sold.py, a sandbox sale is one `Ticket.Sold`; logs written before hold `Reserved`
and `Paid` (and bench/seed.py still writes them). One story is told through the application (sales in
two rooms and currencies, a code's discount, a decline, a gift, a full and a partial refund, a lost dispute,
earnings released, a sale settled in another currency); its log is then projected twice on each
engine, as it is and with each `Sold` rewritten as the two events it stands for
(tests/support/old_sales.py), all at once and a few events at a time, and every table of every
projection must come out the same: the catalog, the ledger's entries and postings, its kept balances
and their history, the movement days and the revenue rollups.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from domain.money import Money
from domain.policies import CommissionPolicy
from domain.sales.model import Seat, Ticket
from store.db import Database
from tests.integration.projections.support import a_room, domain_events, unique
from tests.integration.projections.support import engine  # noqa: F401 - the fixture
from tests.integration.projections.test_projection_views import SUFFIX, projected
from tests.support.old_sales import as_reserved_and_paid, doubled, kinds


def an_fx_sale(room: Any, at: Any) -> Any:
    """A EUR ticket settled in USD, sold at once (the sandbox settles in the ticket's currency; Stripe would not)."""
    seat = Seat(id=uuid.uuid4(), room_id=room.id, host_id=room.host_id, holder_id=unique("listener"),
                price_amount=2_000, price_currency="EUR", reserved_at=at, hold_expires_at=at + timedelta(minutes=10),
                idempotency_key=None, tier_id=room.id, list_amount=2_000)
    ticket = Ticket.sell(seat, split=CommissionPolicy().split(seat.price, 0), fee=Money(88, "USD"),
                         net=Money(2_090, "USD"), exchange_rate="1.0890", provider="stripe", payment_id="pi_fx",
                         charge_id="ch_fx", balance_transaction_id="txn_fx", lifetime_before=0, at=at)
    return ticket.collect_events()[0]


@pytest.fixture
def story(services: Any, clock: Any) -> dict[str, Any]:
    box = services.app
    host = unique("host")
    usd = a_room(box, host, amount=1_500, capacity=10)
    eur = a_room(box, unique("host"), amount=999, currency="EUR", capacity=10)
    box.create_code(host, "SPRING", percent_off=20, room_id=usd.id)
    sold = [box.buy_ticket(usd.id, unique("listener")).ticket for _ in range(3)]
    sold += [box.buy_ticket(eur.id, unique("listener")).ticket for _ in range(2)]
    sold.append(box.buy_ticket(usd.id, unique("listener"), code="SPRING").ticket)
    box.buy_ticket(usd.id, unique("listener"), payment_method="pm_card_chargeDeclined")
    box.transfer_ticket(sold[2].holder_id, sold[2].id, unique("friend"))
    box.refund_ticket(host, sold[0].id, amount=None, reason="requested_by_customer", key="full")
    box.refund_ticket(eur.host_id, sold[3].id, amount=300, reason="requested_by_customer", key="part", as_admin=True)
    box.open_dispute(sold[1].id, "dp_1", sold[1].price_amount)
    box.close_dispute(sold[1].id, "dp_1", False)
    box.start_room(host, usd.id)
    box.end_room(host, usd.id)
    ended = box.get_room(usd.id)
    ended.release_earnings(as_of=clock.now(), at=clock.now())
    box.uow.save(ended)
    box.buy_ticket(eur.id, unique("listener"))  # after the release: straight into available
    events = domain_events(box)
    events.append((events[-1][0] + 1, an_fx_sale(eur, clock.now())))
    return {"events": events, "projections": services.projector.projections}


def test_the_story_sells_with_one_event_a_sale(story: dict[str, Any]) -> None:
    events = kinds(story["events"])

    assert events.count("Ticket.Sold") == 8
    assert "Ticket.Paid" not in events and events.count("Ticket.Reserved") == 1  # the decline
    assert kinds(as_reserved_and_paid(story["events"])).count("Ticket.Paid") == 8


@pytest.mark.parametrize("batch", [None, 3])
def test_sold_and_reserved_then_paid_project_the_same_tables(engine: Database, story: dict[str, Any],  # noqa: F811
                                                             batch: int | None) -> None:
    sold = projected(engine, story["projections"], doubled(story["events"]), batch)
    old = projected(engine, story["projections"], as_reserved_and_paid(story["events"]), batch)

    assert {table: len(found) for table, found in sold.items()} == {table: len(found) for table, found in old.items()}
    assert sold == old
    sales = engine.query(f"SELECT kind, COUNT(*) AS n FROM ledger_entries{SUFFIX} GROUP BY kind")
    assert {r["kind"]: int(r["n"]) for r in sales}["sale"] == 8  # the tables compared are the old log's
    paid = engine.query(f"SELECT status, COUNT(*) AS n FROM tickets_view{SUFFIX} GROUP BY status")
    assert {r["status"]: int(r["n"]) for r in paid} == {"paid": 6, "refunded": 1, "revoked": 1, "released": 1}
