"""Reconciliation proves the ledger against the processor's balance transactions, cent by cent."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
import stripe
from typer.testing import CliRunner

from api.cli import app as cli
from tests.api.builders import assert_problem
from tests.conftest import SECRET
from tests.integration.payouts.builders import STRIPE_KEY, Desk, DeskFactory, Person, change_fee, iso

MARCH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))


def sales_a_refund_and_a_payout(desk: Desk) -> tuple[Person, list[dict[str, Any]]]:
    """Five 20.00 tickets, one refunded before the room ended, and the creator's 77.60 paid out."""
    maya = desk.a_creator()
    room = desk.a_room(maya)
    tickets = desk.sell(room, 5)
    desk.refund(maya, tickets[0]["id"])
    desk.end(maya, room)
    desk.clock.advance(days=7)
    (payout,) = desk.run()["payouts"]
    assert payout["amount"] == 7_760
    if desk.stripe is not None:  # Stripe pays the connected account out to the bank, and says so
        account = desk.payout_account(maya)["account_id"]
        desk.stripe.pay_out(account)
        desk.deliver("payout.paid", account=account)
    desk.caught_up()
    return maya, tickets


def reconcile(desk: Desk, start: datetime = MARCH[0], end: datetime = MARCH[1], **headers: str) -> Any:
    return desk.http.get("/v1/reconciliation", params={"from": iso(start), "to": iso(end)},
                         headers={**desk.finance.headers, **headers})


def charge_of(desk: Desk, ticket: dict[str, Any]) -> str:
    intent = desk.stripe.get(ticket["payment"]["payment_id"], "payment_intent")
    charge = intent["latest_charge"]
    return charge if isinstance(charge, str) else charge["id"]


def plant_differences(desk: Desk, maya: Person, tickets: list[dict[str, Any]]) -> str:
    """Three things the ledger does not know; answers the charge whose fee was changed."""
    # Another integration charged a card on our platform account.
    other = stripe.StripeClient("sk_test_other_integration", base_addresses={"api": desk.stripe.url})
    other.v1.payment_intents.create(params={
        "amount": 4_200, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}})
    # Stripe charged another fee than the one we booked for a sale.
    changed = charge_of(desk, tickets[1])
    change_fee(desk.stripe, changed, 99)
    # Somebody paid the creator from the Dashboard.
    desk.stripe.add_unknown_transfer(desk.payout_account(maya)["account_id"], 1_234)
    return changed


def differences(result: dict[str, Any]) -> list[tuple[str, str, int | None, int | None]]:
    return sorted((i["category"], i["type"], i["processor_amount"], i["processor_fee"])
                  for i in result["items"] if i["category"] != "matched")


# --- clean books ---------------------------------------------------------------------------------


@pytest.mark.parametrize("processor", ["sandbox", "stripe"])
def test_sales_a_refund_and_a_payout_reconcile_clean(open_desk: DeskFactory, processor: str) -> None:
    desk = open_desk(stripe=processor == "stripe")
    sales_a_refund_and_a_payout(desk)

    r = reconcile(desk)

    result = r.json()
    assert r.status_code == 200, r.text
    assert result["clean"] is True and result["differences"] == 0
    assert sorted((i["type"], i["ledger_amount"]) for i in result["items"]) == sorted(
        [("charge", 2_000)] * 5 + [("refund", -2_000), ("transfer", -7_760)])
    assert {c: t["count"] for c, t in result["totals"].items()} == {
        "matched": 7, "missing_at_processor": 0, "missing_in_ledger": 0, "amount_mismatch": 0}
    assert result["totals"]["matched"]["amounts"] == {"USD": 5 * 2_000 - 2_000 - 7_760}


def test_a_range_with_nothing_in_it_is_clean(stripe_desk: Desk) -> None:
    sales_a_refund_and_a_payout(stripe_desk)

    result = reconcile(stripe_desk, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)).json()

    assert result["clean"] is True and result["items"] == []


def test_a_range_that_ends_before_it_starts_is_refused(stripe_desk: Desk) -> None:
    r = reconcile(stripe_desk, MARCH[1], MARCH[0])

    assert_problem(r, 422, "validation")


# --- planted differences -------------------------------------------------------------------------------


