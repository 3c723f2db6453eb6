"""What Stripe tells us about the money after a transfer: paid to the bank, returned, reversed.

`payout.paid` and `payout.failed` are events of a creator's connected account
about a bank payout, which may carry several of our transfers, or none, or
other money. `payout.paid` settles exactly the transfers that the bank payout
carried: it asks Stripe which balance transactions the payout swept and which
transfers they came from (`PaymentGateway.transfers_paid_out`), and only when
Stripe cannot say (a manual payout) matches one submitted payout of the same
amount and currency. It never settles anything else.

`transfer.reversed` names our payout in the transfer's metadata; anything it
names that is not one of our payouts, carried by that very transfer, is
acknowledged and logged, and writes nothing (`NotFoundError`).

Each command is registered, with every other Stripe event type we act on, in
`COMMANDS` (payouts/stripe_events.py). May import: domain/, projections/queries/ and payouts/.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from domain.errors import DuplicateDeliveryError, NotFoundError
from domain.money import Money
from payouts.model import Payout, PayoutStatus
from payouts.stripe_context import EventContext
from projections.queries import payouts as payout_queries

log = logging.getLogger(__name__)


def _payouts_of_account(ctx: EventContext, account_id: str, statuses: tuple[PayoutStatus, ...]) -> list[Payout]:
    """The account's payouts whose OWN state is one of `statuses`, newest first (the read
    table only nominates candidates: it may lag the event store)."""
    user_id = ctx.app.uow.guards.creator_of_account(account_id)
    if user_id is None:
        return []
    ids = payout_queries.payout_ids(ctx.db, creator_id=user_id)
    payouts = [ctx.app.uow.find(Payout, UUID(i)) for i in ids]
    return [p for p in payouts if isinstance(p, Payout) and p.status in statuses]


def _seen(ctx: EventContext, key: str) -> bool:
    """Was this delivery processed? Checked before anything leaves the building; the
    dedupe row is still written with the effect, in its transaction."""
    return ctx.app.uow.guards.processed(key)


def _payout_of_transfer(ctx: EventContext, transfer: dict[str, Any]) -> Payout:
    """The payout this transfer carried, or NotFoundError (acknowledged, nothing written):
    no `payout_id`, one that is no UUID, names nothing or another kind of object, or a
    payout whose own transfer is another one (each transfer belongs to one payout)."""
    metadata = transfer.get("metadata")
    raw = metadata.get("payout_id") if isinstance(metadata, dict) else None
    try:
        payout_id = UUID(raw) if isinstance(raw, str) else None
    except ValueError:
        payout_id = None
    if payout_id is None:
        raise NotFoundError(f"transfer {transfer.get('id')} names no payout of ours ({raw!r})")
    payout = ctx.app.uow.load(Payout, payout_id, "payout")
    if payout.transfer_id is not None and payout.transfer_id != transfer.get("id"):
        raise NotFoundError(f"payout {payout.id} was carried by {payout.transfer_id}, not {transfer.get('id')}")
    return payout


def transfer_reversed(ctx: EventContext, transfer: dict[str, Any], key: str, event: dict[str, Any]) -> str:
    payout = _payout_of_transfer(ctx, transfer)
    reversals = (transfer.get("reversals") or {}).get("data") or []
    reversal_id = reversals[-1]["id"] if reversals else None
    reversed_total = int(transfer.get("amount_reversed") or payout.amount)
    now = ctx.app.clock.now()
    if reversed_total >= payout.amount:
        payout.fail("transfer_reversed", reversal_id, now)
    else:
        payout.reverse_part(reversed_total, reversal_id, now)
    ctx.app.uow.record([payout], key)
    return f"payout {payout.id}: {reversed_total} of {payout.amount} reversed"


def payout_paid(ctx: EventContext, bank_payout: dict[str, Any], key: str, event: dict[str, Any]) -> str:
    """Settle the payouts whose transfers this bank payout carried, and no others."""
    account = str(event.get("account") or "")
    bank_id = str(bank_payout.get("id") or "")
    if ctx.app.uow.guards.creator_of_account(account) is None:
        raise NotFoundError(f"payout.paid {bank_id}: no creator of ours owns account {account!r}")
    now = ctx.app.clock.now()
    carried = ctx.app.gateway.transfers_paid_out(bank_id, account) if bank_id else None
    if carried is None:  # Stripe cannot say: one submitted payout of exactly that amount and currency
        found = [(p, p.transfer_id) for p in _matching(ctx, account, bank_payout, (PayoutStatus.SUBMITTED,),
                                                             oldest_first=True)]
    else:
        found = [(p, transfer_id) for transfer_id, payout_id in sorted(carried.items())
                 if (p := _carried(ctx, transfer_id, payout_id, account)) is not None]
    changed = []
    for payout, transfer_id in found:
        if payout.status is PayoutStatus.SCHEDULED and transfer_id:  # we died before recording the transfer
            payout.submit(transfer_id, None, ctx.app.gateway.name, now)
        if payout.status is PayoutStatus.SUBMITTED and payout.mark_paid(bank_id, now):
            changed.append(payout)
    if not changed:
        log.info("payout.paid %s on %s settles none of our payouts", bank_id, account)
    ctx.app.uow.record(changed, key)
    return f"{len(changed)} payouts paid"


def _carried(ctx: EventContext, transfer_id: str, payout_id: str | None, account: str) -> Payout | None:
    """Our payout that this transfer carried to `account`, loaded from the event store (never a
    lagging read table); None for another integration's transfer."""
    try:
        payout = ctx.app.uow.load(Payout, UUID(str(payout_id)), "payout")
    except (ValueError, NotFoundError):
        return None
    if payout.destination != account or payout.transfer_id not in (None, transfer_id):
        return None
    return payout


