"""Stripe events that name nothing of ours are acknowledged (2xx), logged, and write nothing.

A 500 makes Stripe retry for days; an event about another integration's
transfer, or one whose metadata is mangled, can never succeed, so it is
acknowledged once and changes no state: no event, no ledger entry.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from tests.integration.payouts.builders import Desk
from tests.integration.payouts.test_payout_webhooks import a_submitted_payout


def a_reversed_transfer(metadata: dict[str, Any], *, transfer_id: str = "tr_elsewhere", amount: int = 9_700
                        ) -> dict[str, Any]:
    return {"id": transfer_id, "object": "transfer", "amount": amount, "amount_reversed": amount, "currency": "usd",
            "destination": "acct_elsewhere", "metadata": metadata, "reversed": True,
            "reversals": {"object": "list", "data": [{"id": "trr_elsewhere", "object": "transfer_reversal",
                                                      "amount": amount}], "total_count": 1}}


def deliver(desk: Desk, type_: str, obj: dict[str, Any], account: str | None = None) -> Any:
    assert desk.webhooks is not None
    return desk.webhooks.send(desk.webhooks.event(type_, obj, account=account))


def state(desk: Desk) -> tuple[Any, Any, Any]:
    return desk.events(), desk.ledger(), desk.payouts()


@pytest.mark.parametrize("payout_id", ["not-a-uuid", "", "42", str(uuid.uuid4()), "the ticket", "the room"],
                         ids=["not_a_uuid", "empty", "a_number", "unknown_uuid", "a_tickets_id", "a_rooms_id"])
def test_transfer_reversed_naming_no_payout_of_ours_is_acknowledged_and_writes_nothing(
    stripe_desk: Desk, payout_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="payouts.stripe_events")
    desk = stripe_desk
    maya = desk.a_creator()
    room_id, _, (ticket,) = desk.an_ended_room(maya, tickets=1)
    payout_id = {"the ticket": ticket["id"], "the room": room_id}.get(payout_id, payout_id)
    before = state(desk)

    r = deliver(desk, "transfer.reversed", a_reversed_transfer({"payout_id": payout_id}))
    again = deliver(desk, "transfer.reversed", a_reversed_transfer({"payout_id": payout_id}))

    assert r.status_code == 200, r.text
    assert r.json()["handled"] is False
    assert again.status_code == 200, again.text
    assert state(desk) == before
    assert any("names nothing of ours" in m for m in caplog.messages)


def test_transfer_reversed_whose_metadata_names_our_payout_but_another_transfer_writes_nothing(
    stripe_desk: Desk,
) -> None:
    desk = stripe_desk
    maya, account, payout = a_submitted_payout(desk)
    before = state(desk)

    r = deliver(desk, "transfer.reversed", a_reversed_transfer({"payout_id": payout["payout_id"]},
                                                               transfer_id="tr_not_the_payouts"))

    assert r.status_code == 200, r.text
    assert r.json()["handled"] is False
    assert state(desk) == before
    assert desk.payout(payout["payout_id"])["status"] == "submitted"


@pytest.mark.parametrize("metadata", [None, {}, {"payout_id": None}, {"payout_id": 7}],
                         ids=["no_metadata", "empty_metadata", "null_payout_id", "numeric_payout_id"])
def test_transfer_reversed_without_a_usable_payout_id_is_acknowledged(stripe_desk: Desk, metadata: Any) -> None:
    desk = stripe_desk
    before = state(desk)

    r = deliver(desk, "transfer.reversed", a_reversed_transfer(metadata))

    assert r.status_code == 200, r.text
    assert state(desk) == before


@pytest.mark.parametrize("type_", ["payout.paid", "payout.failed"])
def test_a_bank_payout_event_of_an_account_we_do_not_know_is_acknowledged(stripe_desk: Desk, type_: str) -> None:
    desk = stripe_desk
    a_submitted_payout(desk)
    before = state(desk)
    bank_payout = {"id": "po_elsewhere", "object": "payout", "amount": 9_700, "currency": "usd",
                   "status": type_.split(".")[1], "failure_code": "account_closed"}

    r = deliver(desk, type_, bank_payout, account="acct_not_ours")

    assert r.status_code == 200, r.text
    assert state(desk) == before


@pytest.mark.parametrize("type_", ["payment_intent.succeeded", "charge.refunded", "refund.updated",
                                   "charge.dispute.created", "charge.dispute.closed"])
def test_a_payment_event_whose_metadata_names_a_payout_is_acknowledged(stripe_desk: Desk, type_: str) -> None:
    desk = stripe_desk
    _, _, payout = a_submitted_payout(desk)
    before = state(desk)
    obj = {"id": "pi_elsewhere", "object": type_.split(".")[0], "payment_intent": "pi_elsewhere",
           "metadata": {"ticket_id": payout["payout_id"]}, "amount": 100, "status": "won"}

    r = deliver(desk, type_, obj)

    assert r.status_code in (200, 503), r.text  # 503: Stripe could not be asked about an object it never made
    assert state(desk) == before
