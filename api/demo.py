"""`boxoffice demo`: the whole story through the real HTTP API on a fresh store."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import typer
from fastapi.testclient import TestClient

from api.auth import issue_token
from api.bootstrap import build_services
from api.main import create_app
from api.settings import Settings
from migrations.runner import upgrade


def _say(step: str, detail: str = "") -> None:
    typer.echo(f"- {step}" + (f": {detail}" if detail else ""))


def run_demo(database_url: str | None = None) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="boxoffice-demo-"))
    url = database_url or f"sqlite:///{workdir / 'demo.db'}"
    # The demo pays out at once: no refund window, a minimum of 1.00.
    settings = Settings(database_url=url, sweep_interval_seconds=3600, log_level="WARNING", refund_window_days=0,
                        payout_minimum_major=1)
    upgrade(url)
    services = build_services(settings)
    app = create_app(services)

    def auth(sub: str, *roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(settings.auth_secret, sub, list(roles))}"}

    def show(r: Any) -> dict[str, Any]:
        if r.status_code >= 400:
            body = r.json()
            return {"status": r.status_code, "type": body.get("type"), "detail": body.get("detail")}
        return r.json()

    typer.echo(f"boxoffice demo on {url} (payments: {services.gateway.name}, no money moves)\n")
    with TestClient(app) as http:
        host = auth("maya", "creator")
        r = http.post("/v1/creators", json={"display_name": "Maya Live", "follower_count": 12_000}, headers=host)
        _say("Maya registers as a creator", f"{r.status_code}, eligible to host: {r.json()['eligible_to_host']}")
        r = http.post("/v1/creators", json={"display_name": "Tiny", "follower_count": 40}, headers=auth("tiny", "creator"))
        r = http.post("/v1/rooms", headers=auth("tiny", "creator"),
                      json={"title": "My first room", "ticket_price": {"amount": 500, "currency": "USD"}, "capacity": 10})
        _say("A creator with 40 followers tries to open a room", f"{r.status_code} {show(r)['type']}")
        r = http.post("/v1/rooms", headers=host, json={
            "title": "Late-night jazz theory", "scheduled_start": None,
            "ticket_price": {"amount": 999, "currency": "USD"}, "capacity": 5})
        room = r.json()
        _say("Maya opens a room", f"{room['title']!r}, 9.99 USD, capacity {room['capacity']} -> {r.status_code} {room['id']}")
        http.put(f"/v1/rooms/{room['id']}/cohosts/sam", headers=host)
        _say("Maya adds Sam as co-host")
        tickets = []
        for i in range(1, 6):
            r = http.post(f"/v1/rooms/{room['id']}/tickets", headers={**auth(f"listener{i}", "listener"), "Idempotency-Key": f"buy-{i}"})
            tickets.append(r.json())
            _say(f"listener{i} buys a ticket", f"{r.status_code} {r.json()['status']} via {r.json()['payment']['provider']}")
        r = http.post(f"/v1/rooms/{room['id']}/tickets", headers=auth("listener6", "listener"))
        _say("listener6 tries to buy one more", f"{r.status_code} {show(r)['type']}")
        r = http.post(f"/v1/rooms/{room['id']}/tickets", headers={**auth("listener1", "listener"), "Idempotency-Key": "buy-1"})
        _say("listener1 retries with the same Idempotency-Key", f"{r.status_code}, same ticket: {r.json()['id'] == tickets[0]['id']}")
        r = http.get(f"/v1/rooms/{room['id']}", headers=host)
        _say("The room now", f"sold {r.json()['sold']}, available {r.json()['available']}")
        r = http.get(f"/v1/rooms/{room['id']}/buyers", headers=host)
        _say("Maya lists her buyers", ", ".join(b["user_id"] for b in r.json()["items"]))
        r = http.post(f"/v1/tickets/{tickets[4]['id']}/refund", headers=host)
        _say("Maya refunds listener5", f"{r.status_code} {r.json()['status']}, refund {r.json()['refunds'][0]['status']}")
        r = http.post(f"/v1/rooms/{room['id']}/start", headers=host)
        _say("Maya goes live", r.json()["state"])
        r = http.post(f"/v1/rooms/{room['id']}/tickets", headers=auth("listener6", "listener"))
        _say("listener6 buys the seat freed by the refund while live", f"{r.status_code} {r.json().get('status')}")
        r = http.post(f"/v1/rooms/{room['id']}/end", headers=host)
        _say("Maya ends the room", f"{r.json()['state']}, on sale: {r.json()['on_sale']}")
        r = http.post(f"/v1/rooms/{room['id']}/tickets", headers=auth("listener7", "listener"))
        _say("listener7 tries to buy after the end", f"{r.status_code} {show(r)['type']}")
        r = http.post("/v1/rooms", headers=host, json={
            "title": "Cancelled encore", "ticket_price": {"amount": 1500, "currency": "EUR"}, "capacity": 3})
        encore = r.json()
        for i in (1, 2):
            http.post(f"/v1/rooms/{encore['id']}/tickets", headers=auth(f"listener{i}", "listener"))
        r = http.post(f"/v1/rooms/{encore['id']}/cancel", headers=host)
        _say("Maya opens an encore in EUR, sells 2 tickets and cancels it", f"{r.json()['state']}, refunds {r.json()['refunds']}")
        r = http.post(f"/v1/rooms/{encore['id']}/cancel", headers=host)
        _say("...and cancels again", f"refunds {r.json()['refunds']} (nothing refunded twice)")
        r = http.get("/v1/me/tickets", headers=auth("listener1", "listener"))
        _say("listener1's tickets", ", ".join(f"{t['price']['amount']} {t['price']['currency']} {t['status']}" for t in r.json()["items"]))
        finance = auth("fran", "finance")
        r = http.get("/v1/ledger/accounts", headers=finance)
        _say("Finance reads the ledger", f"{len(r.json()['accounts'])} accounts, trial balance {r.json()['trial_balance']}")
        r = http.get("/v1/reports/revenue?by=creator", headers=finance)
        for row in r.json()["items"]:
            _say(f"Revenue in {row['currency']}", f"gross {row['gross']}, refunds {row['refunds']}, fees {row['fees']}, "
                 f"commission {row['commission']}, creator share {row['creator_share']} (minor units)")
        r = http.post("/v1/creators/maya/payout-account", headers=host)
        _say("Maya opens her payout account", f"{r.json()['status']} ({r.json()['provider']})")
        r = http.post("/v1/payout-runs", json={}, headers=finance)
        paid = ", ".join(f"{p['amount']} {p['currency']} {p['status']}" for p in r.json()["payouts"])
        _say("Finance runs payouts", paid or "nothing due")
        r = http.post("/v1/payout-runs", json={}, headers=finance)
        _say("...and runs them again", f"{len(r.json()['payouts'])} new payouts (nobody is paid twice)")
        r = http.get("/v1/creators/maya/earnings", headers=host)
        _say("Maya's earnings", "; ".join(f"{e['currency']}: paid {e['paid']}, available {e['available']}, "
                                          f"lifetime {e['lifetime']}" for e in r.json()["earnings"]))
        r = http.get("/v1/reconciliation?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z", headers=finance)
        _say("Finance reconciles against the processor", f"clean: {r.json()['clean']}, "
             f"{r.json()['totals']['matched']['count']} movements matched")
        r = http.get("/readyz")
        _say("Readiness", f"{r.json()['status']}, projections {r.json()['checks'].get('projections')}")
    services.close()
    typer.echo(f"\nEvery step above is an event in {url}.")
