"""Period close for finance: per account, opening balance, movements by kind, closing balance.

`GET /v1/reports/period?from=&to=&currency=` as JSON (with totals per currency
and the platform's result) or CSV (one line per account). The figures come
from projections/queries/period.py.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import AwareDatetime

from api.openapi import EXPORTS
from api.auth import Finance
from api.deps import FreshReads, ServicesDep
from api.exports import csv_chunks, streamed
from api.problems import Problem
from api.routers.finance import wants_csv
from projections.ledger_movements import MOVEMENTS
from projections.queries.period import period_report
from store.timecodes import to_us

router = APIRouter(tags=["finance"])

COLUMNS = ("account", "currency", "opening", *MOVEMENTS, "closing")


@router.get("/v1/reports/period", dependencies=[FreshReads], responses=EXPORTS)
def period(
    request: Request,
    user: Finance,
    services: ServicesDep,
    from_: Annotated[AwareDatetime, Query(alias="from")],
    to: AwareDatetime,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
) -> Response:
    """Opening + movements = closing for every account over [from, to); the closing balances of each
    currency sum to zero (the trial balance). `platform`: commission - processor fees - dispute
    losses, and the cash the processor should hold (`cash_closing`)."""
    if to <= from_:
        raise Problem("validation", "`to` must be after `from`")
    start, end = to_us(from_), to_us(to)
    assert start is not None and end is not None  # Safeguard: both are required parameters.
    report = period_report(services.db, start, end, currency)
    if wants_csv(request):
        return streamed(csv_chunks(report["accounts"], COLUMNS), "text/csv; charset=utf-8", "period.csv")
    return JSONResponse({
        "from": from_.isoformat(), "to": to.isoformat(), "currency": currency, "movements": list(MOVEMENTS),
        **report, "trial_balance": {cur: t["closing"] for cur, t in report["totals"].items()},
    })
