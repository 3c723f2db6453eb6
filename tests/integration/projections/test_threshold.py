"""The 97% / 80% revenue share, to the cent, from the sale through the ledger to the creator's earnings.

ARCHITECTURE.md, "Money rules": the creator's share is 97% of the part of the
gross within their first 50,000.00 of lifetime ticket revenue (per currency,
net of refunds) and 80% of the part beyond; a crossing sale is split at the
threshold, each part rounded down. Example: 60 tickets at 999.00 -> 5,645,200
minor units for the creator.

Rooms and creators are made over HTTP; the sales call the application
directly (sixty HTTP purchases would add time, not coverage).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from tests.api.builders import Caller, a_host, a_room, finance, price
from tests.integration.projections.support import SALES, domain_events, kind, projected

TICKET = 99_900  # 999.00, the highest price allowed
WITHIN = TICKET * 9_700 // 10_000  # 96,903: a sale wholly under the threshold
BEYOND = TICKET * 8_000 // 10_000  # 79,920: a sale wholly past it
# The 51st sale: lifetime before it is 50 x 999.00 = 49,950.00, so 50.00 falls within and 949.00 beyond.
CROSSING = 5_000 * 9_700 // 10_000 + 94_900 * 8_000 // 10_000  # 4,850 + 75,920 = 80,770


def a_999_room(client: TestClient, host: Caller, currency: str = "USD") -> UUID:
    return UUID(a_room(client, host, ticket_price=price(TICKET, currency), capacity=200)["id"])


def sell(box: Any, room_id: UUID, count: int, first: int = 0) -> list[Any]:
    """`count` tickets to new listeners, paid at once on the sandbox; the Ticket aggregates in order."""
    return [box.buy_ticket(room_id, f"listener-{room_id.hex[:6]}-{i}").ticket for i in range(first, first + count)]


def shares(tickets: list[Any]) -> list[int]:
    return [t.split.creator_share for t in tickets]


def earnings(client: TestClient, host: Caller) -> dict[str, dict[str, int]]:
    response = client.get(f"/v1/creators/{host.sub}/earnings", headers=host.headers)
    assert response.status_code == 200, response.text
    return {row["currency"]: row for row in response.json()["earnings"]}


def ledger_balances(client: TestClient, prefix: str) -> dict[tuple[str, str], int]:
    response = client.get("/v1/ledger/accounts", params={"prefix": prefix}, headers=finance().headers)
    assert response.status_code == 200, response.text
    return {(a["account"], a["currency"]): a["balance"] for a in response.json()["accounts"]}


def test_the_sale_that_crosses_50000_is_split_at_the_threshold_each_part_rounded_down(client, box) -> None:  # noqa: ANN001
    host = a_host(client)
    room_id = a_999_room(client, host)

    tickets = sell(box, room_id, 52)

    assert shares(tickets[:50]) == [WITHIN] * 50
    crossing = tickets[50]
    assert (crossing.split.creator_share, crossing.split.commission) == (CROSSING, TICKET - CROSSING)
    assert crossing.split.creator_share == 4_850 + 75_920
    assert tickets[51].split.creator_share == BEYOND
    paid = [e for _, e in domain_events(box) if kind(e) in SALES and e.originator_id == crossing.id]
    assert [(e.lifetime_before, e.policy_version) for e in paid] == [(50 * TICKET, "tiered-97-80-v1")]


def test_sixty_tickets_at_999_earn_the_creator_5645200_pending_in_the_api_and_the_ledger(client, services) -> None:  # noqa: ANN001
    host = a_host(client)
    room_id = a_999_room(client, host)

    tickets = sell(services.app, room_id, 60)
    projected(services)

    assert sum(shares(tickets)) == 5_645_200 == 5_000_000 * 97 // 100 + 994_000 * 80 // 100
    usd = earnings(client, host)["USD"]
    assert (usd["pending"], usd["available"], usd["lifetime"]) == (5_645_200, 0, 5_645_200)
    books = ledger_balances(client, f"creator:{host.sub}:")
    assert books == {(f"creator:{host.sub}:pending", "USD"): -5_645_200}
    commission = ledger_balances(client, "platform:commission")[("platform:commission", "USD")]
    assert commission == -(60 * TICKET - 5_645_200)


def test_a_refund_that_drops_lifetime_below_the_threshold_brings_later_sales_back_to_97_percent(client, services) -> None:  # noqa: ANN001
    box = services.app
    host = a_host(client)
    room_id = a_999_room(client, host)
    sold = sell(box, room_id, 51)  # lifetime 50,949.00: past the threshold

    # Two full refunds take lifetime back to 48,951.00.
    for ticket in sold[:2]:
        response = client.post(f"/v1/tickets/{ticket.id}/refund", headers=host.headers)
        assert response.status_code == 200, response.text
    back_under, crossing_again, past_again = sell(box, room_id, 3, first=51)

    assert back_under.split.creator_share == WITHIN  # 48,951.00 + 999.00 stays within
    assert crossing_again.split.creator_share == CROSSING  # 49,950.00 before it again
    assert past_again.split.creator_share == BEYOND
    projected(services)
    kept = 48 * WITHIN + CROSSING  # the first 51 sales less the two refunded ones
    assert earnings(client, host)["USD"]["pending"] == kept + WITHIN + CROSSING + BEYOND


def test_euro_revenue_counts_toward_its_own_threshold(client, services) -> None:  # noqa: ANN001
    box = services.app
    host = a_host(client)
    dollars = a_999_room(client, host, "USD")
    euros = a_999_room(client, host, "EUR")
    sell(box, dollars, 51)  # past 50,000.00 USD

    euro_sale = box.buy_ticket(euros, "listener-euro").ticket
    dollar_sale = box.buy_ticket(dollars, "listener-dollar").ticket

    assert (euro_sale.split.currency, euro_sale.split.creator_share) == ("EUR", WITHIN)
    assert (dollar_sale.split.currency, dollar_sale.split.creator_share) == ("USD", BEYOND)
    projected(services)
    by_currency = earnings(client, host)
    assert by_currency["EUR"]["pending"] == WITHIN
    assert by_currency["USD"]["pending"] == 50 * WITHIN + CROSSING + BEYOND
