"""Stripe events, turned into domain commands.

A webhook is a trigger, not the truth: each handler re-reads the object from
Stripe (through the gateway) and applies what it finds, so arrival order means
nothing. A refund or dispute event that overtakes `payment_intent.succeeded`
first records the payment it belongs to, then itself. The Stripe event id is
recorded in the same transaction as the effect (`stripe:<evt_id>`), so the
same delivery three times has one effect; unknown types are acknowledged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.application import BoxOffice
from domain.errors import DuplicateDeliveryError, NotFoundError
from domain.payments import PaymentGateway
from domain.sales.model import Ticket

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookOutcome:
    event_id: str
    type: str
    handled: bool
    duplicate: bool = False
    detail: str = ""


class StripeWebhookHandler:
    def __init__(self, app: BoxOffice, gateway: PaymentGateway,
                 extra: dict[str, Callable[[dict[str, Any], str, dict[str, Any]], str]] | None = None) -> None:
        self.app = app
        self.gateway = gateway
        self.handlers: dict[str, Callable[[dict[str, Any], str, dict[str, Any]], str]] = {
            "payment_intent.succeeded": self._payment,
            "payment_intent.payment_failed": self._payment,
            "payment_intent.canceled": self._payment,
            "charge.refunded": self._charge_refunded,
            "refund.created": self._refund,
            "refund.updated": self._refund,
            "refund.failed": self._refund,
            "charge.dispute.created": self._dispute_created,
            "charge.dispute.closed": self._dispute_closed,
            "account.updated": self._account_updated,
            **(extra or {}),
        }

    def handle(self, event: dict[str, Any]) -> WebhookOutcome:
        event_id, kind = str(event.get("id", "")), str(event.get("type", ""))
        key = f"stripe:{event_id}"
        obj = (event.get("data") or {}).get("object") or {}
        handler = self.handlers.get(kind)
        try:
            if handler is None:
                fresh = self.app.acknowledge(key)
                return WebhookOutcome(event_id, kind, False, duplicate=not fresh, detail="ignored: unknown type")
            detail = handler(obj, key, event)
        except DuplicateDeliveryError:
            return WebhookOutcome(event_id, kind, True, duplicate=True)
        except NotFoundError as exc:  # not ours (another integration's payment): acknowledge
            log.info("stripe event %s (%s) names nothing of ours: %s", event_id, kind, exc)
            fresh = self.app.acknowledge(key)
            return WebhookOutcome(event_id, kind, False, duplicate=not fresh, detail=f"ignored: {exc}")
        return WebhookOutcome(event_id, kind, True, detail=detail)

    # --- payments ------------------------------------------------------------------

    def _ticket_of(self, metadata: dict[str, Any] | None) -> UUID:
        try:
            return UUID(str((metadata or {})["ticket_id"]))
        except (KeyError, ValueError):
            raise NotFoundError("no ticket_id in the metadata") from None

    def _payment(self, pi: dict[str, Any], key: str | None, event: dict[str, Any] | None = None) -> str:
        ticket_id = self._ticket_of(pi.get("metadata"))
        session = self.gateway.get_payment(str(pi["id"]))
        ticket, _ = self.app.record_payment(session, ticket_id, dedupe_key=key)
        return f"ticket {ticket.id} is {ticket.status}"

    def _ensure_payment(self, payment_intent_id: str | None) -> Ticket:
        """Record the payment a later event depends on (the events may arrive in any order)."""
        if not payment_intent_id:
            raise NotFoundError("the object names no payment intent")
        session = self.gateway.get_payment(payment_intent_id)
        ticket_id = self._ticket_of(session.metadata)
        ticket = self.app.get_ticket(ticket_id)
        if ticket.split is None and session.status == "succeeded":
            ticket, _ = self.app.record_payment(session, ticket_id)
        return ticket

    # --- refunds -------------------------------------------------------------------

    def _charge_refunded(self, charge: dict[str, Any], key: str, event: dict[str, Any] | None = None) -> str:
        # The charge says how much was refunded, not which refunds: those come as
        # refund.* events. Make sure the payment is recorded, and mark the delivery.
        ticket = self._ensure_payment(charge.get("payment_intent"))
        self.app.transact(lambda guards: (None, []), key)
        return f"ticket {ticket.id}: charge refunded {charge.get('amount_refunded')}"

    def _refund(self, refund: dict[str, Any], key: str, event: dict[str, Any] | None = None) -> str:
        ticket = self._ensure_payment(refund.get("payment_intent"))
        result = self.gateway.get_refund(str(refund["id"]))
        our_id = (refund.get("metadata") or {}).get("refund_id")
        ticket, _ = self.app.record_processor_refund(ticket.id, result, our_refund_id=our_id, dedupe_key=key)
        return f"ticket {ticket.id}: refund {result.refund_id} {result.status}"

    # --- disputes ------------------------------------------------------------------

    def _dispute_created(self, dispute: dict[str, Any], key: str, event: dict[str, Any] | None = None) -> str:
        ticket = self._ensure_payment(dispute.get("payment_intent"))
        ticket, _ = self.app.open_dispute(ticket.id, str(dispute["id"]), int(dispute["amount"]), dedupe_key=key)
        return f"ticket {ticket.id} disputed"

    def _dispute_closed(self, dispute: dict[str, Any], key: str, event: dict[str, Any] | None = None) -> str:
        ticket = self._ensure_payment(dispute.get("payment_intent"))
        status = str(dispute.get("status"))
        if status not in ("won", "lost"):  # warning_closed and the like: no money moved
            self.app.transact(lambda guards: (None, []), key)
            return f"dispute {dispute['id']} closed as {status}"
        ticket, _ = self.app.close_dispute(ticket.id, str(dispute["id"]), won=status == "won", dedupe_key=key)
        return f"dispute {dispute['id']} {status}"

    # --- connected accounts ----------------------------------------------------------

    def _account_updated(self, account: dict[str, Any], key: str, event: dict[str, Any] | None = None) -> str:
        fresh = self.gateway.get_connected_account(str(account["id"]))
        creator, _ = self.app.update_payout_account(fresh.account_id, fresh.status, dedupe_key=key)
        if creator is None:
            raise NotFoundError(f"no creator owns account {fresh.account_id}")
        return f"account {fresh.account_id} is {fresh.status}"

