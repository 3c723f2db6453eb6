"""The processor's fee is booked in the currency it was charged in (issue 12, item 3).

Stripe settles a charge into the platform's settlement currency: a EUR ticket
on a USD platform lands as USD, and its fee and net are USD. The sale (gross,
creator share, commission) stays in EUR; the fee is posted in USD; the two
currencies are bridged by `platform:fx_clearing`, so each currency's trial
balance is zero and reconciliation matches the USD balance transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from fastapi.testclient import TestClient

from api.main import create_app
from domain.clock import FrozenClock
from domain.sales.model import Ticket
from payouts.stripe_gateway import StripeGateway
from projections.ledger import CASH, COMMISSION, FEES, FX_CLEARING
from tests.integration.payouts.builders import STRIPE_KEY, WHSEC, Desk, a_listener, iso
from tests.stripe_standin import StripeStandIn, stripe_fee

RATE = "1.0850"  # 1 EUR = 1.085 USD
MARCH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))


@pytest.fixture
def usd_desk(make_services: Any, sqlite_url: str, clock: FrozenClock) -> Iterator[Desk]:
    """The app on a Stripe stand-in whose platform settles every charge in USD."""
    with StripeStandIn(clock=lambda: int(clock.now().timestamp()), settlement_currency="usd",
                       exchange_rates={"eur": RATE}) as standin:
        gateway = StripeGateway(STRIPE_KEY, api_base=standin.url, max_network_retries=2, timeout=2.0)
        services = make_services(sqlite_url, gateway=gateway, stripe_secret_key=STRIPE_KEY,
                                 stripe_webhook_secret=WHSEC)
        with TestClient(create_app(services), raise_server_exceptions=False) as http:
            yield Desk(http, services, clock, standin)


def a_eur_sale_paid_by_webhook(desk: Desk, price: int = 2_000) -> dict[str, Any]:
    maya = desk.a_creator()
    room = desk.a_room(maya, price=price, currency="EUR")
    r = desk.http.post(f"/v1/rooms/{room}/tickets", headers=a_listener().headers)
    assert r.status_code == 201 and r.json()["status"] == "reserved", r.text
    ticket = r.json()
    assert desk.stripe is not None
    desk.stripe.succeed_payment(ticket["payment"]["payment_id"])
    desk.deliver("payment_intent.succeeded", object_id=ticket["payment"]["payment_id"])
    desk.caught_up()
    return ticket


def test_a_eur_ticket_settled_in_usd_records_the_fee_in_usd_with_the_rate(usd_desk: Desk) -> None:
    ticket = a_eur_sale_paid_by_webhook(usd_desk)

    (event,) = [e for e in _events_of(usd_desk, UUID(ticket["id"])) if isinstance(e, Ticket.Paid)]
    settled = 2_170  # 2,000 EUR cents x 1.085, in USD cents
    assert (event.gross, event.currency) == (2_000, "EUR")
    assert (event.fee, event.net, event.fee_currency) == (stripe_fee(settled), settled - stripe_fee(settled), "USD")
    assert event.exchange_rate == "1.085"


def test_each_currencys_trial_balance_stays_zero_with_the_fee_in_usd(usd_desk: Desk) -> None:
    a_eur_sale_paid_by_webhook(usd_desk)
    fee = stripe_fee(2_170)

    assert usd_desk.trial_balance() == {"EUR": 0, "USD": 0}
    assert usd_desk.balance(FEES, "USD") == fee and usd_desk.balance(FEES, "EUR") == 0
    assert usd_desk.balance(CASH, "USD") == 2_170 - fee and usd_desk.balance(CASH, "EUR") == 0
    assert (usd_desk.balance(FX_CLEARING, "EUR"), usd_desk.balance(FX_CLEARING, "USD")) == (2_000, -2_170)
    assert usd_desk.balance(COMMISSION, "EUR") == -(2_000 - 2_000 * 97 // 100)


def test_the_revenue_report_shows_the_fee_in_usd_and_the_sale_in_eur(usd_desk: Desk) -> None:
    a_eur_sale_paid_by_webhook(usd_desk)

    r = usd_desk.http.get("/v1/reports/revenue", params={"by": "creator"}, headers=usd_desk.finance.headers)

    assert r.status_code == 200, r.text
    rows = {row["currency"]: row for row in r.json()["items"]}
    assert (rows["EUR"]["gross"], rows["EUR"]["fees"], rows["EUR"]["tickets"]) == (2_000, 0, 1)
    assert (rows["USD"]["gross"], rows["USD"]["fees"], rows["USD"]["tickets"]) == (0, stripe_fee(2_170), 0)


def test_reconciliation_matches_the_usd_balance_transaction_of_a_eur_sale(usd_desk: Desk) -> None:
    a_eur_sale_paid_by_webhook(usd_desk)

    r = usd_desk.http.get("/v1/reconciliation", params={"from": iso(MARCH[0]), "to": iso(MARCH[1])},
                          headers=usd_desk.finance.headers)

    result = r.json()
    assert r.status_code == 200 and result["clean"] is True, r.text
    (line,) = result["items"]
    assert (line["category"], line["type"], line["currency"]) == ("matched", "charge", "USD")
    assert (line["ledger_amount"], line["ledger_fee"]) == (2_170, stripe_fee(2_170))


def test_an_old_paid_event_without_a_fee_currency_reads_in_the_tickets_currency(usd_desk: Desk) -> None:
    """Events stored before version 2 are upcast: fee in the ticket's currency, net = gross - fee, no rate."""
    ticket = a_eur_sale_paid_by_webhook(usd_desk)
    app = usd_desk.services.app
    (stored,) = [n for n in app.recorder.select_notifications(start=1, limit=10_000)
                 if n.topic.endswith("Ticket.Paid") and n.originator_id == UUID(ticket["id"])]
    state = json.loads(stored.state)
    for new_field in ("fee_currency", "net", "exchange_rate", "class_version"):
        state.pop(new_field)
    state["fee"] = 88
    old = StoredEvent(stored.originator_id, stored.originator_version, stored.topic, json.dumps(state).encode())

    event = app.mapper.to_domain_event(old)

    assert isinstance(event, Ticket.Paid) and type(event).class_version == 2
    assert (event.fee, event.fee_currency, event.net, event.exchange_rate) == (88, "EUR", 2_000 - 88, None)


def _events_of(desk: Desk, ticket_id: UUID) -> list[Any]:
    app = desk.services.app
    return [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(start=1, limit=10_000)
            if n.originator_id == ticket_id]
