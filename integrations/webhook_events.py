"""The one registry of what integrators can subscribe to: domain event -> webhook event.

To add a webhook event (say `ticket.transferred`), add one `WebhookEventType` to
REGISTRY: the domain event it comes from, an optional condition, the public
representation of the object (built from the aggregate as it was right after the
event, so a late or replayed delivery says what was true then), the ordering key
(deliveries with the same key reach an endpoint in log order), and who may
subscribe (`finance` may manage endpoints that only take finance events).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Loader = Callable[[Any], Any]  # the event's aggregate as of that event


@dataclass(frozen=True)
class WebhookEventType:
    name: str
    source: str  # the domain event's class name, e.g. "Ticket.Paid"
    data: Callable[[Any], dict[str, Any]]  # the aggregate -> its public representation
    order_key: Callable[[Any], str]  # the event -> deliveries with one key go out in log order
    when: Callable[[Any], bool] = lambda event: True
    audience: str = "admin"  # "finance": finance may manage endpoints for it


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def room_data(room: Any) -> dict[str, Any]:
    return {"id": str(room.id), "object": "room", "state": str(room.state.value), "host_id": room.host_id,
            "title": room.title, "scheduled_start": _iso(room.scheduled_start),
            "ticket_price": _money(room.price_amount, room.price_currency), "capacity": room.capacity,
            "cohosts": list(room.cohosts), "speakers": list(room.speakers), "opened_at": _iso(room.opened_at),
            "started_at": _iso(room.started_at), "ended_at": _iso(room.ended_at),
            "cancelled_at": _iso(room.cancelled_at)}


def ticket_data(ticket: Any) -> dict[str, Any]:
    return {"id": str(ticket.id), "object": "ticket", "room_id": str(ticket.room_id), "holder_id": ticket.holder_id,
            "status": str(ticket.status.value), "price": _money(ticket.price_amount, ticket.price_currency),
            "paid_at": _iso(ticket.paid_at), "refunded_amount": ticket.refunded_amount,
            "revoke_reason": ticket.revoke_reason}


def offer_data(offer: Any) -> dict[str, Any]:
    return {"id": str(offer.id), "object": "offer", "room_id": str(offer.room_id), "tier_id": str(offer.tier_id),
            "holder_id": offer.holder_id, "place": offer.place, "status": offer.status,
            "made_at": _iso(offer.made_at), "expires_at": _iso(offer.expires_at),
            "ticket_id": str(offer.ticket_id) if offer.ticket_id is not None else None}


def payout_data(payout: Any) -> dict[str, Any]:
    return {"id": str(payout.id), "object": "payout", "creator_id": payout.creator_id,
            "amount": _money(payout.amount, payout.currency), "status": str(payout.status.value),
            "period": payout.period, "transfer_id": getattr(payout, "transfer_id", None),
            "failure": getattr(payout, "failure", None), "updated_at": _iso(payout.updated_at)}


def reconciliation_data(run: Any) -> dict[str, Any]:
    return {"id": str(run.id), "object": "reconciliation", "from": _iso(run.range_from), "to": _iso(run.range_to),
            "clean": run.clean, "summary": run.summary, "at": _iso(run.at)}


def _room_key(event: Any) -> str:
    return f"room:{event.originator_id}"


def _ticket_room_key(event: Any) -> str:
    return f"room:{event.room_id}"


REGISTRY: list[WebhookEventType] = [
    WebhookEventType("room.opened", "Room.Opened", room_data, _room_key),
    WebhookEventType("room.started", "Room.Started", room_data, _room_key),
    WebhookEventType("room.ended", "Room.Ended", room_data, _room_key),
    WebhookEventType("room.cancelled", "Room.Cancelled", room_data, _room_key),
    WebhookEventType("ticket.paid", "Ticket.Paid", ticket_data, _ticket_room_key),
    # A sale reserved and paid at once (domain/sales/sold.py): `ticket.paid`, once, as for `Ticket.Paid`.
    WebhookEventType("ticket.paid", "Ticket.Sold", ticket_data, _ticket_room_key),
    WebhookEventType("ticket.refunded", "Ticket.RefundRequested", ticket_data, _ticket_room_key),
    WebhookEventType("ticket.revoked", "Ticket.Revoked", ticket_data, _ticket_room_key),
    WebhookEventType("ticket.revoked", "Ticket.DisputeOpened", ticket_data, _ticket_room_key,
                     when=lambda event: bool(event.access_revoked)),
    WebhookEventType("ticket.transferred", "Ticket.Transferred", ticket_data, _ticket_room_key),
    WebhookEventType("waitlist.offer_made", "Offer.Made", offer_data, _ticket_room_key),
    WebhookEventType("payout.paid", "Payout.Paid", payout_data, lambda e: f"creator:{e.creator_id}",
                     audience="finance"),
    WebhookEventType("payout.failed", "Payout.Failed", payout_data, lambda e: f"creator:{e.creator_id}",
                     audience="finance"),
    WebhookEventType("reconciliation.differences_found", "Reconciliation.Recorded", reconciliation_data,
                     lambda e: "reconciliation", when=lambda event: not event.clean, audience="finance"),
]


def event_types() -> list[str]:
    """Every subscribable type, in registry order, once."""
    return list(dict.fromkeys(t.name for t in REGISTRY))


def finance_types() -> frozenset[str]:
    return frozenset(t.name for t in REGISTRY if t.audience == "finance")


def sources() -> frozenset[str]:
    return frozenset(t.source for t in REGISTRY)


def matching(event: Any) -> WebhookEventType | None:
    """The webhook event a domain event becomes, or None."""
    kind = type(event).__qualname__
    for entry in REGISTRY:
        if entry.source == kind and entry.when(event):
            return entry
    return None
