"""Payouts as events: a payout per creator, currency and period; runs that make them.

scheduled --submit--> submitted --paid--> paid
    |                     \\--failed--> failed (funds back to available)
    \\--cancel--> cancelled (funds back to available)

The payout's id derives from (creator, currency, period): a second run in the
same period lands on the same payout and pays nothing twice. The funds move
from the creator's available earnings to payouts in transit when the payout is
scheduled, so a run never counts the same money twice even if a crash leaves
a payout scheduled but not yet sent.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import ConflictError
from domain.ids import NAMESPACE


class PayoutStatus(StrEnum):
    SCHEDULED = "scheduled"
    SUBMITTED = "submitted"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"


def payout_id_for(creator_id: str, currency: str, period: str) -> UUID:
    return uuid5(NAMESPACE, f"payout:{creator_id}:{currency}:{period}")


class PayoutStateError(ConflictError):
    """The payout's state does not allow this."""

    code = "invalid_payout_state"


class Payout(Aggregate):
    @classmethod
    def schedule(cls, creator_id: str, currency: str, amount: int, period: str, run_id: UUID, destination: str,
                 at: datetime) -> Payout:
        """A payout of a creator's balance in one currency for a period; its id is derived from the three,
        so a second run of the same period schedules the same payout (and the store refuses it)."""
        return cls._create(cls.Scheduled, id=payout_id_for(creator_id, currency, period), creator_id=creator_id,
                           currency=currency, amount=amount, period=period, run_id=run_id,
                           destination=destination, at=at)

    @event("Scheduled")
    def __init__(self, creator_id: str, currency: str, amount: int, period: str, run_id: UUID,
                 destination: str, at: datetime) -> None:
        self.creator_id = creator_id
        self.currency = currency
        self.amount = amount
        self.period = period
        self.run_id = run_id
        self.destination = destination
        self.scheduled_at = at
        self.status = PayoutStatus.SCHEDULED
        self.transfer_id: str | None = None
        self.failure: str | None = None
        self.reversed_amount = 0
        self.updated_at = at

    def submit(self, transfer_id: str, balance_transaction_id: str | None, provider: str, at: datetime) -> bool:
        if self.status is not PayoutStatus.SCHEDULED:
            if self.transfer_id == transfer_id:
                return False
            raise PayoutStateError(f"a {self.status} payout cannot be submitted")
        self._submit(self.creator_id, self.currency, self.amount, transfer_id, balance_transaction_id, provider, at)
        return True

    @event("Submitted")
    def _submit(self, creator_id: str, currency: str, amount: int, transfer_id: str,
                balance_transaction_id: str | None, provider: str, at: datetime) -> None:
        self.status = PayoutStatus.SUBMITTED
        self.transfer_id = transfer_id
        self.updated_at = at

    def mark_paid(self, reference: str | None, at: datetime) -> bool:
        if self.status is PayoutStatus.PAID:
            return False
        if self.status is not PayoutStatus.SUBMITTED:
            raise PayoutStateError(f"a {self.status} payout cannot be paid")
        self._mark_paid(self.creator_id, self.currency, self.amount, self.transfer_id, reference, at)
        return True

    @event("Paid")
    def _mark_paid(self, creator_id: str, currency: str, amount: int, transfer_id: str | None,
                   reference: str | None, at: datetime) -> None:
        self.status = PayoutStatus.PAID
        self.updated_at = at

    def fail(self, reason: str, reversal_id: str | None, at: datetime) -> bool:
        """The money did not reach the creator: it goes back to their available earnings."""
        if self.status in (PayoutStatus.FAILED, PayoutStatus.CANCELLED):
            return False
        if self.status is PayoutStatus.SCHEDULED:
            raise PayoutStateError("a payout not yet sent cannot fail; cancel it")
        self._fail(self.creator_id, self.currency, self.amount - self.reversed_amount, self.transfer_id,
                   self.status.value, reason, reversal_id, at)
        return True

    @event("Failed")
    def _fail(self, creator_id: str, currency: str, amount: int, transfer_id: str | None, was: str, reason: str,
              reversal_id: str | None, at: datetime) -> None:
        self.status = PayoutStatus.FAILED
        self.failure = reason
        self.updated_at = at

    def reverse_part(self, reversed_total: int, reversal_id: str | None, at: datetime) -> bool:
        """Part of the transfer came back (a partial reversal): only that part returns to available.

        `reversed_total` is the transfer's cumulative reversed amount; a full
        reversal is a failure (`fail`)."""
        delta = reversed_total - self.reversed_amount
        if delta <= 0 or self.status not in (PayoutStatus.SUBMITTED, PayoutStatus.PAID):
            return False
        if reversed_total >= self.amount:
            raise PayoutStateError("a full reversal fails the payout; use fail()")
        self._reverse_part(self.creator_id, self.currency, delta, self.transfer_id, self.status.value, reversal_id, at)
        return True

    @event("PartiallyReversed")
    def _reverse_part(self, creator_id: str, currency: str, amount: int, transfer_id: str | None, was: str,
                      reversal_id: str | None, at: datetime) -> None:
        self.reversed_amount += amount
        self.updated_at = at

    def cancel(self, reason: str, at: datetime) -> bool:
        if self.status is PayoutStatus.CANCELLED:
            return False
        if self.status is not PayoutStatus.SCHEDULED:
            raise PayoutStateError(f"a {self.status} payout cannot be cancelled")
        self._cancel(self.creator_id, self.currency, self.amount, reason, at)
        return True

    @event("Cancelled")
    def _cancel(self, creator_id: str, currency: str, amount: int, reason: str, at: datetime) -> None:
        self.status = PayoutStatus.CANCELLED
        self.failure = reason
        self.updated_at = at


class PayoutRun(Aggregate):
    """One run of the payout policy: what it released, scheduled, skipped and sent."""

    @event("Started")
    def __init__(self, as_of: datetime, period: str, requested_by: str, at: datetime) -> None:
        self.as_of = as_of
        self.period = period
        self.requested_by = requested_by
        self.started_at = at
        self.completed_at: datetime | None = None
        self.summary: dict | None = None

    @event("Completed")
    def complete(self, summary: dict, at: datetime) -> None:
        self.summary = summary
        self.completed_at = at


class Reconciliation(Aggregate):
    """A record that finance checked the books against the processor for a range."""

    @event("Recorded")
    def __init__(self, range_from: datetime, range_to: datetime, requested_by: str, clean: bool, summary: dict,
                 at: datetime) -> None:
        self.range_from = range_from
        self.range_to = range_to
        self.requested_by = requested_by
        self.clean = clean
        self.summary = summary
        self.at = at
