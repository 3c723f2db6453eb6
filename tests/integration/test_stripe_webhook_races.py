"""A Stripe webhook whose command loses a race for its ticket (another command changed the
aggregate between its read and its write) is applied again from a fresh read, not refused:
Stripe would retry a 409, and the flash-sale benchmark saw 14 of 10,000 deliveries answered so.
A race that outlasts the retries is a 503 with Retry-After, with nothing written."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import IntegrityError

from payouts import stripe_events
from tests.integration.test_stripe_payments import Stand, stand  # noqa: F401 - the fixture


class LosesRaces:
    """A command that first loses `times` races (as a concurrent writer would make it), then runs."""

    def __init__(self, command: Any, times: int) -> None:
        self.command, self.left, self.calls = command, times, 0

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        if self.left > 0:
            self.left -= 1
            raise IntegrityError("the ticket changed concurrently")
        return self.command(*args)


def _racing(stand: Stand, times: int) -> LosesRaces:
    flaky = LosesRaces(stripe_events.COMMANDS["payment_intent.succeeded"], times)
    stand.services.webhooks.commands = {**stripe_events.COMMANDS, "payment_intent.succeeded": flaky}
    return flaky


def test_a_webhook_that_loses_a_race_for_its_ticket_is_applied_from_a_fresh_read(stand: Stand) -> None:
    room = stand.room()
    ticket = stand.buy(room, "ann").json()
    stand.stripe.succeed_payment(ticket["payment"]["payment_id"])
    flaky = _racing(stand, stripe_events.CONFLICT_ATTEMPTS - 1)

    (answer,) = stand.deliver("payment_intent.succeeded")

    assert answer.status_code == 200, answer.text
    assert answer.json()["handled"] is True and answer.json()["duplicate"] is False
    assert flaky.calls == stripe_events.CONFLICT_ATTEMPTS
    assert stand.ticket(ticket["id"])["status"] == "paid"
    assert stand.events()["Ticket.Paid"] == 1


def test_a_race_that_outlasts_the_retries_is_a_503_with_nothing_written_and_the_redelivery_pays(stand: Stand) -> None:
    room = stand.room()
    ticket = stand.buy(room, "ann").json()
    stand.stripe.succeed_payment(ticket["payment"]["payment_id"])
    _racing(stand, stripe_events.CONFLICT_ATTEMPTS)

    (answer,) = stand.deliver("payment_intent.succeeded")

    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == "5"
    assert answer.json()["type"] == "service_unavailable"
    assert stand.ticket(ticket["id"])["status"] == "reserved"
    assert stand.events()["Ticket.Paid"] == 0

    stand.services.webhooks.commands = stripe_events.COMMANDS  # Stripe delivers it again, later
    (again,) = stand.deliver("payment_intent.succeeded")

    assert again.status_code == 200 and again.json()["duplicate"] is False
    assert stand.ticket(ticket["id"])["status"] == "paid"
