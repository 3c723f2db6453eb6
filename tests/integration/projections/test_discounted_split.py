"""A discounted sale: the ledger's gross is what was paid, and the 97/80 split applies to that, to the cent.

100 tickets at 999.00 with a 25%-off code: each pays 749.25. The creator's
first 50,000.00 of lifetime revenue earns 97%, the rest 80% (ARCHITECTURE.md,
"Money rules"); computed here by hand, as tests/integration/projections/test_threshold.py does.
"""

from __future__ import annotations

from uuid import UUID

from tests.api.builders import a_host, a_room, price
from tests.integration.projections.support import SALES, domain_events, kind, projected
from tests.integration.projections.test_threshold import earnings, ledger_balances

LIST = 99_900  # 999.00
PAID = 74_925  # 999.00 less 25% (249.75)
WITHIN = PAID * 9_700 // 10_000  # 72,677 (72,677.25 rounded down)
BEYOND = PAID * 8_000 // 10_000  # 59,940
# Sales 1-66 fall within 50,000.00 (66 x 749.25 = 49,450.50); the 67th has 549.50 within and 199.75 beyond.
CROSSING = 54_950 * 9_700 // 10_000 + 19_975 * 8_000 // 10_000  # 53,301 + 15,980 = 69,281
CREATOR = 66 * WITHIN + CROSSING + 33 * BEYOND  # 4,796,682 + 69,281 + 1,978,020 = 6,843,983


def test_100_tickets_with_25_percent_off_at_999_earn_the_creator_the_split_of_the_discounted_gross(client, services) -> None:  # noqa: ANN001
    box = services.app
    host = a_host(client)
    room_id = UUID(a_room(client, host, ticket_price=price(LIST), capacity=200)["id"])
    created = client.post(f"/v1/rooms/{room_id}/codes", json={"code": "QUARTER", "percent_off": 25},
                          headers=host.headers)
    assert created.status_code == 201, created.text

    tickets = [box.buy_ticket(room_id, f"fan-{i}", code="quarter").ticket for i in range(100)]
    projected(services)

    assert CREATOR == 6_843_983
    assert [t.split.gross for t in tickets] == [PAID] * 100
    assert [t.split.creator_share for t in tickets] == [WITHIN] * 66 + [CROSSING] + [BEYOND] * 33
    assert sum(t.split.creator_share for t in tickets) == CREATOR
    usd = earnings(client, host)["USD"]
    assert (usd["pending"], usd["lifetime"]) == (CREATOR, CREATOR)
    assert ledger_balances(client, f"creator:{host.sub}:") == {(f"creator:{host.sub}:pending", "USD"): -CREATOR}
    commission = ledger_balances(client, "platform:commission")[("platform:commission", "USD")]
    assert commission == -(100 * PAID - CREATOR)
    paid = [e for _, e in domain_events(box) if kind(e) in SALES]
    assert {(e.gross, e.list_amount, e.discount_amount, e.code) for e in paid} == {(PAID, LIST, 24_975, "quarter")}
