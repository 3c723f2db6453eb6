"""Finance reads the ledger and revenue reports; creators read their own earnings.

Every list is also CSV when asked with `Accept: text/csv`. Ledger entries page
as JSON by cursor; as CSV or NDJSON (`Accept: application/x-ndjson`, or
`format=`) they stream the whole filtered period, without a page limit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from api.openapi import EXPORTS, STREAMS
from api.auth import Finance
from api.csv_export import csv_response
from api.deps import EarningsReader, FreshReads, RevenueReader, ServicesDep
from api.exports import JOURNAL_COLUMNS, csv_chunks, journal_rows, ndjson_chunks, streamed
from api.presenters import cursor_int, decode_cursor, encode_cursor
from api.problems import Problem
from api.schemas import UtcDatetime
from store.timecodes import from_us as us_to_datetime
from store.timecodes import to_us
from projections.queries import balances as balance_queries
from projections.queries import earnings as earnings_queries
from projections.queries import entries as entry_queries
from projections.queries import revenue as revenue_queries

ENTRY_CSV_COLUMNS = ("entry_id", "kind", "occurred_at", "currency", "account", "amount", "room_id", "creator_id",
                     "ticket_id", "reference", "memo", "position")

router = APIRouter(tags=["finance"])


def wants_csv(request: Request) -> bool:
    return "text/csv" in request.headers.get("accept", "")


def _range(from_: datetime | None, to: datetime | None) -> tuple[int | None, int | None]:
    if from_ and to and to <= from_:
        raise Problem("validation", "`to` must be after `from`")
    return to_us(from_), to_us(to)


def _db(services: ServicesDep):  # noqa: ANN202
    return services.db


@router.get("/v1/ledger/accounts", dependencies=[FreshReads], responses=EXPORTS)
def ledger_accounts(
    request: Request,
    user: Finance,
    services: ServicesDep,
    as_of: UtcDatetime | None = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    prefix: Annotated[str | None, Query(max_length=200, description="e.g. creator:maya: or platform:")] = None,
) -> Response:
    """Every account's balance (debits positive, credits negative), optionally as of a past moment,
    with the trial balance per currency (always zero)."""
    rows = balance_queries.balances(_db(services), to_us(as_of), currency, prefix)
    if wants_csv(request):
        return csv_response(rows, ("account", "currency", "balance", "debits", "credits", "postings"), "accounts.csv")
    return JSONResponse({
        "as_of": as_of.isoformat() if as_of else None,
        "accounts": rows,
        "trial_balance": balance_queries.trial_balance(rows),
    })


def _format(request: Request, asked: str | None) -> str:
    if asked:
        return asked
    accept = request.headers.get("accept", "")
    return "csv" if "text/csv" in accept else "ndjson" if "application/x-ndjson" in accept else "json"


@router.get("/v1/ledger/entries", dependencies=[FreshReads], responses=STREAMS)
def ledger_entries(
    request: Request,
    user: Finance,
    services: ServicesDep,
    account: Annotated[str | None, Query(max_length=200)] = None,
    from_: Annotated[UtcDatetime | None, Query(alias="from")] = None,
    to: UtcDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
    format: Literal["json", "csv", "ndjson", "journal"] | None = None,  # noqa: A002
) -> Response:
    """Journal entries in log order, each with its balanced postings; `from` inclusive, `to` exclusive.

    JSON: a page of `limit` entries and a `next_cursor`. CSV (one line per posting), NDJSON (one
    entry per line) and `journal` (a general-journal CSV an accounting tool imports) stream every
    entry of the filter, in the same order, with no page limit.
    """
    start, end = _range(from_, to)
    chosen = _format(request, format)
    if chosen != "json":
        if cursor:
            raise Problem("validation", "a cursor pages JSON; CSV and NDJSON exports stream the whole range")
        return _export(_db(services), chosen, account=account, from_us=start, to_us=end)
    after = None
    if cursor:
        position, entry_id = decode_cursor(cursor, 2)
        after = (cursor_int(position), entry_id)
    items = entry_queries.entries(_db(services), account=account, from_us=start, to_us=end,
                                  after=after, limit=limit + 1)
    page = items[:limit]
    next_cursor = encode_cursor(page[-1]["position"], page[-1]["entry_id"]) if len(items) > limit else None
    for e in page:
        e["occurred_at"] = e["occurred_at"].isoformat()
    return JSONResponse({"items": page, "next_cursor": next_cursor})


def _export(db: Any, chosen: str, **filters: Any) -> Response:
    if chosen == "ndjson":
        items = ({**e, "occurred_at": e["occurred_at"].isoformat()} for e in entry_queries.stream_entries(db, **filters))
        return streamed(ndjson_chunks(items), "application/x-ndjson", "entries.ndjson")
    postings = entry_queries.stream_postings(db, **filters)
    if chosen == "journal":
        return streamed(csv_chunks(journal_rows(postings), JOURNAL_COLUMNS), "text/csv; charset=utf-8",
                        "general-journal.csv")
    rows = ({**p, "occurred_at": us_to_datetime(p["occurred_us"])} for p in postings)
    return streamed(csv_chunks(rows, ENTRY_CSV_COLUMNS), "text/csv; charset=utf-8", "entries.csv")


@router.get("/v1/reports/revenue", dependencies=[FreshReads], responses=EXPORTS)
def revenue_report(
    request: Request,
    allowed: RevenueReader,
    services: ServicesDep,
    by: Literal["room", "creator", "day"] = "room",
    from_: Annotated[UtcDatetime | None, Query(alias="from")] = None,
    to: UtcDatetime | None = None,
    creator_id: Annotated[str | None, Query(max_length=128)] = None,
) -> Response:
    """Gross, refunds, fees, commission, creator share and net per room, creator or UTC day, and
    currency. Finance reads every creator; a creator reads their own (`creator_id` = themselves)."""
    start, end = _range(from_, to)
    rows = revenue_queries.revenue(_db(services), by=by, from_us=start, to_us=end, creator_id=creator_id)
    key = {"room": ("room_id", "creator_id"), "creator": ("creator_id",), "day": ("day",)}[by]
    columns = (*key, "currency", *revenue_queries.REPORT_COLUMNS, "net")
    if wants_csv(request):
        return csv_response(rows, columns, f"revenue-by-{by}.csv")
    totals: dict[str, dict[str, int]] = {}
    for row in rows:
        t = totals.setdefault(row["currency"], dict.fromkeys((*revenue_queries.REPORT_COLUMNS, "net"), 0))
        for c in t:
            t[c] += row[c]
    return JSONResponse({"by": by, "from": from_.isoformat() if from_ else None, "to": to.isoformat() if to else None,
                         "items": rows, "totals": totals})


@router.get("/v1/creators/{creator_id}/earnings", dependencies=[FreshReads], responses=EXPORTS)
def creator_earnings(request: Request, creator_id: str, allowed: EarningsReader, services: ServicesDep) -> Response:
    """A creator's earnings per currency: pending (held), available, in transit, paid out, lifetime:
    for the creator, finance and admins."""
    services.app.get_creator(creator_id)
    rows = earnings_queries.creator_earnings(_db(services), creator_id)
    if wants_csv(request):
        return csv_response(rows, ("currency", "pending", "available", "in_transit", "paid", "lifetime"), "earnings.csv")
    rooms = revenue_queries.revenue(_db(services), by="room", from_us=None, to_us=None, creator_id=creator_id)
    return JSONResponse({"creator_id": creator_id, "earnings": rows, "rooms": rooms})
