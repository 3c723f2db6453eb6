"""Payout runs: pay creators what they earned, exactly once.

A run, as of a moment:
1. repairs what an earlier run left half done: a payout scheduled but not
   known to be sent is looked up at the processor (by our payout id) and sent
   with the same idempotency key only if no transfer exists;
2. releases the earnings of rooms that ended at least the refund window ago
   (`Room.EarningsReleased`; the ledger moves them from pending to available);
3. schedules one payout per creator and currency whose available balance
   reaches the minimum and whose payout account is enabled (`Payout.Scheduled`,
   id derived from creator, currency and period: a second run in the period
   pays nothing twice); the ledger reserves the amount in transit;
4. sends each as a transfer (idempotency key from the payout id) and records
   it (`Payout.Submitted`; with the sandbox, `Payout.Paid` too).

A crash between any two steps is repaired by running again.

The payout guard: a creator's available balance is reserved by one payout
only, whatever the period, run, process or machine. The payout id alone does
not hold it: four runs with `as_of` a day apart on a daily schedule are four
periods, four ids, and each would read the same balance. So runs take turns
under one database lock (`store/run_lock.py`: a PostgreSQL advisory lock, or a
file lock beside a SQLite database), and inside it the balances are read only
once the read tables hold the whole event log: every payout an earlier run
scheduled committed before this run got the lock, so its reservation (moved
from available to in transit) is in the balance this run reads.

Why a lock and not a guarded reservation row per balance: the balance a run
pays from is made by many events (releases, refunds after release, disputes,
failed and reversed payouts), all projected into the ledger; a guard row
would have to shadow every one of them in its writer's transaction, or
compare a version read from the ledger. The lock keeps one source of truth
(the ledger, re-read inside it) and also stops a run's repair step from racing
a live run's transfers (a run repairs only what a dead run left behind). The
cost is that runs wait for one another, which a schedule of one run per
period can afford; a run whose wait exceeds `lock_wait` fails loudly (409).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from store.db import Database
from store.run_lock import DatabaseLock, LockTimeout
from store.timecodes import to_us
from domain.application import BoxOffice
from domain.errors import ConflictError, ValidationError
from domain.money import Money, minor_units
from domain.rooms.model import Room
from domain.payments import PaymentGatewayError, TransferRequest, TransferResult
from payouts.model import Payout, PayoutRun, PayoutStatus, payout_id_for
from projections.queries import payouts as payout_queries


Schedule = Literal["monthly", "weekly", "daily"]
RUN_LOCK = "payout-runs"  # the one lock every payout run takes, in every process


class PayoutRunBusyError(ConflictError):
    """Another payout run held the payout lock for longer than this run would wait."""


class ProjectionsBehindError(ConflictError):
    """The read tables did not reach the event log's head: balances read now could be stale."""


@dataclass(frozen=True)
class PayoutPolicy:
    refund_window: timedelta = timedelta(days=7)
    minimum_major: int = 50
    schedule: Schedule = "monthly"

    def period(self, as_of: datetime) -> str:
        if self.schedule == "daily":
            return as_of.strftime("%Y-%m-%d")
        if self.schedule == "weekly":
            year, week, _ = as_of.isocalendar()
            return f"{year}-W{week:02d}"
        return as_of.strftime("%Y-%m")

    def minimum(self, currency: str) -> int:
        return minor_units(currency, self.minimum_major)


@dataclass
class RunReport:
    run_id: UUID | None
    as_of: datetime
    period: str
    dry_run: bool
    released_rooms: list[str] = field(default_factory=list)
    payouts: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "period": self.period, "as_of": self.as_of.isoformat(), "dry_run": self.dry_run,
            "released_rooms": self.released_rooms, "payouts": self.payouts, "skipped": self.skipped,
            "repaired": self.repaired, "errors": self.errors,
        }


