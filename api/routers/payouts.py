"""Finance runs payouts and reconciles them; creators see their own payouts."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from api.openapi import EXPORTS
from api.auth import Finance
from api.csv_export import csv_response
from api.routers.finance import wants_csv
from api.deps import FreshReads, PayoutReader, PayoutsLister, ServicesDep, parse_id
from api.schemas import UtcDatetime
from store.timecodes import from_us
from payouts.model import PayoutRun
from projections.queries import entries as entry_queries
from projections.queries import payouts as payout_queries

router = APIRouter(tags=["payouts"])


class PayoutRunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: UtcDatetime | None = None
    dry_run: bool = False


PAYOUT_COLUMNS = ("id", "creator_id", "amount", "currency", "period", "run_id", "status", "transfer_id",
                  "destination", "failure", "scheduled_at", "updated_at")


def _payout_row(r: dict) -> dict:
    return {
        "id": r["payout_id"], "creator_id": r["creator_id"], "amount": {"amount": r["amount"], "currency": r["currency"]},
        "period": r["period"], "run_id": r["run_id"], "status": r["status"], "transfer_id": r["transfer_id"],
        "destination": r["destination"], "failure": r["failure"],
        "scheduled_at": from_us(r["scheduled_us"]).isoformat(),  # type: ignore[union-attr]
        "updated_at": from_us(r["updated_us"]).isoformat(),  # type: ignore[union-attr]
    }


@router.post("/v1/payout-runs", status_code=201, responses={200: {"description": "A dry run: what would be paid"}})
def start_payout_run(user: Finance, services: ServicesDep, body: PayoutRunCreate | None = None) -> Response:
    """Run the payout policy now (or as of a past moment). `dry_run` shows what would be paid
    and writes nothing. Running again in the same period pays nobody twice."""
    body = body or PayoutRunCreate()
    report = services.payouts.run(body.as_of, dry_run=body.dry_run, requested_by=user.sub)
    services.projector.catch_up()
    return JSONResponse({"id": str(report.run_id) if report.run_id else None, **report.summary()},
                        status_code=200 if body.dry_run else 201)


@router.get("/v1/payout-runs/{run_id}", dependencies=[FreshReads])
def get_payout_run(run_id: str, user: Finance, services: ServicesDep) -> Response:
    run = services.app.uow.load(PayoutRun, parse_id(run_id, "payout run"), "payout run")
    return JSONResponse({
        "id": str(run.id), "as_of": run.as_of.isoformat(), "period": run.period, "requested_by": run.requested_by,
        "started_at": run.started_at.isoformat(), "completed_at": run.completed_at.isoformat() if run.completed_at else None,
        "status": "completed" if run.completed_at else "incomplete", **(run.summary or {}),
    })


@router.get("/v1/payouts", dependencies=[FreshReads], responses=EXPORTS)
def list_payouts(
    request: Request,
    allowed: PayoutsLister,
    services: ServicesDep,
    creator_id: str | None = None,
    status: Literal["scheduled", "submitted", "paid", "failed", "cancelled"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """Payouts, newest first. A creator sees only their own."""
    rows = payout_queries.payouts(services.db, creator_id=allowed.id, status=status, limit=limit)
    items = [_payout_row(r) for r in rows]
    if wants_csv(request):
        flat = [{**i, "amount": i["amount"]["amount"], "currency": i["amount"]["currency"]} for i in items]
        return csv_response(flat, PAYOUT_COLUMNS, "payouts.csv")
    return JSONResponse({"items": items})


@router.get("/v1/payouts/{payout_id}", dependencies=[FreshReads])
def get_payout(payout_id: str, allowed: PayoutReader, services: ServicesDep) -> Response:
    """One payout with the ledger entries that moved its money: for its creator and finance."""
    pid, payout = allowed.id, allowed.subject
    db = services.db
    row = payout_queries.payout(db, str(pid))
    entry_ids = [f"payout:{pid}", f"payout-paid:{pid}", f"payout-failed:{pid}", f"payout-cancelled:{pid}"]
    entries = [e for e in entry_queries.entries(db, account=None, from_us=None, to_us=None, after=None,
                                                 limit=100_000, entry_ids=entry_ids)]
    for e in entries:
        e["occurred_at"] = e["occurred_at"].isoformat()
    body = _payout_row(row) if row else {"id": str(pid), "status": payout.status.value}
    return JSONResponse({**body, "ledger_entries": entries})

