"""The double-entry revenue ledger, built from money events only.

One balanced journal entry per business event, keyed by an idempotency key
(`sale:<ticket>`, `refund:<refund>`, ...). Append-only: a correction is a
reversing entry. Amounts are signed minor units per posting: debit positive,
credit negative; every entry sums to zero per currency, so the trial balance
is zero. An unbalanced entry raises and rolls the batch back: a money bug
stops the projector rather than corrupting the books.

Beside the postings, in the same batch transaction, the projection keeps
what finance reads: balances per account and currency with their hourly
history (ledger_balances.py), movements per account, day and kind
(ledger_movements.py), and revenue per room and day (revenue_rollups.py).

Accounts (per currency):
    platform:cash              the platform's balance at the processor (asset)
    platform:processor_fees    fees the platform bears (expense)
    platform:commission        commission revenue (revenue)
    platform:refunds_payable   refunds owed to buyers until the processor pays them
    platform:disputes          money the processor holds while a dispute is open
    platform:dispute_losses    what a lost dispute took beyond the ticket's refundable part
    platform:payouts_in_transit payouts submitted to the processor, not yet confirmed paid
    platform:fx_clearing       bridges a sale in one currency settled in another (one balance per currency)
    creator:<id>:pending       a creator's earnings held until the refund window passes
    creator:<id>:available     a creator's earnings ready to pay out (negative: the creator owes)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from store.db import Tx
from store.timecodes import to_us
from projections import ledger_balances, ledger_movements, revenue_rollups
from projections.rows import BatchedProjection, RowCache, insert_many

CASH, FEES, COMMISSION = "platform:cash", "platform:processor_fees", "platform:commission"
REFUNDS_PAYABLE, DISPUTES = "platform:refunds_payable", "platform:disputes"
IN_TRANSIT = "platform:payouts_in_transit"
DISPUTE_LOSSES = "platform:dispute_losses"
FX_CLEARING = "platform:fx_clearing"
PAYOUT_KINDS = ("payout_scheduled", "payout_paid", "payout_failed", "payout_reversed", "payout_cancelled")
PAYOUT_KINDS_SQL = "(" + ", ".join(f"'{k}'" for k in PAYOUT_KINDS) + ")"


def pending(creator_id: str) -> str:
    return f"creator:{creator_id}:pending"


def available(creator_id: str) -> str:
    return f"creator:{creator_id}:available"


class UnbalancedEntryError(Exception):
    """Safeguard: a journal entry whose postings do not sum to zero."""


def _ddl(s: str) -> list[tuple[str, str, list[str]]]:
    e, p, f, r = f"ledger_entries{s}", f"ledger_postings{s}", f"revenue_facts{s}", f"ledger_rooms{s}"
    return [
        (e, f"CREATE TABLE {e} (entry_id VARCHAR(120) PRIMARY KEY, kind VARCHAR(32) NOT NULL, position BIGINT NOT NULL,"
            " occurred_us BIGINT NOT NULL, currency VARCHAR(3) NOT NULL, room_id VARCHAR(36), creator_id TEXT,"
            " ticket_id VARCHAR(36), reference TEXT, memo TEXT)",
         [f"CREATE INDEX {e}_by_time ON {e} (occurred_us, position)",
          f"CREATE INDEX {e}_by_position ON {e} (position, entry_id)",
          # A creator's payouts, for their earnings, without their sales (queries/earnings.py).
          f"CREATE INDEX {e}_payouts ON {e} (creator_id) WHERE kind IN {PAYOUT_KINDS_SQL}"]),
        (p, f"CREATE TABLE {p} (entry_id VARCHAR(120) NOT NULL, line INTEGER NOT NULL, account TEXT NOT NULL,"
            " currency VARCHAR(3) NOT NULL, amount BIGINT NOT NULL, occurred_us BIGINT NOT NULL, position BIGINT NOT NULL,"
            " PRIMARY KEY (entry_id, line))",
         # An account's entries by keyset (queries/entries.py); a day's postings (as_of, periods).
         [f"CREATE INDEX {p}_by_account ON {p} (account, position, entry_id)",
          f"CREATE INDEX {p}_by_time ON {p} (occurred_us)"]),
        (f, f"CREATE TABLE {f} (fact_id VARCHAR(120) PRIMARY KEY, kind VARCHAR(16) NOT NULL, occurred_us BIGINT NOT NULL,"
            " room_id VARCHAR(36) NOT NULL, creator_id TEXT NOT NULL, currency VARCHAR(3) NOT NULL,"
            " tickets INTEGER NOT NULL, gross BIGINT NOT NULL, fees BIGINT NOT NULL, commission BIGINT NOT NULL,"
            " creator_share BIGINT NOT NULL, refunds BIGINT NOT NULL)",
         [f"CREATE INDEX {f}_by_time ON {f} (occurred_us)", f"CREATE INDEX {f}_by_creator ON {f} (creator_id, occurred_us)"]),
        (r, f"CREATE TABLE {r} (room_id VARCHAR(36) PRIMARY KEY, creator_id TEXT NOT NULL, released BOOLEAN NOT NULL)",
         []),
        (f"ledger_room_pending{s}", f"CREATE TABLE ledger_room_pending{s} (room_id VARCHAR(36) NOT NULL,"
         " currency VARCHAR(3) NOT NULL, amount BIGINT NOT NULL, PRIMARY KEY (room_id, currency))", []),
        *ledger_balances.ddl(s),
        *ledger_movements.ddl(s),
        *revenue_rollups.ddl(s),
    ]


ENTRY_COLUMNS = ("entry_id", "kind", "position", "occurred_us", "currency", "room_id", "creator_id", "ticket_id",
                 "reference", "memo")
POSTING_COLUMNS = ("entry_id", "line", "account", "currency", "amount", "occurred_us", "position")
FACT_COLUMNS = ("fact_id", "kind", "occurred_us", "room_id", "creator_id", "currency", "tickets", "gross", "fees",
                "commission", "creator_share", "refunds")


class _Batch:
    """What one batch of events adds to the ledger, written at the end in a few statements."""

    def __init__(self, tx: Tx, s: str, events: list[tuple[int, Any]]) -> None:
        self.s = s
        self.entries: list[tuple[Any, ...]] = []
        self.postings: list[tuple[Any, ...]] = []
        self.facts: list[tuple[Any, ...]] = []
        self.rooms = RowCache(f"ledger_rooms{s}", ("room_id",), ("room_id", "creator_id", "released"))
        self.pending = RowCache(f"ledger_room_pending{s}", ("room_id", "currency"), ("room_id", "currency", "amount"))
        # The currencies each room holds pending earnings in: a release finds its rows
        # without scanning every pending row of the batch.
        self.pending_currencies: dict[str, set[str]] = {}
        room_ids = set()
        for _, e in events:
            kind = type(e).__qualname__
            if kind.startswith("Room."):
                room_ids.add(str(e.originator_id))
            elif hasattr(e, "room_id") and kind in MONEY_EVENTS:
                room_ids.add(str(e.room_id))
        self.rooms.load(tx, [(r,) for r in room_ids])
        if room_ids:
            marks = ", ".join(["%s"] * len(room_ids))
            for row in tx.all(f"SELECT room_id, currency, amount FROM ledger_room_pending{s} WHERE room_id IN ({marks})",
                              list(room_ids)):
                self.pending.rows[(row["room_id"], row["currency"])] = dict(row)
                self.pending_currencies.setdefault(row["room_id"], set()).add(row["currency"])

    def post(self, *, entry_id: str, kind: str, position: int, at: Any, currency: str,
             postings: list[tuple[str, int]], room_id: Any = None, creator_id: str | None = None,
             ticket_id: Any = None, reference: str | None = None, memo: str | None = None) -> None:
        lines = [(account, amount) for account, amount in postings if amount != 0]
        if sum(amount for _, amount in lines) != 0:
            raise UnbalancedEntryError(f"{entry_id}: postings {lines} do not balance")
        if not lines:
            return
        occurred = to_us(at)
        self.entries.append((entry_id, kind, position, occurred, currency, str(room_id) if room_id else None,
                             creator_id, str(ticket_id) if ticket_id else None, reference, memo))
        self.postings += [(entry_id, i, account, currency, amount, occurred, position)
                          for i, (account, amount) in enumerate(lines)]

    def fact(self, fact_id: str, kind: str, at: Any, room_id: Any, creator_id: str, currency: str, *, tickets: int = 0,
             gross: int = 0, fees: int = 0, commission: int = 0, creator_share: int = 0, refunds: int = 0) -> None:
        self.facts.append((fact_id, kind, to_us(at), str(room_id), creator_id, currency, tickets, gross, fees,
                           commission, creator_share, refunds))

    def earnings_account(self, room_id: Any, creator_id: str, currency: str, delta: int) -> str:
        """Where a room's creator share sits now: pending until released, then available.

        While pending, the room's own pending balance per currency is tracked too,
        so the release moves exactly what that room earned.
        """
        room = self.rooms.get((str(room_id),))
        if room is not None and room["released"]:
            return available(creator_id)
        key = (str(room_id), currency)
        row = self.pending.get(key)
        if row is None:
            self.pending.insert({"room_id": key[0], "currency": currency, "amount": delta})
            self.pending_currencies.setdefault(key[0], set()).add(currency)
        else:
            row["amount"] += delta
            self.pending.touch(key)
        return pending(creator_id)

    def flush(self, tx: Tx) -> None:
        self.rooms.flush(tx)
        # A room's pending row that reached zero (released, or refunded to nothing) goes;
        # one the batch created and emptied is never written.
        empty = [k for k in self.pending.new | self.pending.dirty if self.pending.rows[k]["amount"] == 0]
        self.pending.new.difference_update(empty)
        gone = [k for k in empty if k in self.pending.dirty]
        self.pending.dirty.difference_update(empty)
        self.pending.flush(tx)
        if gone:
            tx.executemany(f"DELETE FROM ledger_room_pending{self.s} WHERE room_id = %s AND currency = %s", gone)
        insert_many(tx, f"ledger_entries{self.s}", ENTRY_COLUMNS, self.entries)
        insert_many(tx, f"ledger_postings{self.s}", POSTING_COLUMNS, self.postings)
        insert_many(tx, f"revenue_facts{self.s}", FACT_COLUMNS, self.facts)
        ledger_balances.BalanceBook(self.s).apply(tx, self.postings)
        ledger_movements.add_movements(tx, self.s, {e[0]: e[1] for e in self.entries}, self.postings)
        revenue_rollups.roll_up(tx, self.s, self.facts)


class LedgerProjection(BatchedProjection):
    name = "ledger"
    batch = _Batch
    ddl = staticmethod(_ddl)
    # Written only by COPY and never read while the log is applied: a replay loads them
    # without their primary keys and builds each once at the end (Projector.replay).
    append_only = frozenset({"ledger_entries", "ledger_postings", "revenue_facts"})


def _room_opened(b: _Batch, e: Any, pos: int) -> None:
    b.rooms.insert({"room_id": str(e.originator_id), "creator_id": e.host_id, "released": False})


def _paid(b: _Batch, e: Any, pos: int) -> None:
    """A sale. The fee is posted in its own (settlement) currency.

    Same currency: one entry, cash in, split out, fee from cash to fees.
    Settled in another currency (a EUR ticket paid into a USD balance): the
    sale entry debits `fx_clearing` in the ticket's currency instead of cash,
    and a `sale_settlement` entry in the settlement currency brings what
    reached the balance (net + fee) into cash against `fx_clearing` and moves
    the fee. The two fx_clearing postings are the FX pair; each entry
    balances in its own currency, so every currency's trial balance stays 0.
    """
    ticket, room = str(e.originator_id), str(e.room_id)  # once: a rebuild runs this for every sale
    earnings = b.earnings_account(room, e.creator_id, e.currency, e.creator_share)
    reference = e.charge_id or e.payment_id
    if e.fee_currency == e.currency:
        b.post(entry_id=f"sale:{ticket}", kind="sale", position=pos, at=e.paid_at, currency=e.currency,
               room_id=room, creator_id=e.creator_id, ticket_id=ticket,
               reference=reference, memo=f"policy {e.policy_version}",
               postings=[(CASH, e.gross), (earnings, -e.creator_share), (COMMISSION, -e.commission),
                         (FEES, e.fee), (CASH, -e.fee)])
        b.fact(f"sale:{ticket}", "sale", e.paid_at, room, e.creator_id, e.currency,
               tickets=1, gross=e.gross, fees=e.fee, commission=e.commission, creator_share=e.creator_share)
        return
    b.post(entry_id=f"sale:{ticket}", kind="sale", position=pos, at=e.paid_at, currency=e.currency,
           room_id=room, creator_id=e.creator_id, ticket_id=ticket,
           reference=reference, memo=f"policy {e.policy_version}; settled in {e.fee_currency}",
           postings=[(FX_CLEARING, e.gross), (earnings, -e.creator_share), (COMMISSION, -e.commission)])
    settled = e.net + e.fee
    b.post(entry_id=f"sale-settled:{ticket}", kind="sale_settlement", position=pos, at=e.paid_at,
           currency=e.fee_currency, room_id=room, creator_id=e.creator_id, ticket_id=ticket, reference=reference,
           memo=f"{e.gross} {e.currency} at {e.exchange_rate}",
           postings=[(CASH, settled), (FX_CLEARING, -settled), (FEES, e.fee), (CASH, -e.fee)])
    b.fact(f"sale:{ticket}", "sale", e.paid_at, room, e.creator_id, e.currency,
           tickets=1, gross=e.gross, commission=e.commission, creator_share=e.creator_share)
    b.fact(f"sale-fee:{ticket}", "sale_fee", e.paid_at, room, e.creator_id, e.fee_currency, fees=e.fee)


def _refund_requested(b: _Batch, e: Any, pos: int) -> None:
    earnings = b.earnings_account(e.room_id, e.creator_id, e.currency, -e.creator_reversal)
    b.post(entry_id=f"refund:{e.refund_id}", kind="refund", position=pos, at=e.at, currency=e.currency,
           room_id=e.room_id, creator_id=e.creator_id, ticket_id=e.originator_id, memo=e.reason,
           postings=[(earnings, e.creator_reversal), (COMMISSION, e.commission_reversal), (REFUNDS_PAYABLE, -e.amount)])
    b.fact(f"refund:{e.refund_id}", "refund", e.at, e.room_id, e.creator_id, e.currency,
           tickets=-1 if e.full else 0, commission=-e.commission_reversal, creator_share=-e.creator_reversal,
           refunds=e.amount)


def _refund_settled(b: _Batch, e: Any, pos: int) -> None:
    b.post(entry_id=f"refund-paid:{e.refund_id}", kind="refund_paid", position=pos, at=e.at, currency=e.currency,
           room_id=e.room_id, creator_id=e.creator_id, ticket_id=e.originator_id, reference=e.processor_refund_id,
           postings=[(REFUNDS_PAYABLE, e.amount), (CASH, -e.amount)])


def _dispute_opened(b: _Batch, e: Any, pos: int) -> None:
    b.post(entry_id=f"dispute:{e.dispute_id}", kind="dispute_opened", position=pos, at=e.at, currency=e.currency,
           room_id=e.room_id, creator_id=e.creator_id, ticket_id=e.originator_id, reference=e.dispute_id,
           postings=[(DISPUTES, e.amount), (CASH, -e.amount)])


def _dispute_closed(b: _Batch, e: Any, pos: int) -> None:
    if e.won:
        postings = [(CASH, e.disputed_amount), (DISPUTES, -e.disputed_amount)]
    else:
        earnings = b.earnings_account(e.room_id, e.creator_id, e.currency, -e.creator_reversal)
        # The held money is gone; what the buyer got back reverses the split.
        postings = [(earnings, e.creator_reversal), (COMMISSION, e.commission_reversal),
                    (DISPUTES, -e.disputed_amount), (DISPUTE_LOSSES, e.disputed_amount - e.amount)]
        b.fact(f"dispute-lost:{e.dispute_id}", "dispute", e.at, e.room_id, e.creator_id, e.currency,
               tickets=-1, commission=-e.commission_reversal, creator_share=-e.creator_reversal, refunds=e.amount)
    b.post(entry_id=f"dispute-closed:{e.dispute_id}", kind="dispute_won" if e.won else "dispute_lost", position=pos,
           at=e.at, currency=e.currency, room_id=e.room_id, creator_id=e.creator_id, ticket_id=e.originator_id,
           reference=e.dispute_id, postings=postings)


def _earnings_released(b: _Batch, e: Any, pos: int) -> None:
    room = b.rooms.get((str(e.originator_id),))
    if room is None:  # Safeguard, should never happen: a room opens before it ends.
        return
    creator = room["creator_id"]
    room_id = str(e.originator_id)
    for currency in sorted(b.pending_currencies.get(room_id, ())):
        key = (room_id, currency)
        amount = int(b.pending.rows[key]["amount"])
        b.post(entry_id=f"release:{e.originator_id}:{key[1]}", kind="earnings_released", position=pos, at=e.at,
               currency=key[1], room_id=e.originator_id, creator_id=creator,
               memo=f"refund window passed as of {e.as_of.isoformat()}",
               postings=[(pending(creator), amount), (available(creator), -amount)])
        b.pending.rows[key]["amount"] = 0
        b.pending.touch(key)
    room["released"] = True
    b.rooms.touch((str(e.originator_id),))


def _payout_scheduled(b: _Batch, e: Any, pos: int) -> None:
    b.post(entry_id=f"payout:{e.originator_id}", kind="payout_scheduled", position=pos, at=e.at, currency=e.currency,
           creator_id=e.creator_id, reference=str(e.originator_id), memo=e.period,
           postings=[(available(e.creator_id), e.amount), (IN_TRANSIT, -e.amount)])


def _payout_paid(b: _Batch, e: Any, pos: int) -> None:
    b.post(entry_id=f"payout-paid:{e.originator_id}", kind="payout_paid", position=pos, at=e.at, currency=e.currency,
           creator_id=e.creator_id, reference=e.transfer_id, postings=[(IN_TRANSIT, e.amount), (CASH, -e.amount)])


def _payout_failed(b: _Batch, e: Any, pos: int) -> None:
    # Paid already: the transfer was reversed and the cash came back. Otherwise the
    # money never left: it returns from in transit.
    source = CASH if e.was == "paid" else IN_TRANSIT
    b.post(entry_id=f"payout-failed:{e.originator_id}", kind="payout_failed", position=pos, at=e.at,
           currency=e.currency, creator_id=e.creator_id, reference=e.reversal_id or e.transfer_id, memo=e.reason,
           postings=[(source, e.amount), (available(e.creator_id), -e.amount)])


def _payout_partially_reversed(b: _Batch, e: Any, pos: int) -> None:
    source = CASH if e.was == "paid" else IN_TRANSIT
    b.post(entry_id=f"payout-reversed:{e.originator_id}:{pos}", kind="payout_reversed", position=pos, at=e.at,
           currency=e.currency, creator_id=e.creator_id, reference=e.reversal_id or e.transfer_id,
           memo="partial transfer reversal", postings=[(source, e.amount), (available(e.creator_id), -e.amount)])


def _payout_cancelled(b: _Batch, e: Any, pos: int) -> None:
    b.post(entry_id=f"payout-cancelled:{e.originator_id}", kind="payout_cancelled", position=pos, at=e.at,
           currency=e.currency, creator_id=e.creator_id, memo=e.reason,
           postings=[(IN_TRANSIT, e.amount), (available(e.creator_id), -e.amount)])


MONEY_EVENTS = {"Ticket.Paid", "Ticket.RefundRequested", "Ticket.RefundSettled", "Ticket.DisputeOpened",
                "Ticket.DisputeClosed"}

HANDLERS: dict[str, Callable[[_Batch, Any, int], None]] = {
    "Room.Opened": _room_opened,
    "Room.EarningsReleased": _earnings_released,
    "Ticket.Paid": _paid,
    "Ticket.RefundRequested": _refund_requested,
    "Ticket.RefundSettled": _refund_settled,
    "Ticket.DisputeOpened": _dispute_opened,
    "Ticket.DisputeClosed": _dispute_closed,
    "Payout.Scheduled": _payout_scheduled,
    "Payout.Paid": _payout_paid,
    "Payout.Failed": _payout_failed,
    "Payout.PartiallyReversed": _payout_partially_reversed,
    "Payout.Cancelled": _payout_cancelled,
}

LedgerProjection.handlers = HANDLERS
