"""The purchase's answer is written without a model (`ticket_json`, api/presenters.py): it must be,
byte for byte, what the validated model `ticket_public(...)` serialises to, in every state a ticket
can be in."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from api.presenters import ticket_json, ticket_public
from domain.payments import PaymentSession
from store.pacing_sql import QueueState
from tests.api.builders import a_hosted_room, a_listener, a_paid_ticket, buy
from tests.api.ticket_actions import DECLINING_CARD, refund


def _same_as_the_model(services, ticket_id: str, **extra) -> None:  # noqa: ANN001
    ticket = services.app.get_ticket(UUID(ticket_id))

    assert ticket_json(ticket, **extra) == ticket_public(ticket, **extra).model_dump_json().encode()


def test_a_paid_ticket_is_written_as_the_model_writes_it(client, services):
    _, room = a_hosted_room(client)

    ticket = a_paid_ticket(client, room["id"])

    _same_as_the_model(services, ticket["id"])
    session = PaymentSession("sandbox", "pi_1", "pending", None, client_secret="pi_1_secret")  # type: ignore[arg-type]
    _same_as_the_model(services, ticket["id"], session=session)


def test_a_refunded_ticket_with_its_refunds_is_written_as_the_model_writes_it(client, services):
    host, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])

    assert refund(client, ticket, host).status_code == 200

    _same_as_the_model(services, ticket["id"])
    _same_as_the_model(services, ticket["id"], provider="sandbox", error="the processor is unreachable")


def test_a_declined_ticket_is_written_as_the_model_writes_it(client, services):
    _, room = a_hosted_room(client)

    declined = buy(client, room["id"], a_listener(), payment_method=DECLINING_CARD)

    assert declined.status_code == 402, declined.text
    _same_as_the_model(services, declined.json()["ticket_id"])


def test_a_held_ticket_waiting_for_its_payment_is_written_as_the_model_writes_it(client, services):
    _, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])
    held = services.app.get_ticket(UUID(ticket["id"]))
    held.status = type(held.status)("reserved")  # as a paced gateway leaves it, queued
    held.paid_at = None
    held.reserved_at = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)  # whole seconds: no fraction written

    for queued in (QueueState("queued", 7, None, None), QueueState("started", 0, "pi_9", "pi_9_secret")):
        assert ticket_json(held, provider="stripe", queued=queued) == \
            ticket_public(held, provider="stripe", queued=queued).model_dump_json().encode()
