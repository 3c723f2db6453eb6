"""A refund after the payout: the creator owes, is skipped, and later earnings settle the debt first."""

from __future__ import annotations

from tests.integration.payouts.builders import Desk, Person


def paid_out_in_march(desk: Desk) -> tuple[Person, list[dict]]:
    """Five 20.00 tickets; the creator's 97.00 was paid out in March."""
    maya = desk.a_creator()
    _, _, tickets = desk.an_ended_room(maya, tickets=5, price=2_000)
    desk.clock.advance(days=7)
    (payout,) = desk.run()["payouts"]
    assert payout["amount"] == 9_700
    return maya, tickets


def test_a_refund_after_the_payout_makes_the_creators_available_balance_negative(desk: Desk) -> None:
    maya, tickets = paid_out_in_march(desk)

    desk.refund(maya, tickets[0]["id"])

    assert desk.earnings(maya)["available"] == -1_940
    assert desk.balance(f"creator:{maya.sub}:available") == 1_940  # a debit: the creator owes the platform
    assert set(desk.trial_balance().values()) == {0}


def test_the_debt_has_a_recorded_reason_in_the_ledger(desk: Desk) -> None:
    maya, tickets = paid_out_in_march(desk)

    desk.refund(maya, tickets[0]["id"])

    r = desk.http.get("/v1/ledger/entries", params={"account": f"creator:{maya.sub}:available"},
                      headers=desk.finance.headers)
    refunds = [e for e in r.json()["items"] if e["kind"] == "refund"]
    assert [(e["ticket_id"], e["memo"]) for e in refunds] == [(tickets[0]["id"], "requested_by_customer")]
    assert {"account": f"creator:{maya.sub}:available", "amount": 1_940} in refunds[0]["postings"]


def test_a_creator_who_owes_is_skipped_by_the_next_run(desk: Desk) -> None:
    maya, tickets = paid_out_in_march(desk)
    desk.refund(maya, tickets[0]["id"])
    desk.next_month()

    report = desk.run()

    assert report["payouts"] == []
    assert report["skipped"] == [{"creator_id": maya.sub, "currency": "USD", "amount": -1_940,
                                  "reason": "negative_balance"}]
    assert len(desk.transfers()) == 1


def test_later_earnings_settle_the_debt_first_and_the_next_payout_is_the_difference(desk: Desk) -> None:
    maya, tickets = paid_out_in_march(desk)
    # A refund after the payout: the creator owes 19.40.
    desk.refund(maya, tickets[0]["id"])
    # April: the run skips the creator.
    desk.next_month()
    april = desk.run()
    # New earnings: five more tickets, 97.00.
    desk.an_ended_room(maya, tickets=5, price=2_000)
    desk.next_month()
    may = desk.run()

    assert [s["reason"] for s in april["skipped"]] == ["negative_balance"]
    assert [p["amount"] for p in may["payouts"]] == [9_700 - 1_940]
    assert desk.earnings(maya)["available"] == 0
    assert desk.earnings(maya)["paid"] == 9_700 + 7_760
    assert desk.earnings(maya)["lifetime"] == 9_700 - 1_940 + 9_700
    assert sorted(t["amount"] for t in desk.transfers()) == [7_760, 9_700]
    assert set(desk.trial_balance().values()) == {0}
