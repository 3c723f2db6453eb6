"""The ticket answer is built without validation (model_construct, api/presenters.py): it must
serialise exactly as the validated model would, in every state a ticket can be in."""

from __future__ import annotations

from uuid import UUID

from api.presenters import ticket_public
from api.schemas import TicketPublic
from tests.api.builders import a_hosted_room, a_listener, a_paid_ticket, buy
from tests.api.ticket_actions import DECLINING_CARD, refund


def _same_as_validated(services, ticket_id: str, **extra) -> None:  # noqa: ANN001
    ticket = services.app.get_ticket(UUID(ticket_id))
    built = ticket_public(ticket, **extra)
    validated = TicketPublic.model_validate(built.model_dump())

    assert built.model_dump_json() == validated.model_dump_json()
    assert built.model_fields_set >= {"id", "status", "payment", "refunds"}


def test_a_paid_ticket_serialises_as_the_validated_model(client, services):
    _, room = a_hosted_room(client)

    ticket = a_paid_ticket(client, room["id"])

    _same_as_validated(services, ticket["id"])


def test_a_refunded_ticket_with_its_refunds_serialises_as_the_validated_model(client, services):
    host, room = a_hosted_room(client)
    ticket = a_paid_ticket(client, room["id"])

    assert refund(client, ticket, host).status_code == 200

    _same_as_validated(services, ticket["id"])
    _same_as_validated(services, ticket["id"], provider="sandbox", error="the processor is unreachable")


def test_a_declined_ticket_serialises_as_the_validated_model(client, services):
    _, room = a_hosted_room(client)

    declined = buy(client, room["id"], a_listener(), payment_method=DECLINING_CARD)

    assert declined.status_code == 402, declined.text
    _same_as_validated(services, declined.json()["ticket_id"])
