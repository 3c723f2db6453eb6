"""Payouts over HTTP and the command line: who sees what, run reports, dry runs."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from typer.testing import CliRunner

from api.cli import app as cli
from tests.api.builders import assert_problem, nothing_written
from tests.conftest import SECRET
from tests.integration.payouts.builders import Desk, Person, a_listener, iso


def two_creators_paid(desk: Desk) -> tuple[Person, Person, dict[str, Any]]:
    maya, omar = desk.a_creator(), desk.a_creator()
    desk.an_ended_room(maya, tickets=5, price=2_000)
    desk.earned_and_released(omar, tickets=3, price=5_000)
    return maya, omar, desk.run()


# --- GET /v1/payouts --------------------------------------------------------------------------


def test_a_creator_lists_only_their_own_payouts(desk: Desk) -> None:
    maya, omar, _ = two_creators_paid(desk)

    r = desk.http.get("/v1/payouts", headers=maya.headers)

    assert r.status_code == 200
    mine = [(p["creator_id"], p["amount"]) for p in r.json()["items"]]
    assert mine == [(maya.sub, {"amount": 9_700, "currency": "USD"})]


def test_a_creator_may_filter_by_their_own_id_and_status(desk: Desk) -> None:
    maya, omar, _ = two_creators_paid(desk)

    paid = desk.http.get("/v1/payouts", params={"creator_id": maya.sub, "status": "paid"}, headers=maya.headers)
    failed = desk.http.get("/v1/payouts", params={"creator_id": maya.sub, "status": "failed"}, headers=maya.headers)

    assert [p["creator_id"] for p in paid.json()["items"]] == [maya.sub]
    assert failed.json()["items"] == []


def test_a_creator_asking_for_another_creators_payouts_is_forbidden(desk: Desk) -> None:
    maya, omar, _ = two_creators_paid(desk)

    r = desk.http.get("/v1/payouts", params={"creator_id": omar.sub}, headers=maya.headers)

    assert_problem(r, 403, "forbidden")


def test_a_listener_cannot_list_payouts(desk: Desk) -> None:
    two_creators_paid(desk)

    r = desk.http.get("/v1/payouts", headers=a_listener().headers)

    assert_problem(r, 403, "forbidden")


def test_finance_lists_every_payout_and_filters_by_creator_and_status(desk: Desk) -> None:
    maya, omar, _ = two_creators_paid(desk)

    everyone = desk.payouts()
    omars = desk.payouts(creator_id=omar.sub, status="paid")
    scheduled = desk.payouts(status="scheduled")

    assert sorted((p["creator_id"], p["amount"]["amount"]) for p in everyone) == sorted(
        [(maya.sub, 9_700), (omar.sub, 14_550)])
    assert [(p["creator_id"], p["status"]) for p in omars] == [(omar.sub, "paid")]
    assert scheduled == []


def test_an_unknown_status_filter_is_a_validation_problem(desk: Desk) -> None:
    r = desk.http.get("/v1/payouts", params={"status": "lost"}, headers=desk.finance.headers)

    assert r.status_code == 422


# --- GET /v1/payouts/{id} -----------------------------------------------------------------------


def test_a_payout_lists_the_ledger_entries_that_moved_its_money(desk: Desk) -> None:
    maya, _, report = two_creators_paid(desk)
    (payout_id,) = [p["payout_id"] for p in report["payouts"] if p["creator_id"] == maya.sub]

    r = desk.http.get(f"/v1/payouts/{payout_id}", headers=maya.headers)

    body = r.json()
    assert r.status_code == 200 and body["status"] == "paid" and body["transfer_id"]
    assert [(e["kind"], e["postings"]) for e in body["ledger_entries"]] == [
        ("payout_scheduled", [{"account": f"creator:{maya.sub}:available", "amount": 9_700},
                              {"account": "platform:payouts_in_transit", "amount": -9_700}]),
        ("payout_paid", [{"account": "platform:payouts_in_transit", "amount": 9_700},
                         {"account": "platform:cash", "amount": -9_700}]),
    ]


def test_another_creator_cannot_read_a_payout(desk: Desk) -> None:
    maya, omar, report = two_creators_paid(desk)
    (payout_id,) = [p["payout_id"] for p in report["payouts"] if p["creator_id"] == maya.sub]

    r = desk.http.get(f"/v1/payouts/{payout_id}", headers=omar.headers)

    assert_problem(r, 403, "forbidden")


def test_an_unknown_payout_is_not_found(desk: Desk) -> None:
    r = desk.http.get(f"/v1/payouts/{uuid.uuid4()}", headers=desk.finance.headers)

    assert_problem(r, 404, "not_found")


# --- payout runs ----------------------------------------------------------------------------------


def test_a_payout_run_reads_back_with_what_it_released_paid_and_skipped(desk: Desk) -> None:
    maya, omar = desk.a_creator(), desk.a_creator(payout_account=False)
    room, _, _ = desk.an_ended_room(maya, tickets=5, price=2_000)
    desk.earned_and_released(omar, tickets=3, price=2_000)
    report = desk.run()

    r = desk.http.get(f"/v1/payout-runs/{report['id']}", headers=desk.finance.headers)

    run = r.json()
    assert r.status_code == 200 and run["status"] == "completed" and run["requested_by"] == desk.finance.sub
    assert run["period"] == "2026-03" and room in run["released_rooms"]
    assert [(p["creator_id"], p["amount"]) for p in run["payouts"]] == [(maya.sub, 9_700)]
    assert run["skipped"] == [{"creator_id": omar.sub, "currency": "USD", "amount": 5_820,
                               "reason": "no_enabled_payout_account"}]


def test_an_unknown_payout_run_is_not_found(desk: Desk) -> None:
    r = desk.http.get(f"/v1/payout-runs/{uuid.uuid4()}", headers=desk.finance.headers)

    assert_problem(r, 404, "not_found")


def test_a_creator_cannot_start_a_payout_run(desk: Desk) -> None:
    maya = desk.a_creator()

    with nothing_written(desk.services):
        r = desk.http.post("/v1/payout-runs", json={}, headers=maya.headers)

    assert_problem(r, 403, "forbidden")


def test_a_dry_run_shows_what_would_be_paid_and_writes_nothing(desk: Desk) -> None:
    maya = desk.a_creator()
    room, _, _ = desk.an_ended_room(maya, tickets=5, price=2_000)
    desk.clock.advance(days=7)

    with nothing_written(desk.services):
        dry = desk.run(dry_run=True)
    real = desk.run()

    assert dry["id"] is None and dry["dry_run"] is True
    assert dry["released_rooms"] == [room]
    assert dry["payouts"] == [{"creator_id": maya.sub, "currency": "USD", "amount": 9_700, "status": "would_schedule"}]
    assert [(p["creator_id"], p["amount"]) for p in real["payouts"]] == [(maya.sub, 9_700)]


def test_a_run_as_of_the_future_is_refused_and_writes_nothing(desk: Desk) -> None:
    future = desk.clock.now() + timedelta(seconds=1)

    with nothing_written(desk.services):
        r = desk.http.post("/v1/payout-runs", json={"as_of": iso(future)}, headers=desk.finance.headers)

    assert_problem(r, 422, "validation")


def test_a_run_as_of_a_naive_moment_is_refused(desk: Desk) -> None:
    r = desk.http.post("/v1/payout-runs", json={"as_of": "2026-03-01T00:00:00"}, headers=desk.finance.headers)

    assert r.status_code == 422


# --- the command line ------------------------------------------------------------------------------


def cli_env(desk: Desk, **extra: str) -> dict[str, str]:
    return {"BOXOFFICE_DATABASE_URL": desk.services.settings.database_url, "BOXOFFICE_AUTH_SECRET": SECRET,
            "BOXOFFICE_ENVIRONMENT": "test", "BOXOFFICE_LOG_LEVEL": "WARNING", "BOXOFFICE_STRIPE_SECRET_KEY": "",
            **extra}


def test_the_cli_dry_run_prints_what_would_be_paid_as_json_and_writes_nothing(desk: Desk) -> None:
    maya = desk.a_creator()
    _, ended, _ = desk.an_ended_room(maya, tickets=5, price=2_000)
    desk.clock.advance(days=7)

    with nothing_written(desk.services):
        result = CliRunner().invoke(cli, ["payouts", "run", "--as-of", iso(ended + timedelta(days=7)), "--dry-run"],
                                    env=cli_env(desk))

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["id"] is None and report["dry_run"] is True and report["period"] == "2026-03"
    assert report["payouts"] == [{"creator_id": maya.sub, "currency": "USD", "amount": 9_700,
                                  "status": "would_schedule"}]
    assert desk.payouts() == [] and desk.earnings(maya)["pending"] == 9_700


def test_the_cli_refuses_an_as_of_without_a_timezone(desk: Desk) -> None:
    with nothing_written(desk.services):
        result = CliRunner().invoke(cli, ["payouts", "run", "--as-of", "2026-03-09T18:00:00", "--dry-run"],
                                    env=cli_env(desk))

    assert result.exit_code == 2 and "timezone" in result.output
