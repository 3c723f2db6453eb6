"""Exports of any size: CSV and NDJSON bodies written a chunk at a time from row iterators.

A finance export is a whole period (a month can be a million postings), so it
is never built in memory: the query streams rows (store/db.py, `stream`),
these generators turn every few thousand into one chunk of the body, and
`StreamingResponse` sends each as it comes. Cells go through the shared
`api.csv_export.cell`: text that starts like a spreadsheet formula is
neutralised, numbers are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson
from fastapi.responses import StreamingResponse

from api.csv_export import cell
from domain.money import CURRENCY_EXPONENTS
from store.timecodes import from_us

ROWS_PER_CHUNK = 2_000


def csv_chunks(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for n, row in enumerate(rows, 1):
        writer.writerow([cell(row.get(c)) for c in columns])
        if n % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def ndjson_chunks(items: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    lines: list[bytes] = []
    for item in items:
        lines.append(orjson.dumps(item, option=orjson.OPT_APPEND_NEWLINE))
        if len(lines) >= ROWS_PER_CHUNK:
            yield b"".join(lines)
            lines = []
    yield b"".join(lines)


def streamed(chunks: Iterator[Any], media_type: str, filename: str) -> StreamingResponse:
    return StreamingResponse(chunks, media_type=media_type,
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def major_units(amount: int, currency: str) -> str:
    """Minor units as a decimal string in the currency's major unit (1234 USD -> "12.34"), exactly."""
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    if exponent == 0:
        return str(amount)
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10 ** exponent)
    return f"{sign}{whole}.{fraction:0{exponent}d}"


JOURNAL_COLUMNS = ("date", "entry_id", "account", "debit", "credit", "currency", "memo", "references")


def journal_rows(postings: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """General-journal lines an accounting tool imports: one per posting, debit or credit in major
    units, the entry's kind and memo, and its references (processor id, ticket, room, creator)."""
    for p in postings:
        amount = int(p["amount"])
        at = from_us(p["occurred_us"])
        refs = [f"{name}={p[key]}" for name, key in (("ref", "reference"), ("ticket", "ticket_id"),
                                                      ("room", "room_id"), ("creator", "creator_id")) if p[key]]
        yield {
            "date": at.date().isoformat() if at else "", "entry_id": p["entry_id"], "account": p["account"],
            "debit": major_units(amount, p["currency"]) if amount > 0 else "",
            "credit": major_units(-amount, p["currency"]) if amount < 0 else "",
            "currency": p["currency"], "memo": p["kind"] + (f": {p['memo']}" if p["memo"] else ""),
            "references": " ".join(refs),
        }
