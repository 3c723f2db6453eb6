"""The one registry of Stripe events (payouts/stripe_events.py): every type we act on names its command there."""

from __future__ import annotations

from payouts import payout_events, stripe_events
from payouts.stripe_events import COMMANDS


def test_ticket_payments_refunds_disputes_accounts_and_payouts_are_all_in_the_one_registry() -> None:
    expected = {
        "payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled",
        "charge.refunded", "refund.created", "refund.updated", "refund.failed",
        "charge.dispute.created", "charge.dispute.closed",
        "account.updated",
        "transfer.reversed", "payout.paid", "payout.failed",
    }

    assert set(COMMANDS) == expected


def test_the_payout_events_run_the_payout_commands_and_the_rest_the_ticket_commands() -> None:
    payouts = {t for t, command in COMMANDS.items() if command.__module__ == payout_events.__name__}

    assert payouts == {"transfer.reversed", "payout.paid", "payout.failed"}
    assert all(command.__module__ == stripe_events.__name__ for t, command in COMMANDS.items() if t not in payouts)
