"""The finance console: trial balance and accounts as of any date, revenue by day, payout runs
(dry run, then the run), reconciliation with its differences, and every table as the API's CSV."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from api.console.charts import bar_chart
from api.console.render import api, page, page_session, plain, redirect
from api.console.session import Session, check_csrf

router = APIRouter(prefix="/console", include_in_schema=False)

CsrfField = Annotated[str | None, Form(alias="csrf_token")]
FinancePage = Annotated[Session, Depends(page_session("finance"))]
SignedIn = Annotated[Session, Depends(page_session(None))]

# The console offers downloads of exactly these API reads (GET, as CSV, as the signed-in user).
EXPORTABLE = ("v1/ledger/accounts", "v1/ledger/entries", "v1/reports/", "v1/reconciliation", "v1/payouts",
              "v1/creators/", "v1/rooms/")


def _day(text: str | None, default: date) -> date:
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


def _today(request: Request) -> date:
    """Today by the service's clock (UTC), never the machine's."""
    return request.app.state.services.clock.now().astimezone(UTC).date()


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


@router.get("/finance")
async def ledger(request: Request, session: FinancePage,
                 as_of: str | None = None, currency: str | None = None) -> Response:
    params: dict[str, Any] = {"currency": currency or None}
    as_of_day = _day(as_of, _today(request)) if as_of else None
    if as_of_day:
        params["as_of"] = _start_of(as_of_day + timedelta(days=1)).isoformat()  # the end of that day
    answer = await api(request, session).get("/v1/ledger/accounts", **params)
    body = answer.body if answer.ok else {}
    return page(request, "finance_ledger.html", status=200 if answer.ok else answer.status, session=session,
                title="Trial balance", accounts=body.get("accounts", body.get("items", [])),
                trial_balance=body.get("trial_balance", {}), as_of=as_of_day.isoformat() if as_of_day else "",
                currency=currency or "", error=None if answer.ok else answer.problem,
                csv_query=_query(params))


@router.get("/finance/revenue")
async def revenue(request: Request, session: FinancePage, to: str | None = None) -> Response:
    today = _today(request)
    start = _day(request.query_params.get("from"), today - timedelta(days=29))
    end = _day(to, today)
    if end < start:
        start, end = end, start
    end = min(end, start + timedelta(days=366))
    params = {"by": "day", "from": _start_of(start).isoformat(), "to": _start_of(end + timedelta(days=1)).isoformat()}
    answer = await api(request, session).get("/v1/reports/revenue", **params)
    rows = answer.body.get("items", []) if answer.ok else []
    days = (end - start).days + 1
    labels = [(start + timedelta(days=i)).strftime("%m-%d") for i in range(days)]
    charts = {}
    for cur in sorted({r["currency"] for r in rows}):
        series = {k: [0] * days for k in ("gross", "refunds", "commission", "creator_share")}
        for r in rows:
            if r["currency"] == cur:
                i = (date.fromisoformat(str(r["day"])[:10]) - start).days
                if 0 <= i < days:
                    for k in series:
                        series[k][i] += int(r[k])
        colours = {"gross": "#264653", "refunds": "#e76f51", "commission": "#e9c46a", "creator_share": "#2a9d8f"}
        charts[cur] = bar_chart(labels, [(k.replace("_", " "), v, colours[k]) for k, v in series.items()],
                                unit=cur, title=f"Revenue by day, {cur}")
    return page(request, "finance_revenue.html", status=200 if answer.ok else answer.status, session=session,
                title="Revenue by day", rows=rows, charts=charts, start=start.isoformat(), end=end.isoformat(),
                error=None if answer.ok else answer.problem, csv_query=_query(params))


@router.get("/finance/payouts")
async def payouts(request: Request, session: FinancePage) -> Response:
    return await _payouts_page(request, session)


async def _payouts_page(request: Request, session: Session, *, status: int = 200, error: str | None = None,
                        dry_run: dict[str, Any] | None = None, as_of: str = "") -> Response:
    listing = await api(request, session).get("/v1/payouts", limit=200)
    return page(request, "finance_payouts.html", status=status, session=session, title="Payouts",
                payouts=listing.body["items"] if listing.ok else [], error=error, dry_run=dry_run, as_of=as_of,
                notice=request.query_params.get("notice"))


@router.post("/finance/payouts/dry-run")
async def payout_dry_run(request: Request, session: FinancePage,
                         as_of: Annotated[str, Form()] = "", csrf: CsrfField = None) -> Response:
    check_csrf(request, csrf)
    body: dict[str, Any] = {"dry_run": True}
    if as_of.strip():
        body["as_of"] = _start_of(_day(as_of.strip(), _today(request))).isoformat()
    answer = await api(request, session).post("/v1/payout-runs", body)
    if not answer.ok:
        return await _payouts_page(request, session, status=answer.status, error=answer.problem)
    return await _payouts_page(request, session, dry_run=answer.body, as_of=as_of.strip())


@router.post("/finance/payouts/run")
async def payout_run(request: Request, session: FinancePage,
                     as_of: Annotated[str, Form()] = "", csrf: CsrfField = None) -> Response:
    check_csrf(request, csrf)
    body: dict[str, Any] = {}
    if as_of.strip():
        body["as_of"] = _start_of(_day(as_of.strip(), _today(request))).isoformat()
    answer = await api(request, session).post("/v1/payout-runs", body)
    if not answer.ok:
        return await _payouts_page(request, session, status=answer.status, error=answer.problem)
    return redirect(f"/console/finance/payout-runs/{answer.body['id']}")


@router.get("/finance/payout-runs/{run_id}")
async def payout_run_detail(request: Request, session: FinancePage, run_id: str) -> Response:
    client = api(request, session)
    run = await client.get(f"/v1/payout-runs/{run_id}")
    if not run.ok:
        return page(request, "message.html", status=run.status, session=session, title="Payout run",
                    message=run.problem)
    listing = await client.get("/v1/payouts", limit=1000)
    mine = [p for p in (listing.body["items"] if listing.ok else []) if p.get("run_id") == run_id]
    return page(request, "finance_payout_run.html", session=session, title="Payout run", run=run.body,
                payouts=mine)


@router.get("/finance/reconciliation")
async def reconciliation(request: Request, session: FinancePage, to: str | None = None) -> Response:
    chosen = request.query_params.get("from")
    if not chosen:  # nothing run yet: show the form
        today = _today(request)
        return page(request, "finance_reconciliation.html", session=session, title="Reconciliation", result=None,
                    start=(today.replace(day=1)).isoformat(), end=today.isoformat(), csv_query="")
    start = _day(chosen, _today(request))
    end = _day(to, _today(request))
    params = {"from": _start_of(start).isoformat(), "to": _start_of(end + timedelta(days=1)).isoformat()}
    answer = await api(request, session).get("/v1/reconciliation", **params)
    return page(request, "finance_reconciliation.html", status=200 if answer.ok else answer.status,
                session=session, title="Reconciliation", result=answer.body if answer.ok else None,
                error=None if answer.ok else answer.problem, start=start.isoformat(), end=end.isoformat(),
                csv_query=_query(params))


@router.get("/finance/entries")
async def entries(request: Request, session: FinancePage, account: str | None = None, cursor: str | None = None,
                  at: str | None = None) -> Response:
    """Drill-down: the journal entries of one account, or those booked at one moment (a reconciliation
    difference links here with its entry's time)."""
    window: dict[str, str] = {}
    if at:
        try:
            moment = datetime.fromisoformat(at)
            window = {"from": moment.isoformat(), "to": (moment + timedelta(milliseconds=1)).isoformat()}
        except ValueError:
            window = {}
    answer = await api(request, session).get("/v1/ledger/entries", account=account, cursor=cursor, limit=100,
                                             **window)
    return page(request, "finance_entries.html", status=200 if answer.ok else answer.status, session=session,
                title="Journal entries", account=account or "", entries=answer.body["items"] if answer.ok else [],
                next_cursor=answer.body.get("next_cursor") if answer.ok else None,
                error=None if answer.ok else answer.problem, csv_query=_query({"account": account}))


@router.get("/export/{api_path:path}")
async def export(request: Request, session: SignedIn, api_path: str) -> Response:
    """The API's own CSV for a table on screen, fetched as the signed-in user."""
    if not api_path.startswith(EXPORTABLE) or ".." in api_path:
        return page(request, "message.html", status=404, session=session, title="Export", message="No such export.")
    answer = await api(request, session).call("GET", "/" + api_path, params=dict(request.query_params),
                                              accept="text/csv")
    if not answer.ok:
        return page(request, "message.html", status=answer.status, session=session, title="Export",
                    message=answer.problem)
    if not answer.content_type.startswith("text/csv"):
        return page(request, "message.html", status=406, session=session, title="Export",
                    message="The API has no CSV for this table.")
    disposition = answer.headers.get("content-disposition", 'attachment; filename="export.csv"')
    return plain(answer.raw, "text/csv; charset=utf-8", {"Content-Disposition": disposition})


def _query(params: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in params.items() if v not in (None, "")})
