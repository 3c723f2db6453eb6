"""Finance's dates at the ends of the calendar are answered, never a 500 (found by fuzzing, docs/fuzzing.md).

Reconciliation widens its range by two days and a payout run looks a refund window back from
`as_of`: both overflowed Python's datetime at year 1 and year 9999.
"""

from __future__ import annotations

import pytest

from tests.api.builders import finance

FIRST, LAST = "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"


@pytest.mark.parametrize(("start", "end"), [(FIRST, "2026-03-01T00:00:00Z"), ("2026-03-01T00:00:00Z", LAST)],
                         ids=["from year 1", "to year 9999"])
def test_a_reconciliation_over_the_ends_of_the_calendar_is_answered(client, start, end):
    response = client.get("/v1/reconciliation", params={"from": start, "to": end}, headers=finance().headers)

    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


def test_a_dry_payout_run_as_of_year_one_releases_and_pays_nothing(client):
    response = client.post("/v1/payout-runs", json={"as_of": FIRST, "dry_run": True}, headers=finance().headers)

    assert response.status_code in (200, 201), response.text
    assert response.json()["payouts"] == []
