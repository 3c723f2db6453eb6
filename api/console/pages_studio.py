"""The creator studio: my rooms with live seat counts, opening and changing rooms, buyers, earnings.

Every action posts a form here, which calls the API as the signed-in creator;
the API's refusal (a problem document) comes back as a sentence on the form.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from api.console.charts import bar_chart
from api.console.forms import major_to_minor, parse_local_utc
from api.console.render import api, page, page_session, plain, redirect
from api.console.session import Session, check_csrf

router = APIRouter(prefix="/console/studio", include_in_schema=False)

CsrfField = Annotated[str | None, Form(alias="csrf_token")]
CreatorPage = Annotated[Session, Depends(page_session("creator"))]


async def _rooms_page(request: Request, session: Session, *, status: int = 200, error: str | None = None,
                      form: dict[str, Any] | None = None) -> Response:
    client = api(request, session)
    profile = await client.get(f"/v1/creators/{session.user.sub}")
    rooms = await client.get("/v1/rooms", host_id=session.user.sub, limit=200)
    return page(request, "studio_rooms.html", status=status, session=session, title="My rooms",
                registered=profile.ok, profile=profile.body if profile.ok else None,
                rooms=rooms.body["items"] if rooms.ok else [], error=error, form=form or {},
                notice=request.query_params.get("notice"))


@router.get("")
async def my_rooms(request: Request, session: CreatorPage) -> Response:
    return await _rooms_page(request, session)


@router.get("/rooms.json")
async def my_rooms_live(request: Request, session: CreatorPage) -> Response:
    """The seat counts the rooms page refreshes every few seconds (console.js)."""
    answer = await api(request, session).get("/v1/rooms", host_id=session.user.sub, limit=200)
    return plain(answer.raw, "application/json")


@router.post("/register")
async def register(request: Request, session: CreatorPage, display_name: Annotated[str, Form()],
                   follower_count: Annotated[int, Form(ge=0)] = 0, csrf: CsrfField = None) -> Response:
    check_csrf(request, csrf)
    answer = await api(request, session).post("/v1/creators", {"display_name": display_name,
                                                               "follower_count": follower_count})
    if not answer.ok:
        return await _rooms_page(request, session, status=answer.status, error=answer.problem)
    return redirect("/console/studio?notice=Profile+saved")


@router.post("/rooms")
async def open_room(request: Request, session: CreatorPage,
                    title: Annotated[str, Form()], price: Annotated[str, Form()],
                    currency: Annotated[str, Form()], capacity: Annotated[str, Form()],
                    scheduled_start: Annotated[str, Form()] = "", csrf: CsrfField = None) -> Response:
    check_csrf(request, csrf)
    form = {"title": title, "price": price, "currency": currency, "capacity": capacity,
            "scheduled_start": scheduled_start}
    try:
        body = {"title": title, "ticket_price": {"amount": major_to_minor(price, currency), "currency": currency},
                "capacity": _int(capacity, "capacity"), "scheduled_start": parse_local_utc(scheduled_start)}
    except ValueError as exc:
        return await _rooms_page(request, session, status=422, error=str(exc), form=form)
    answer = await api(request, session).post("/v1/rooms", body)
    if not answer.ok:
        return await _rooms_page(request, session, status=answer.status, error=answer.problem, form=form)
    return redirect(f"/console/studio/rooms/{answer.body['id']}?notice=Room+opened")


async def _room_page(request: Request, session: Session, room_id: str, *, status: int = 200,
                     error: str | None = None, template: str = "studio_room.html") -> Response:
    client = api(request, session)
    room = await client.get(f"/v1/rooms/{room_id}")
    if not room.ok:
        return page(request, "message.html", status=room.status, session=session, title="Room",
                    message=room.problem)
    buyers = await client.get(f"/v1/rooms/{room_id}/buyers", limit=200)
    return page(request, template, status=status, session=session, title=room.body["title"], room=room.body,
                buyers=buyers.body["items"] if buyers.ok else [],
                buyers_error=None if buyers.ok else buyers.problem, error=error,
                notice=request.query_params.get("notice"))


@router.get("/rooms/{room_id}")
async def room_detail(request: Request, session: CreatorPage, room_id: str) -> Response:
    return await _room_page(request, session, room_id)


@router.post("/rooms/{room_id}/change")
async def change_room(request: Request, session: CreatorPage, room_id: str, price: Annotated[str, Form()] = "",
                      currency: Annotated[str, Form()] = "", capacity: Annotated[str, Form()] = "",
                      csrf: CsrfField = None) -> Response:
    check_csrf(request, csrf)
    body: dict[str, Any] = {}
    try:
        if price.strip():
            body["ticket_price"] = {"amount": major_to_minor(price, currency), "currency": currency}
        if capacity.strip():
            body["capacity"] = _int(capacity, "capacity")
    except ValueError as exc:
        return await _room_page(request, session, room_id, status=422, error=str(exc))
    if not body:
        return await _room_page(request, session, room_id, status=422, error="Give a new price or a new capacity.")
    answer = await api(request, session).patch(f"/v1/rooms/{room_id}", body)
    if not answer.ok:
        return await _room_page(request, session, room_id, status=answer.status, error=answer.problem)
    return redirect(f"/console/studio/rooms/{room_id}?notice=Saved")


@router.post("/rooms/{room_id}/tiers")
async def add_tier(request: Request, session: CreatorPage, room_id: str, name: Annotated[str, Form()],
                   price: Annotated[str, Form()], currency: Annotated[str, Form()], capacity: Annotated[str, Form()],
                   hidden: Annotated[str, Form()] = "", csrf: CsrfField = None) -> Response:
    check_csrf(request, csrf)
    try:
        body = {"name": name, "price": {"amount": major_to_minor(price, currency), "currency": currency},
                "capacity": _int(capacity, "capacity"), "hidden": hidden == "on"}
    except ValueError as exc:
        return await _room_page(request, session, room_id, status=422, error=str(exc))
    answer = await api(request, session).post(f"/v1/rooms/{room_id}/tiers", body)
    if not answer.ok:
        return await _room_page(request, session, room_id, status=answer.status, error=answer.problem)
    return redirect(f"/console/studio/rooms/{room_id}?notice=Tier+added")


@router.post("/rooms/{room_id}/codes")
async def add_code(request: Request, session: CreatorPage, room_id: str, code: Annotated[str, Form()],
                   percent_off: Annotated[str, Form()] = "", max_uses: Annotated[str, Form()] = "",
                   csrf: CsrfField = None) -> Response:
    check_csrf(request, csrf)
    try:
        body = {"code": code, "percent_off": _int(percent_off, "percent off"),
                **({"max_uses": _int(max_uses, "max uses")} if max_uses.strip() else {})}
    except ValueError as exc:
        return await _room_page(request, session, room_id, status=422, error=str(exc))
    answer = await api(request, session).post(f"/v1/rooms/{room_id}/codes", body)
    if not answer.ok:
        return await _room_page(request, session, room_id, status=answer.status, error=answer.problem)
    return redirect(f"/console/studio/rooms/{room_id}?notice=Code+{answer.body['code']}+created")


@router.get("/rooms/{room_id}/cancel")
async def confirm_cancel(request: Request, session: CreatorPage, room_id: str) -> Response:
    """Cancelling refunds every paid ticket: say how many before the creator confirms."""
    return await _room_page(request, session, room_id, template="studio_cancel.html")


@router.post("/rooms/{room_id}/{action}")
async def lifecycle(request: Request, session: CreatorPage, room_id: str, action: str,
                    csrf: CsrfField = None) -> Response:
    check_csrf(request, csrf)
    if action not in ("start", "end", "cancel"):
        return page(request, "message.html", status=404, session=session, title="Room", message="No such action.")
    answer = await api(request, session).post(f"/v1/rooms/{room_id}/{action}")
    if not answer.ok:
        return await _room_page(request, session, room_id, status=answer.status, error=answer.problem)
    done = {"start": "Room+started", "end": "Room+ended", "cancel": "Room+cancelled:+refunds+are+on+their+way"}
    return redirect(f"/console/studio/rooms/{room_id}?notice={done[action]}")


@router.get("/earnings")
async def earnings(request: Request, session: CreatorPage, days: int = 30) -> Response:
    client = api(request, session)
    me = session.user.sub
    mine = await client.get(f"/v1/creators/{me}/earnings")
    payouts = await client.get("/v1/payouts", creator_id=me)
    days = min(max(days, 1), 366)
    today = request.app.state.services.clock.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=days - 1)
    daily = await client.get("/v1/reports/revenue", by="day", creator_id=me, **{
        "from": start.isoformat(), "to": (today + timedelta(days=1)).isoformat()})
    charts = _daily_charts(daily.body["items"] if daily.ok else [], start, days)
    return page(request, "studio_earnings.html", session=session, title="Earnings",
                earnings=mine.body.get("earnings", []) if mine.ok else [],
                rooms=mine.body.get("rooms", []) if mine.ok else [], error=None if mine.ok else mine.problem,
                payouts=payouts.body["items"] if payouts.ok else [], charts=charts, days=days)


def _daily_charts(rows: list[dict[str, Any]], start: datetime, days: int) -> dict[str, Any]:
    """One chart per currency: the creator's share per UTC day (zero on days without sales)."""
    labels = [(start + timedelta(days=i)).strftime("%m-%d") for i in range(days)]
    index = {(start + timedelta(days=i)).date().isoformat(): i for i in range(days)}
    per_currency: dict[str, list[int]] = {}
    for row in rows:
        values = per_currency.setdefault(row["currency"], [0] * days)
        i = index.get(str(row["day"])[:10])
        if i is not None:
            values[i] += int(row["creator_share"])
    return {currency: bar_chart(labels, [("creator share", values, "#2f6f4f")], unit=currency,
                                title=f"Daily creator share, {currency}")
            for currency, values in sorted(per_currency.items())}


def _int(value: str, what: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ValueError(f"{what} must be a whole number") from None
