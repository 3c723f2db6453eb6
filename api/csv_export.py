"""CSV exports that a spreadsheet cannot turn into formulas.

Finance opens these files in spreadsheets. A cell whose text starts with `=`,
`+`, `-`, `@`, a tab or a carriage return is read as a formula (a refund
`reason` of `=HYPERLINK(...)` would arrive live), so every such text cell is
prefixed with `'` (OWASP, "CSV Injection"). Numbers stay numbers: an integer
amount, negative or not, is written as the number it is and never quoted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from fastapi.responses import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """One CSV cell: numbers as they are, dates in ISO 8601, text neutralised."""
    if value is None or isinstance(value, bool) or isinstance(value, int | float):
        return value
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(rows: Iterable[dict[str, Any]], columns: Sequence[str], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: cell(v) for k, v in row.items()})
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