class PayoutRunner:
    def __init__(self, app: BoxOffice, db: Database, wait_for: Callable[[int | None], Any], policy: PayoutPolicy,
                 *, workers: int = 8, chunk: int = 500, lock: DatabaseLock | None = None,
                 lock_wait: float = 600.0) -> None:
        self.app = app
        self.db = db
        self.wait_for = wait_for
        self.policy = policy
        self.workers = workers
        self.chunk = chunk
        self.lock = lock or DatabaseLock(db.url, RUN_LOCK)
        self.lock_wait = lock_wait

    # --- the run -------------------------------------------------------------------

    def run(self, as_of: datetime | None = None, *, dry_run: bool = False, requested_by: str = "schedule") -> RunReport:
        now = self.app.clock.now()
        as_of = as_of or now
        if as_of > now:
            raise ValidationError("as_of may not be in the future")
        report = RunReport(None, as_of, self.policy.period(as_of), dry_run)
        if dry_run:  # writes nothing: no turn to take
            return self._run(report, requested_by)
        try:
            with self.lock.held(self.lock_wait):
                return self._run(report, requested_by)
        except LockTimeout as exc:
            raise PayoutRunBusyError(str(exc)) from None

    def _run(self, report: RunReport, requested_by: str) -> RunReport:
        """The run itself; for a real run, called with the payout lock held."""
        now, as_of, dry_run = self.app.clock.now(), report.as_of, report.dry_run
        if not dry_run:
            run = PayoutRun(as_of=as_of, period=report.period, requested_by=requested_by, at=now)
            report.run_id = run.id
            self.app.uow.save(run)
            self._repair(report)
        due = self._rooms_due(as_of)
        report.released_rooms = [str(r) for r in due]
        if not dry_run:
            self._release(due, as_of)
            self._caught_up()  # the re-read: every reservation made before the lock is in the ledger
        owed = self._available(extra_rooms=due if dry_run else ())
        plans = self._plan(owed, report)
        if dry_run:
            report.payouts = [{"creator_id": c, "currency": cur, "amount": amt, "status": "would_schedule"}
                              for c, cur, amt, _ in plans]
            return report
        scheduled = self._schedule(plans, report)
        self._submit(scheduled, report)
        run.complete(report.summary(), self.app.clock.now())
        self.app.uow.save(run)
        return report

    # --- step 1: repair ----------------------------------------------------------------

    def _repair(self, report: RunReport) -> None:
        self.wait_for(self.app.uow.position())
        ids = payout_queries.payout_ids(self.db, status="scheduled")
        payouts = self.app.uow.load_many(Payout, [UUID(i) for i in ids], "payout")
        pending = [p for p in payouts if p.status is PayoutStatus.SCHEDULED]
        if pending:
            report.repaired = [str(p.id) for p in pending]
            self._submit(pending, report, repairing=True)

    # --- step 2: release ---------------------------------------------------------------

    def _rooms_due(self, as_of: datetime) -> list[UUID]:
        self.wait_for(self.app.uow.position())
        if as_of - datetime.min.replace(tzinfo=UTC) < self.policy.refund_window:
            return []  # no room ended a refund window before the calendar began (as_of - window: a 500)
        cutoff = to_us(as_of - self.policy.refund_window)
        return [UUID(i) for i in payout_queries.rooms_due_for_release(self.db, cutoff)]

    def _release(self, room_ids: Sequence[UUID], as_of: datetime) -> int | None:
        position = None
        now = self.app.clock.now()
        for start in range(0, len(room_ids), self.chunk):
            rooms = self.app.uow.load_many(Room, room_ids[start:start + self.chunk], "room")
            changed = [room for room in rooms if room.release_earnings(as_of, now)]
            if changed:
                position = self.app.uow.record(changed)
        return position

    # --- step 3: schedule --------------------------------------------------------------

    def _caught_up(self) -> None:
        """Wait until the read tables hold the whole event log; refuse to go on otherwise."""
        head = self.app.uow.position()
        self.wait_for(head)
        positions = payout_queries.projection_positions(self.db, ("ledger", "payouts"))
        behind = {name: position for name, position in positions.items() if position < head}
        if behind:
            raise ProjectionsBehindError(f"read tables at {behind}, behind the log head {head}; retry")

    def _available(self, extra_rooms: Sequence[UUID] = ()) -> dict[tuple[str, str], int]:
        owed = payout_queries.available_balances(self.db)  # kept by the ledger projection
        for rid in extra_rooms:  # dry run: what the release would add
            for r in payout_queries.room_pending(self.db, str(rid)):
                key = (r["creator_id"], r["currency"])
                owed[key] = owed.get(key, 0) + int(r["amount"])
        return owed

    def _plan(self, owed: dict[tuple[str, str], int], report: RunReport) -> list[tuple[str, str, int, str]]:
        plans = []
        owed_items = sorted(owed.items())
        # Enabled payout accounts, from the guard rows kept in step with the creators' events.
        enabled = self.app.uow.guards.enabled_payout_accounts()
        # Payouts already made this period, from the payouts table (caught up above). Should it
        # ever lag, scheduling the same payout id again is refused by the event store: a
        # payout is never made twice.
        made = set(payout_queries.payout_ids(self.db, period=report.period))
        for (creator_id, currency), amount in owed_items:
            skip = None
            if amount < 0:
                skip = "negative_balance"  # the creator owes: later earnings settle it first
            elif amount == 0:
                continue
            elif amount < self.policy.minimum(currency):
                skip = "below_minimum"
            destination = enabled.get(creator_id)
            if skip is None and destination is None:
                skip = "no_enabled_payout_account"
            if skip is None and str(payout_id_for(creator_id, currency, report.period)) in made:
                skip = "already_paid_out_this_period"
            if skip:
                report.skipped.append({"creator_id": creator_id, "currency": currency, "amount": amount, "reason": skip})
                continue
            assert destination is not None  # Safeguard: checked above.
            plans.append((creator_id, currency, amount, destination))
        return plans

    def _schedule(self, plans: list[tuple[str, str, int, str]], report: RunReport) -> list[Payout]:
        assert report.run_id is not None
        now = self.app.clock.now()
        scheduled: list[Payout] = []
        for start in range(0, len(plans), self.chunk):
            batch = [
                Payout.schedule(creator_id=creator_id, currency=currency, amount=amount, period=report.period,
                                run_id=report.run_id, destination=destination, at=now)
                for creator_id, currency, amount, destination in plans[start:start + self.chunk]
            ]
            self.app.uow.record(batch)
            scheduled += batch
        return scheduled

    # --- step 4: submit ----------------------------------------------------------------

    def _send(self, payout: Payout, repairing: bool) -> TransferResult | PaymentGatewayError:
        try:
            if repairing:  # the first attempt may have reached the processor: never send twice
                found = self.app.gateway.find_transfer(payout.id, payout.destination)
                if found is not None:
                    return found
            return self.app.gateway.transfer(TransferRequest(
                payout_id=payout.id, destination=payout.destination, amount=Money(payout.amount, payout.currency),
                transfer_group=f"payout_{payout.period}", description=f"boxoffice payout {payout.period}",
            ))
        except PaymentGatewayError as exc:
            return exc

    def _submit(self, payouts: list[Payout], report: RunReport, repairing: bool = False) -> None:
        """Send the transfers from a thread pool and record each chunk of answers as it
        arrives, while later transfers are still in flight: recording overlaps sending, and
        a crash mid-run leaves at most a chunk (plus what was in flight) for the repair
        step to look up at the processor, not the whole run."""
        changed: list[Payout] = []
        pool = ThreadPoolExecutor(max_workers=self.workers)
        try:
            for payout, result in zip(payouts, pool.map(lambda p: self._send(p, repairing), payouts), strict=True):
                if self._record(payout, result, report):
                    changed.append(payout)
                if len(changed) >= self.chunk:
                    self._save(changed)
                    changed = []
            self._save(changed)
        finally:  # recording failed: send nothing more (what is in flight lands; the repair finds it)
            pool.shutdown(wait=True, cancel_futures=True)

    def _record(self, payout: Payout, result: TransferResult | PaymentGatewayError, report: RunReport) -> bool:
        """Apply one transfer's answer to its payout; True when the payout changed."""
        now = self.app.clock.now()
        if isinstance(result, PaymentGatewayError):
            report.errors.append({"payout_id": str(payout.id), "creator_id": payout.creator_id,
                                  "error": str(result), "retryable": result.retryable})
            if result.retryable:
                return False  # stays scheduled; the next run repairs it
            payout.cancel(f"transfer refused: {result.code or result}", now)
            return True
        payout.submit(result.transfer_id, result.balance_transaction_id, self.app.gateway.name, now)
        if self.app.gateway.name == "sandbox":  # no webhooks offline: the sandbox transfer is final
            payout.mark_paid(result.transfer_id, now)
        report.payouts.append({"payout_id": str(payout.id), "creator_id": payout.creator_id,
                               "currency": payout.currency, "amount": payout.amount,
                               "transfer_id": result.transfer_id, "status": payout.status.value})
        return True

    def _save(self, payouts: list[Payout]) -> None:
        if payouts:
            self.app.uow.record(payouts)