def _matching(ctx: EventContext, account: str, bank_payout: dict[str, Any], statuses: tuple[PayoutStatus, ...], *,
              oldest_first: bool) -> list[Payout]:
    """At most one payout of the account, in `statuses`, whose outstanding amount and currency
    are the bank payout's."""
    amount, currency = bank_payout.get("amount"), str(bank_payout.get("currency") or "").upper()
    candidates = _payouts_of_account(ctx, account, statuses)  # newest first
    match = [p for p in (reversed(candidates) if oldest_first else candidates)
             if p.currency == currency and p.amount - p.reversed_amount == amount]
    return match[:1]


def payout_failed(ctx: EventContext, bank_payout: dict[str, Any], key: str, event: dict[str, Any]) -> str:
    """The creator's bank refused the money: reverse our transfer, return the funds to
    available, and flag the creator's payout account until it is fixed.

    Only a payout of exactly the failed amount is touched; a repeated delivery is
    recognised before any transfer is reversed."""
    if _seen(ctx, key):
        raise DuplicateDeliveryError(key)
    account = str(event.get("account") or "")
    amount = bank_payout.get("amount")
    match = _matching(ctx, account, bank_payout, (PayoutStatus.SUBMITTED, PayoutStatus.PAID), oldest_first=False)
    if not match:
        log.warning("payout.failed %s on %s matches no payout of ours for %s", bank_payout.get("id"), account, amount)
        ctx.app.uow.record([], key)
        return "no payout of that amount"
    now = ctx.app.clock.now()
    reason = str(bank_payout.get("failure_code") or "payout_failed")
    payout = match[0]
    reversal = None
    if payout.transfer_id:  # idempotent at the processor: keyed by our payout id
        reversal = ctx.app.gateway.reverse_transfer(payout.transfer_id, Money(int(amount), payout.currency),
                                                     key=f"payout-failed-{payout.id}")
    payout.fail(reason, reversal.reversal_id if reversal else None, now)
    changed: list[Any] = [payout]
    user_id = ctx.app.uow.guards.creator_of_account(account)
    if user_id is not None:
        creator = ctx.app.get_creator(user_id)
        creator.update_payout_account("restricted")
        changed.append(creator)

    def decide(guards: Any) -> tuple[None, list[Any]]:
        guards.set_account_status(account, "restricted")
        return None, changed

    ctx.app.uow.transact(decide, key)
    return f"payout {payout.id} failed: {reason}"
