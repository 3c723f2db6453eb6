"""Finance proves the ledger against the processor: `GET /v1/reconciliation?from=&to=`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from api.auth import Finance
from api.deps import FreshReads, ServicesDep
from api.problems import Problem
from api.schemas import UtcDatetime
from api.routers.finance import csv_response, wants_csv
from store.timecodes import from_us
from payouts.model import Reconciliation
from payouts.reconcile import reconcile

router = APIRouter(tags=["reconciliation"])

COLUMNS = ("category", "type", "reference", "currency", "ledger_amount", "processor_amount", "ledger_fee",
           "processor_fee", "balance_transaction_id", "entry_id", "occurred_at", "note")


def run_reconciliation(services: Any, start: datetime, end: datetime, requested_by: str) -> dict[str, Any]:
    """Reconcile [start, end) and record that it was done (and what it found)."""
    if end <= start:
        raise Problem("validation", "`to` must be after `from`")
    projector = services.projector
    projector.catch_up()
    result = reconcile(services.db, services.gateway, start, end)
    summary = {"totals": result["totals"], "differences": result["differences"],
               "items": [i for i in result["items"] if i["category"] != "matched"][:1000]}
    run = Reconciliation(range_from=start, range_to=end, requested_by=requested_by, clean=result["clean"],
                         summary=summary, at=services.clock.now())
    services.app.save(run)
    projector.catch_up()
    return {"run_id": str(run.id), "provider": services.gateway.name, **result}


@router.get("/v1/reconciliation", dependencies=[FreshReads])
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
    result = run_reconciliation(services, from_, to, user.sub)
    if wants_csv(request):
        return csv_response(result["items"], COLUMNS, "reconciliation.csv")
    return JSONResponse(result)


@router.get("/v1/reconciliation/runs", dependencies=[FreshReads])
def reconciliation_runs(user: Finance, services: ServicesDep, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> Response:
    """What was checked, when, for which range, and what it found."""
    rows = services.db.query(
        "SELECT * FROM reconciliation_runs ORDER BY recorded_us DESC LIMIT %s", (limit,))
    return JSONResponse({"items": [
        {"run_id": r["run_id"], "recorded_at": from_us(r["recorded_us"]).isoformat(),  # type: ignore[union-attr]
         "from": from_us(r["from_us"]).isoformat(), "to": from_us(r["to_us"]).isoformat(),  # type: ignore[union-attr]
         "requested_by": r["requested_by"], "clean": bool(r["clean"]), **json.loads(r["summary"])}
        for r in rows
    ]})
