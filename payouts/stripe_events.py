"""Stripe events, turned into domain commands: every event type we act on, in one registry.

`COMMANDS` below is the whole list: ticket payments, refunds, disputes, connected
accounts, and the payout events (transfer reversals, bank payouts paid or failed,
whose commands live in payouts/payout_events.py). A type not in it is acknowledged
(200, `handled: false`) and its id recorded, so Stripe stops sending it.

A webhook is a trigger, not the truth: each command re-reads the object from
Stripe (through the gateway) and applies what it finds, so arrival order means
nothing. A refund or dispute event that overtakes `payment_intent.succeeded`
first records the payment it belongs to, then itself. The Stripe event id is
recorded in the same transaction as the effect (`stripe:<evt_id>`), so the
same delivery three times has one effect. A command that finds nothing of ours
raises NotFoundError: acknowledged, logged, nothing written.

May import: domain/, store/, projections/queries/ and payouts/.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import retry

from domain.application import BoxOffice
from domain.errors import DuplicateDeliveryError, NotFoundError
from domain.payments import PaymentGateway
from domain.sales.model import Ticket
from payouts import payout_events
from payouts.stripe_context import Command, EventContext
from store.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookOutcome:
    event_id: str
    type: str
    handled: bool
    duplicate: bool = False
    detail: str = ""


# --- payments ------------------------------------------------------------------------------------


def _ticket_of(metadata: dict[str, Any] | None) -> UUID:
    try:
        return UUID(str((metadata or {})["ticket_id"]))
    except (KeyError, ValueError):
        raise NotFoundError("no ticket_id in the metadata") from None


def record_payment(ctx: EventContext, pi: dict[str, Any], key: str, event: dict[str, Any]) -> str:
    ticket_id = _ticket_of(pi.get("metadata"))
    session = ctx.gateway.get_payment(str(pi["id"]))
    ticket, _ = ctx.app.record_payment(session, ticket_id, dedupe_key=key)
    return f"ticket {ticket.id} is {ticket.status}"


def _ensure_payment(ctx: EventContext, payment_intent_id: str | None) -> Ticket:
    """Record the payment a later event depends on (the events may arrive in any order)."""
    if not payment_intent_id:
        raise NotFoundError("the object names no payment intent")
    session = ctx.gateway.get_payment(payment_intent_id)
    ticket_id = _ticket_of(session.metadata)
    ticket = ctx.app.get_ticket(ticket_id)
    if ticket.split is None and session.status == "succeeded":
        ticket, _ = ctx.app.record_payment(session, ticket_id)
    return ticket


# --- refunds -------------------------------------------------------------------------------------


def charge_refunded(ctx: EventContext, charge: dict[str, Any], key: str, event: dict[str, Any]) -> str:
    # The charge says how much was refunded, not which refunds: those come as
    # refund.* events. Make sure the payment is recorded, and mark the delivery.
    ticket = _ensure_payment(ctx, charge.get("payment_intent"))
    ctx.app.uow.record([], key)
    return f"ticket {ticket.id}: charge refunded {charge.get('amount_refunded')}"


def record_refund(ctx: EventContext, refund: dict[str, Any], key: str, event: dict[str, Any]) -> str:
    ticket = _ensure_payment(ctx, refund.get("payment_intent"))
    result = ctx.gateway.get_refund(str(refund["id"]))
    our_id = (refund.get("metadata") or {}).get("refund_id")
    ticket, _ = ctx.app.record_processor_refund(ticket.id, result, our_refund_id=our_id, dedupe_key=key)
    return f"ticket {ticket.id}: refund {result.refund_id} {result.status}"


# --- disputes ------------------------------------------------------------------------------------


def open_dispute(ctx: EventContext, dispute: dict[str, Any], key: str, event: dict[str, Any]) -> str:
    ticket = _ensure_payment(ctx, dispute.get("payment_intent"))
    ticket, _ = ctx.app.open_dispute(ticket.id, str(dispute["id"]), int(dispute["amount"]), dedupe_key=key)
    return f"ticket {ticket.id} disputed"


def close_dispute(ctx: EventContext, dispute: dict[str, Any], key: str, event: dict[str, Any]) -> str:
    ticket = _ensure_payment(ctx, dispute.get("payment_intent"))
    status = str(dispute.get("status"))
    if status not in ("won", "lost"):  # warning_closed and the like: no money moved
        ctx.app.uow.record([], key)
        return f"dispute {dispute['id']} closed as {status}"
    ticket, _ = ctx.app.close_dispute(ticket.id, str(dispute["id"]), won=status == "won", dedupe_key=key)
    return f"dispute {dispute['id']} {status}"


# --- connected accounts --------------------------------------------------------------------------


def update_payout_account(ctx: EventContext, account: dict[str, Any], key: str, event: dict[str, Any]) -> str:
    fresh = ctx.gateway.get_connected_account(str(account["id"]))
    creator, _ = ctx.app.update_payout_account(fresh.account_id, fresh.status, dedupe_key=key)
    if creator is None:
        raise NotFoundError(f"no creator owns account {fresh.account_id}")
    return f"account {fresh.account_id} is {fresh.status}"


# --- the registry --------------------------------------------------------------------------------

COMMANDS: dict[str, Command] = {
    # ticket payments (the platform's own PaymentIntents)
    "payment_intent.succeeded": record_payment,
    "payment_intent.payment_failed": record_payment,
    "payment_intent.canceled": record_payment,
    # refunds
    "charge.refunded": charge_refunded,
    "refund.created": record_refund,
    "refund.updated": record_refund,
    "refund.failed": record_refund,
    # disputes
    "charge.dispute.created": open_dispute,
    "charge.dispute.closed": close_dispute,
    # creators' connected accounts
    "account.updated": update_payout_account,
    # payouts: our transfers, and the connected accounts' bank payouts (payouts/payout_events.py)
    "transfer.reversed": payout_events.transfer_reversed,
    "payout.paid": payout_events.payout_paid,
    "payout.failed": payout_events.payout_failed,
}


# A webhook whose command loses a race for its aggregate is run again, this many times in all, waiting
# about CONFLICT_WAIT seconds between (a Stripe delivery waits up to 10 s for our answer).
CONFLICT_ATTEMPTS = 4
CONFLICT_WAIT = 0.05


class StripeEvents:
    """Applies one verified Stripe event: its command from `COMMANDS`, once per event id."""

    def __init__(self, app: BoxOffice, gateway: PaymentGateway, db: Database,
                 commands: dict[str, Command] | None = None) -> None:
        self.app = app
        self.context = EventContext(app, gateway, db)
        self.commands = COMMANDS if commands is None else commands

    @retry(IntegrityError, max_attempts=CONFLICT_ATTEMPTS, wait=CONFLICT_WAIT)
    def handle(self, event: dict[str, Any]) -> WebhookOutcome:
        """Apply the event; a command that lost a race for its aggregate (IntegrityError: another
        command changed the ticket between its read and its write, e.g. a pacer recording the
        payment it started) is run again from a fresh read, up to CONFLICT_ATTEMPTS times in all.
        Nothing of a lost attempt was written (the event id is recorded with the effect), and
        its Stripe calls are reads. A conflict that outlasts them goes up (the route: 503)."""
        return self._handle(event)

    def _handle(self, event: dict[str, Any]) -> WebhookOutcome:
        event_id, kind = str(event.get("id", "")), str(event.get("type", ""))
        key = f"stripe:{event_id}"
        obj = (event.get("data") or {}).get("object") or {}
        command = self.commands.get(kind)
        try:
            if command is None:
                fresh = self.app.uow.acknowledge(key)
                return WebhookOutcome(event_id, kind, False, duplicate=not fresh, detail="ignored: unknown type")
            detail = command(self.context, obj, key, event)
        except DuplicateDeliveryError:
            return WebhookOutcome(event_id, kind, True, duplicate=True)
        except NotFoundError as exc:  # not ours (another integration's payment): acknowledge
            log.info("stripe event %s (%s) names nothing of ours: %s", event_id, kind, exc)
            fresh = self.app.uow.acknowledge(key)
            return WebhookOutcome(event_id, kind, False, duplicate=not fresh, detail=f"ignored: {exc}")
        return WebhookOutcome(event_id, kind, True, detail=detail)
