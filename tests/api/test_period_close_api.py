"""Period close over HTTP: per account opening + movements = closing, tied to the trial balance.

The story, with the frozen clock (2026-03-02 18:00 UTC):

  day 1 18:00  creator A sells two tickets at 10.00 USD
  day 1 23:30  A sells one more; a dispute opens on the first
  day 2 01:00  A refunds the second in full; the dispute is lost
  day 2 13:00  A sells one at 20.00 EUR

Fees on the sandbox: 2.9% + 0.30, rounded half up: 59 on 10.00, 88 on 20.00.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.builders import NOW, assert_problem, finance, iso
from tests.integration.projections.support import a_paid_ticket, a_room, projected, unique

MOVEMENTS = ("sales", "fees", "refunds", "disputes", "releases", "payouts", "reversals", "fx", "other")


@pytest.fixture
def two_days(services: Any, clock: Any) -> str:
    box = services.app
    a = unique("creator-a")
    usd, eur = a_room(box, a, amount=1_000), a_room(box, a, amount=2_000, currency="EUR")
    first, second = a_paid_ticket(box, usd.id), a_paid_ticket(box, usd.id)
    clock.advance(hours=5, minutes=30)
    a_paid_ticket(box, usd.id)
    box.open_dispute(first.id, "dp_1", 1_000)
    clock.advance(hours=1, minutes=30)
    box.refund_ticket(a, second.id, amount=None, reason="requested_by_customer", key="full")
    box.close_dispute(first.id, "dp_1", False)
    clock.advance(hours=12)
    a_paid_ticket(box, eur.id)
    projected(services)
    return a


def period(client: TestClient, **params: Any) -> Any:
    response = client.get("/v1/reports/period", params=params, headers=finance().headers)
    assert response.status_code == 200, response.text
    return response.json()


def assert_closes(body: dict[str, Any]) -> None:
    for row in body["accounts"]:
        assert row["opening"] + sum(row[m] for m in MOVEMENTS) == row["closing"], row
    for currency, total in body["totals"].items():
        assert total["opening"] == total["closing"] == 0, currency
        assert sum(total[m] for m in MOVEMENTS) == 0, currency
    assert set(body["trial_balance"].values()) <= {0}


@pytest.mark.parametrize("start,end", [
    (NOW - timedelta(days=1), NOW + timedelta(days=3)),  # the whole story, whole days
    (NOW + timedelta(hours=2), NOW + timedelta(hours=10)),  # cuts through both days
    (NOW + timedelta(hours=5, minutes=31), NOW + timedelta(hours=7, minutes=1)),  # inside one night
    (NOW + timedelta(hours=6), NOW + timedelta(days=1, hours=6)),  # midnight to midnight
])
def test_opening_plus_movements_is_closing_for_every_account_and_every_period(client, two_days, start, end) -> None:  # noqa: ANN001
    body = period(client, **{"from": iso(start), "to": iso(end)})

    assert_closes(body)
    accounts = client.get("/v1/ledger/accounts", params={"as_of": iso(end - timedelta(microseconds=1))},
                          headers=finance().headers).json()
    closing = {(r["account"], r["currency"]): r["closing"] for r in body["accounts"]}
    for a in accounts["accounts"]:
        assert closing[(a["account"], a["currency"])] == a["balance"], a


def test_a_period_through_the_night_shows_each_kind_of_movement_and_the_platforms_result(client, two_days) -> None:  # noqa: ANN001
    body = period(client, **{"from": iso(NOW + timedelta(hours=5)), "to": iso(NOW + timedelta(hours=8)),
                             "currency": "USD"})

    rows = {r["account"]: r for r in body["accounts"]}
    cash = rows["platform:cash"]
    # Opening: two sales net of fees. In the period: one sale (1,000 - 59), the dispute hold, the refund paid.
    assert (cash["opening"], cash["sales"], cash["fees"], cash["disputes"], cash["refunds"]) == (
        2 * (1_000 - 59), 1_000, -59, -1_000, -1_000)
    assert cash["closing"] == 2 * (1_000 - 59) + 1_000 - 59 - 1_000 - 1_000
    assert rows["platform:processor_fees"]["fees"] == 59
    assert rows["platform:refunds_payable"]["closing"] == 0  # owed to the buyer, and paid (sandbox) at once
    # The platform kept 3% of the new sale, gave back 3% of the refunded and of the lost ticket.
    usd = body["platform"]["USD"]
    assert usd["commission"] == 30 - 30 - 30
    assert usd["result"] == usd["commission"] - usd["processor_fees"] - usd["dispute_losses"]
    assert usd["processor_fees"] == 59
    assert usd["cash_closing"] == cash["closing"]
    assert list(body["totals"]) == ["USD"]
    assert_closes(body)


def test_the_period_as_csv_says_what_the_json_says(client, two_days) -> None:  # noqa: ANN001
    params = {"from": iso(NOW + timedelta(hours=2)), "to": iso(NOW + timedelta(days=1))}
    as_json = period(client, **params)

    response = client.get("/v1/reports/period", params=params, headers={**finance().headers, "Accept": "text/csv"})

    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [{k: (v if k in ("account", "currency") else int(v)) for k, v in r.items()} for r in rows] == \
        as_json["accounts"]


def test_a_period_that_ends_before_it_starts_is_a_validation_problem(client, two_days) -> None:  # noqa: ANN001
    response = client.get("/v1/reports/period", params={"from": iso(NOW), "to": iso(NOW)}, headers=finance().headers)

    assert_problem(response, 422, "validation")


def test_the_general_journal_has_a_debit_or_a_credit_per_posting_and_each_entry_balances(client, two_days) -> None:  # noqa: ANN001
    response = client.get("/v1/ledger/entries", params={"format": "journal"}, headers=finance().headers)

    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == ["date", "entry_id", "account", "debit", "credit", "currency", "memo", "references"]
    totals: dict[str, int] = {}
    for r in rows:
        assert bool(r["debit"]) != bool(r["credit"]), r
        cents = int((r["debit"] or r["credit"]).replace(".", ""))
        totals[r["entry_id"]] = totals.get(r["entry_id"], 0) + (cents if r["debit"] else -cents)
    assert set(totals.values()) == {0}
    sale = next(r for r in rows if r["entry_id"].startswith("sale:") and r["account"] == "platform:cash")
    assert (sale["date"], sale["debit"], sale["currency"]) == ("2026-03-02", "10.00", "USD")
    assert "ticket=" in sale["references"] and sale["memo"].startswith("sale")
