"""Finance reads the ledger and revenue reports over HTTP; creators read only their own earnings.

One story for every test (the `books` fixture), with the frozen clock:

  18:00  creator A sells two tickets at 10.00 USD, creator B one at 5.00 USD
  19:00  A sells one at 20.00 EUR; A refunds one USD ticket in full; an admin
         refunds 2.00 of B's ticket

Every sale splits 97% / 3% (lifetimes stay far below 50,000.00); the sandbox
fee is 2.9% + 0.30, rounded half up: 59 on 10.00, 45 on 5.00, 88 on 20.00.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from domain.ids import refund_id_for
from domain.money import Money
from domain.rooms.commands import RoomChanges
from tests.api.builders import NOW, Caller, a_listener, assert_problem, finance, iso
from tests.conftest import bearer
from tests.integration.projections.support import a_paid_ticket, a_room, projected, unique

LATER = NOW + timedelta(hours=1)
BETWEEN = NOW + timedelta(minutes=30)


@dataclass(frozen=True)
class Books:
    a: Caller
    b: Caller
    usd_room: str  # A's, 10.00 USD
    eur_room: str  # A's, 20.00 EUR
    b_room: str  # B's, 5.00 USD
    tickets: dict[str, str]  # name -> ticket id


@pytest.fixture
def books(client: TestClient, services: Any, clock: Any) -> Books:
    box = services.app
    a, b = unique("creator-a"), unique("creator-b")
    usd_room, eur_room = a_room(box, a, amount=1_000), a_room(box, a, amount=2_000, currency="EUR")
    b_room = a_room(box, b, amount=500)
    # 18:00
    a1, a2 = a_paid_ticket(box, usd_room.id), a_paid_ticket(box, usd_room.id)
    b1 = a_paid_ticket(box, b_room.id)
    # 19:00
    clock.advance(hours=1)
    e1 = a_paid_ticket(box, eur_room.id)
    box.refund_ticket(a, a1.id, amount=None, reason="requested_by_customer", key="full")
    box.refund_ticket("admin-1", b1.id, amount=200, reason="goodwill", key="goodwill", as_admin=True)
    projected(services)
    return Books(Caller(a, bearer(a, "creator")), Caller(b, bearer(b, "creator")), str(usd_room.id),
                 str(eur_room.id), str(b_room.id), {"a1": str(a1.id), "a2": str(a2.id), "b1": str(b1.id),
                                                    "e1": str(e1.id)})


def get(client: TestClient, path: str, caller: Caller | None = None, **params: Any) -> Any:
    response = client.get(path, params=params, headers=(caller or finance()).headers)
    assert response.status_code == 200, response.text
    return response.json()


def get_csv(client: TestClient, path: str, caller: Caller | None = None, **params: Any) -> list[dict[str, str]]:
    response = client.get(path, params=params, headers={**(caller or finance()).headers, "Accept": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def balances(body: dict[str, Any]) -> dict[tuple[str, str], int]:
    return {(a["account"], a["currency"]): a["balance"] for a in body["accounts"]}


def report_rows(body: dict[str, Any], key: str) -> dict[tuple[str, str], dict[str, int]]:
    columns = ("tickets", "gross", "refunds", "fees", "commission", "creator_share", "net")
    return {(r[key], r["currency"]): {c: r[c] for c in columns} for r in body["items"]}


def figures(tickets: int, gross: int, refunds: int, fees: int, commission: int, creator_share: int) -> dict[str, int]:
    return {"tickets": tickets, "gross": gross, "refunds": refunds, "fees": fees, "commission": commission,
            "creator_share": creator_share, "net": gross - refunds}


# --- account balances ----------------------------------------------------------------------------


def test_account_balances_follow_sales_and_refunds_and_the_trial_balance_is_zero(client, books) -> None:  # noqa: ANN001
    body = get(client, "/v1/ledger/accounts")

    assert balances(body) == {
        ("platform:cash", "USD"): 2_000 - 118 + 500 - 45 - 1_000 - 200,
        ("platform:cash", "EUR"): 2_000 - 88,
        ("platform:processor_fees", "USD"): 118 + 45,
        ("platform:processor_fees", "EUR"): 88,
        ("platform:commission", "USD"): -(60 + 15) + 30 + 6,
        ("platform:commission", "EUR"): -60,
        ("platform:refunds_payable", "USD"): 0,
        (f"creator:{books.a.sub}:pending", "USD"): -(1_940 - 970),
        (f"creator:{books.a.sub}:pending", "EUR"): -1_940,
        (f"creator:{books.b.sub}:pending", "USD"): -(485 - 194),
    }
    assert body["trial_balance"] == {"USD": 0, "EUR": 0}


def test_balances_as_of_a_past_moment_leave_out_what_happened_later(client, books) -> None:  # noqa: ANN001
    body = get(client, "/v1/ledger/accounts", as_of=iso(BETWEEN))

    assert body["as_of"] == iso(BETWEEN)
    assert balances(body) == {
        ("platform:cash", "USD"): 2_000 - 118 + 500 - 45,
        ("platform:processor_fees", "USD"): 163,
        ("platform:commission", "USD"): -75,
        (f"creator:{books.a.sub}:pending", "USD"): -1_940,
        (f"creator:{books.b.sub}:pending", "USD"): -485,
    }
    assert body["trial_balance"] == {"USD": 0}


def test_balances_can_be_narrowed_to_a_currency_and_an_account_prefix(client, books) -> None:  # noqa: ANN001
    body = get(client, "/v1/ledger/accounts", currency="EUR", prefix=f"creator:{books.a.sub}:")

    assert balances(body) == {(f"creator:{books.a.sub}:pending", "EUR"): -1_940}


# --- journal entries -----------------------------------------------------------------------------


def all_pages(client: TestClient, limit: int, **params: Any) -> list[dict[str, Any]]:
    pages, cursor = [], None
    while True:
        body = get(client, "/v1/ledger/entries", limit=limit, **params, **({"cursor": cursor} if cursor else {}))
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 20, "paging does not end"


def test_entries_of_an_account_come_page_by_page_in_log_order(client, books) -> None:  # noqa: ANN001
    t = books.tickets

    pages = all_pages(client, limit=4, account="platform:cash")

    assert [len(p) for p in pages] == [4, 2]
    entries = [e for p in pages for e in p]
    assert [(e["kind"], e["ticket_id"]) for e in entries] == [
        ("sale", t["a1"]), ("sale", t["a2"]), ("sale", t["b1"]), ("sale", t["e1"]),
        ("refund_paid", t["a1"]), ("refund_paid", t["b1"])]
    positions = [e["position"] for e in entries]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert all(sum(p["amount"] for p in e["postings"]) == 0 for e in entries)


def test_entries_from_is_inclusive_and_to_is_exclusive(client, books) -> None:  # noqa: ANN001
    t = books.tickets

    later = [e for p in all_pages(client, limit=100, **{"from": iso(LATER)}) for e in p]
    earlier = [e for p in all_pages(client, limit=100, to=iso(LATER)) for e in p]

    assert [(e["kind"], e["ticket_id"]) for e in later] == [
        ("sale", t["e1"]), ("refund", t["a1"]), ("refund_paid", t["a1"]), ("refund", t["b1"]),
        ("refund_paid", t["b1"])]
    assert [(e["kind"], e["ticket_id"]) for e in earlier] == [("sale", t["a1"]), ("sale", t["a2"]), ("sale", t["b1"])]
    assert {datetime.fromisoformat(e["occurred_at"]) for e in later} == {LATER}


def test_a_sale_entry_carries_its_whole_split(client, books) -> None:  # noqa: ANN001
    (page,) = all_pages(client, limit=100, account=f"creator:{books.b.sub}:pending")

    sale = page[0]

    assert (sale["entry_id"], sale["kind"], sale["currency"], sale["room_id"], sale["creator_id"]) == (
        f"sale:{books.tickets['b1']}", "sale", "USD", books.b_room, books.b.sub)
    assert sorted((p["account"], p["amount"]) for p in sale["postings"]) == sorted([
        ("platform:cash", 500), (f"creator:{books.b.sub}:pending", -485), ("platform:commission", -15),
        ("platform:processor_fees", 45), ("platform:cash", -45)])


# --- revenue reports -----------------------------------------------------------------------------------


def test_revenue_by_room_reports_gross_fees_commission_share_refunds_and_net(client, books) -> None:  # noqa: ANN001
    body = get(client, "/v1/reports/revenue", by="room")

    assert report_rows(body, "room_id") == {
        (books.usd_room, "USD"): figures(tickets=1, gross=2_000, refunds=1_000, fees=118, commission=30,
                                         creator_share=970),
        (books.eur_room, "EUR"): figures(tickets=1, gross=2_000, refunds=0, fees=88, commission=60,
                                         creator_share=1_940),
        (books.b_room, "USD"): figures(tickets=1, gross=500, refunds=200, fees=45, commission=9, creator_share=291),
    }
    assert all(r["net"] == r["commission"] + r["creator_share"] for r in body["items"])
    assert body["totals"]["USD"]["net"] == 1_300 and body["totals"]["EUR"]["gross"] == 2_000


def test_revenue_by_creator_adds_up_each_creators_rooms_per_currency(client, books) -> None:  # noqa: ANN001
    body = get(client, "/v1/reports/revenue", by="creator")

    assert report_rows(body, "creator_id") == {
        (books.a.sub, "USD"): figures(1, 2_000, 1_000, 118, 30, 970),
        (books.a.sub, "EUR"): figures(1, 2_000, 0, 88, 60, 1_940),
        (books.b.sub, "USD"): figures(1, 500, 200, 45, 9, 291),
    }


def test_revenue_in_a_window_counts_what_happened_in_it(client, books) -> None:  # noqa: ANN001
    before = get(client, "/v1/reports/revenue", by="room", to=iso(LATER))
    after = get(client, "/v1/reports/revenue", by="room", **{"from": iso(LATER)})

    assert report_rows(before, "room_id") == {
        (books.usd_room, "USD"): figures(2, 2_000, 0, 118, 60, 1_940),
        (books.b_room, "USD"): figures(1, 500, 0, 45, 15, 485),
    }
    assert report_rows(after, "room_id") == {
        (books.usd_room, "USD"): figures(-1, 0, 1_000, 0, -30, -970),
        (books.eur_room, "EUR"): figures(1, 2_000, 0, 88, 60, 1_940),
        (books.b_room, "USD"): figures(0, 0, 200, 0, -6, -194),
    }


def test_a_window_that_ends_before_it_starts_is_a_validation_problem(client, books) -> None:  # noqa: ANN001
    response = client.get("/v1/reports/revenue", params={"from": iso(LATER), "to": iso(NOW)},
                        headers=finance().headers)

    assert_problem(response, 422, "validation")


# --- CSV -------------------------------------------------------------------------------------------------


def test_accounts_as_csv_say_what_the_json_says(client, books) -> None:  # noqa: ANN001
    rows = get_csv(client, "/v1/ledger/accounts")

    as_json = balances(get(client, "/v1/ledger/accounts"))
    assert {(r["account"], r["currency"]): int(r["balance"]) for r in rows} == as_json
    assert set(rows[0]) == {"account", "currency", "balance", "debits", "credits", "postings"}


def test_entries_as_csv_have_one_line_per_posting(client, books) -> None:  # noqa: ANN001
    rows = get_csv(client, "/v1/ledger/entries", account=f"creator:{books.b.sub}:pending")

    by_entry: dict[str, int] = {}
    for r in rows:
        by_entry[r["entry_id"]] = by_entry.get(r["entry_id"], 0) + int(r["amount"])
    goodwill = refund_id_for(UUID(books.tickets["b1"]), "goodwill")
    assert by_entry == {f"sale:{books.tickets['b1']}": 0, f"refund:{goodwill}": 0}
    assert len(rows) == 5 + 3  # the sale's five postings, the partial refund's three


def test_revenue_as_csv_says_what_the_json_says(client, books) -> None:  # noqa: ANN001
    rows = get_csv(client, "/v1/reports/revenue", by="creator")

    parsed = {(r["creator_id"], r["currency"]): {k: int(v) for k, v in r.items() if k not in ("creator_id", "currency")}
              for r in rows}
    assert parsed == report_rows(get(client, "/v1/reports/revenue", by="creator"), "creator_id")


def test_earnings_as_csv_list_each_currency(client, books) -> None:  # noqa: ANN001
    rows = get_csv(client, f"/v1/creators/{books.a.sub}/earnings", books.a)

    assert {r["currency"]: (int(r["pending"]), int(r["available"]), int(r["lifetime"])) for r in rows} == {
        "USD": (970, 0, 970), "EUR": (1_940, 0, 1_940)}


# --- who may read what ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/ledger/accounts", "/v1/ledger/entries", "/v1/reports/revenue"])
def test_the_ledger_and_reports_are_forbidden_to_anyone_but_finance(client, books, path) -> None:  # noqa: ANN001
    as_listener = client.get(path, headers=a_listener().headers)
    as_creator = client.get(path, headers=books.a.headers)
    as_media = client.get(path, headers=bearer("media-1", "media"))
    as_admin = client.get(path, headers=bearer("admin-1", "admin"))

    assert (as_listener.status_code, as_creator.status_code, as_media.status_code) == (403, 403, 403)
    assert as_admin.status_code == 200


def test_a_creator_sees_their_own_earnings(client, books) -> None:  # noqa: ANN001
    body = get(client, f"/v1/creators/{books.b.sub}/earnings", books.b)

    (usd,) = body["earnings"]
    assert (usd["currency"], usd["pending"], usd["available"], usd["lifetime"]) == ("USD", 291, 0, 291)
    assert [r["room_id"] for r in body["rooms"]] == [books.b_room]


def test_a_creator_may_not_see_another_creators_earnings(client, books) -> None:  # noqa: ANN001
    response = client.get(f"/v1/creators/{books.a.sub}/earnings", headers=books.b.headers)
    as_csv = client.get(f"/v1/creators/{books.a.sub}/earnings", headers={**books.b.headers, "Accept": "text/csv"})

    assert (response.status_code, as_csv.status_code) == (403, 403)


def test_finance_sees_any_creators_earnings(client, books) -> None:  # noqa: ANN001
    body = get(client, f"/v1/creators/{books.a.sub}/earnings")

    assert {e["currency"]: e["pending"] for e in body["earnings"]} == {"USD": 970, "EUR": 1_940}




def test_paging_never_skips_entries_that_share_a_log_position(client, services, clock) -> None:  # noqa: ANN001
    # Arrange: a room that sold in USD, then in EUR, ended, and had its earnings released:
    # one event, two release entries (one per currency) at the same position.
    box = services.app
    host = unique("creator")
    room = a_room(box, host, amount=1_000)
    a_paid_ticket(box, room.id)
    box.change_room(host, room.id, RoomChanges(price=Money(1_000, "EUR")))
    a_paid_ticket(box, room.id)
    box.start_room(host, room.id)
    box.end_room(host, room.id)
    ended = box.get_room(room.id)
    ended.release_earnings(as_of=clock.now(), at=clock.now())
    box.uow.save(ended)
    projected(services)
    account = f"creator:{host}:pending"
    (everything,) = all_pages(client, limit=100, account=account)
    assert [e["kind"] for e in everything] == ["sale", "sale", "earnings_released", "earnings_released"]
    assert everything[2]["position"] == everything[3]["position"]

    # Act: page through the same entries three at a time.
    paged = [e for page in all_pages(client, limit=3, account=account) for e in page]

    # Assert: every entry exactly once.
    assert [e["entry_id"] for e in paged] == [e["entry_id"] for e in everything]




def test_an_account_prefix_matches_literally_even_with_an_underscore(client, services) -> None:  # noqa: ANN001
    box = services.app
    for creator in ("ann_1", "annx1"):
        a_paid_ticket(box, a_room(box, creator).id)
    projected(services)

    body = get(client, "/v1/ledger/accounts", prefix="creator:ann_1:")

    assert {a["account"] for a in body["accounts"]} == {"creator:ann_1:pending"}