def test_each_planted_difference_is_reported_in_its_category(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya, tickets = sales_a_refund_and_a_payout(desk)
    changed = plant_differences(desk, maya, tickets)

    result = reconcile(desk).json()

    assert result["clean"] is False and result["differences"] == 3
    assert differences(result) == [
        ("amount_mismatch", "charge", 2_000, 99),
        ("missing_in_ledger", "charge", 4_200, 152),
        ("missing_in_ledger", "transfer", -1_234, 0),
    ]
    (mismatch,) = [i for i in result["items"] if i["category"] == "amount_mismatch"]
    assert (mismatch["reference"], mismatch["ledger_fee"], mismatch["ledger_amount"]) == (changed, 88, 2_000)


def test_the_totals_count_and_sum_each_category(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya, tickets = sales_a_refund_and_a_payout(desk)
    plant_differences(desk, maya, tickets)

    totals = reconcile(desk).json()["totals"]

    assert totals == {
        "matched": {"count": 6, "amounts": {"USD": 4 * 2_000 - 2_000 - 7_760}},
        "missing_at_processor": {"count": 0, "amounts": {}},
        "missing_in_ledger": {"count": 2, "amounts": {"USD": 4_200 - 1_234}},
        "amount_mismatch": {"count": 1, "amounts": {"USD": 2_000}},
    }


def test_the_reconciliation_is_also_a_csv_of_every_item(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya, tickets = sales_a_refund_and_a_payout(desk)
    plant_differences(desk, maya, tickets)

    r = reconcile(desk, accept="text/csv")

    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert sorted(row["category"] for row in rows) == sorted(
        ["matched"] * 6 + ["missing_in_ledger"] * 2 + ["amount_mismatch"])
    (unknown,) = [row for row in rows if row["type"] == "transfer" and row["category"] == "missing_in_ledger"]
    assert (unknown["processor_amount"], unknown["ledger_amount"], unknown["currency"]) == ("-1234", "", "USD")


def test_every_reconciliation_is_recorded_with_what_it_found(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya, tickets = sales_a_refund_and_a_payout(desk)
    clean = reconcile(desk).json()
    desk.clock.advance(seconds=1)
    plant_differences(desk, maya, tickets)
    dirty = reconcile(desk).json()

    r = desk.http.get("/v1/reconciliation/runs", headers=desk.finance.headers)

    runs = {run["run_id"]: run for run in r.json()["items"]}
    assert set(runs) == {clean["run_id"], dirty["run_id"]}
    assert (runs[clean["run_id"]]["clean"], runs[clean["run_id"]]["differences"]) == (True, 0)
    assert (runs[dirty["run_id"]]["clean"], runs[dirty["run_id"]]["differences"]) == (False, 3)
    assert runs[dirty["run_id"]]["requested_by"] == desk.finance.sub
    assert (runs[dirty["run_id"]]["from"], runs[dirty["run_id"]]["to"]) == (MARCH[0].isoformat(), MARCH[1].isoformat())
    assert len(runs[dirty["run_id"]]["items"]) == 3


def test_only_finance_reconciles(stripe_desk: Desk) -> None:
    maya = stripe_desk.a_creator()

    r = reconcile(stripe_desk, **maya.headers)

    assert_problem(r, 403, "forbidden")


# --- the command line --------------------------------------------------------------------------------------


def reconcile_cli(desk: Desk) -> Any:
    env = {"BOXOFFICE_DATABASE_URL": desk.services.settings.database_url, "BOXOFFICE_AUTH_SECRET": SECRET,
           "BOXOFFICE_ENVIRONMENT": "test", "BOXOFFICE_LOG_LEVEL": "WARNING",
           "BOXOFFICE_STRIPE_SECRET_KEY": STRIPE_KEY, "BOXOFFICE_STRIPE_API_BASE": desk.stripe.url}
    return CliRunner().invoke(cli, ["reconcile", "--from", iso(MARCH[0]), "--to", iso(MARCH[1])], env=env)


def test_the_cli_exits_0_when_the_books_are_clean(stripe_desk: Desk) -> None:
    sales_a_refund_and_a_payout(stripe_desk)

    result = reconcile_cli(stripe_desk)

    assert result.exit_code == 0, result.output
    assert "(stripe)" in result.output and "!" not in result.output


def test_the_cli_exits_1_and_lists_each_difference_when_the_books_differ(stripe_desk: Desk) -> None:
    desk = stripe_desk
    maya, tickets = sales_a_refund_and_a_payout(desk)
    plant_differences(desk, maya, tickets)

    result = reconcile_cli(desk)

    assert result.exit_code == 1, result.output
    flagged = [line for line in result.output.splitlines() if line.strip().startswith("!")]
    assert len(flagged) == 3
    assert sum("missing_in_ledger" in line for line in flagged) == 2
    assert sum("amount_mismatch" in line for line in flagged) == 1


# --- payouts in every state still reconcile -------------------------------------------------------------------


def a_stripe_payout(desk: Desk) -> tuple[Person, str, dict[str, Any]]:
    maya = desk.a_creator()
    desk.earned_and_released(maya, tickets=5, price=2_000)
    (payout,) = desk.run()["payouts"]
    return maya, desk.payout_account(maya)["account_id"], payout


def test_a_payout_submitted_but_not_yet_paid_to_the_bank_reconciles_clean(stripe_desk: Desk) -> None:
    a_stripe_payout(stripe_desk)

    result = reconcile(stripe_desk).json()

    assert result["clean"] is True, differences(result)
    assert ("transfer", -9_700) in [(i["type"], i["processor_amount"]) for i in result["items"]]


def test_a_payout_the_bank_returned_and_we_reversed_reconciles_clean(stripe_desk: Desk) -> None:
    desk = stripe_desk
    _, account, _ = a_stripe_payout(desk)
    (bank_payout,) = desk.stripe.pay_out(account)
    desk.deliver("payout.paid", account=account)
    desk.stripe.fail_payout(bank_payout["id"])
    desk.deliver("payout.failed", account=account)
    desk.caught_up()

    result = reconcile(desk).json()

    assert result["clean"] is True, differences(result)
    assert sorted((i["type"], i["processor_amount"]) for i in result["items"] if i["type"].startswith("transfer")) == [
        ("transfer", -9_700), ("transfer_refund", 9_700)]


def test_a_transfer_reversed_from_the_dashboard_reconciles_clean(stripe_desk: Desk) -> None:
    desk = stripe_desk
    _, _, payout = a_stripe_payout(desk)
    dashboard = stripe.StripeClient("sk_test_dashboard", base_addresses={"api": desk.stripe.url})
    dashboard.v1.transfers.reversals.create(payout["transfer_id"])
    desk.deliver("transfer.reversed", object_id=payout["transfer_id"])
    desk.caught_up()

    result = reconcile(desk).json()

    assert result["clean"] is True, differences(result)
