"""Finance proves the ledger against the processor: `GET /v1/reconciliation?from=&to=`."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from api.openapi import EXPORTS
from api.auth import Finance
from api.deps import FreshReads, ServicesDep
from api.schemas import UtcDatetime
from api.routers.finance import csv_response, wants_csv
from store.timecodes import from_us
from payouts.reconcile import run_reconciliation
from projections.queries import reconciliation as reconciliation_queries

router = APIRouter(tags=["reconciliation"])

COLUMNS = ("category", "type", "reference", "currency", "ledger_amount", "processor_amount", "ledger_fee",
           "processor_fee", "balance_transaction_id", "entry_id", "occurred_at", "note")


@router.get("/v1/reconciliation", dependencies=[FreshReads], responses=EXPORTS)
def reconciliation(
    request: Request,
    user: Finance,
    services: ServicesDep,
    from_: Annotated[UtcDatetime, Query(alias="from")],
    to: UtcDatetime,
) -> Response:
    """Match ledger postings to the processor's balance transactions by id and amount: matched,
    missing at the processor, missing in the ledger, amount mismatches, with totals. Each run
    is recorded (see /v1/reconciliation/runs)."""
    result = run_reconciliation(services.app, services.db, services.projector.catch_up, from_, to, user.sub)
    if wants_csv(request):
        return csv_response(result["items"], COLUMNS, "reconciliation.csv")
    return JSONResponse(result)


@router.get("/v1/reconciliation/runs", dependencies=[FreshReads])
def reconciliation_runs(user: Finance, services: ServicesDep, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> Response:
    """What was checked, when, for which range, and what it found."""
    rows = reconciliation_queries.runs(services.db, limit)
    return JSONResponse({"items": [
        {"run_id": r["run_id"], "recorded_at": from_us(r["recorded_us"]).isoformat(),  # type: ignore[union-attr]
         "from": from_us(r["from_us"]).isoformat(), "to": from_us(r["to_us"]).isoformat(),  # type: ignore[union-attr]
         "requested_by": r["requested_by"], "clean": bool(r["clean"]), **json.loads(r["summary"])}
        for r in rows
    ]})
