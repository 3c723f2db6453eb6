"""A ticket's code use: which code a purchase names (locked in the reserving batch) and which a ticket took.

Apart from the code commands so that the sale path (domain/sales/commands.py,
settling.py) and the holds and refunds need no command class to find a code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from domain.guards import WriteGuards
from domain.sales.codes import code_id_for
from domain.sales.model import Ticket


class CodedRequest(Protocol):
    """What a purchase request says about its code (domain.sales.commands.ReserveRequest)."""

    @property
    def room_id(self) -> UUID: ...

    @property
    def code(self) -> str | None: ...


def lock_request_codes(guards: WriteGuards, requests: Sequence[CodedRequest]) -> dict[int, UUID]:
    """The code id each coded request names (a code is its host's: the room says whose), locked."""
    coded = [i for i, r in enumerate(requests) if r.code]
    if not coded:
        return {}
    hosts = guards.room_hosts({requests[i].room_id for i in coded})
    code_ids = {i: code_id_for(hosts[requests[i].room_id], requests[i].code or "")
                for i in coded if requests[i].room_id in hosts}
    guards.lock_codes(code_ids.values())
    return code_ids


def code_of(ticket: Ticket) -> UUID | None:
    """The id of the code whose use the ticket took, if any."""
    return code_id_for(ticket.host_id, ticket.code) if ticket.code else None
