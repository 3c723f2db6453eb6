"""The double-entry revenue ledger, built from money events only.

One balanced journal entry per business event, keyed by an idempotency key
(`sale:<ticket>`, `refund:<refund>`, ...). Append-only: a correction is a
reversing entry. Amounts are signed minor units per posting: debit positive,
credit negative; every entry sums to zero per currency, so the trial balance
is zero. An unbalanced entry raises and rolls the batch back: a money bug
stops the projector rather than corrupting the books.

Accounts (per currency):
    platform:cash              the platform's balance at the processor (asset)
    platform:processor_fees    fees the platform bears (expense)
    platform:commission        commission revenue (revenue)
    platform:refunds_payable   refunds owed to buyers until the processor pays them
    platform:disputes          money the processor holds while a dispute is open
    platform:dispute_losses    what a lost dispute took beyond the ticket's refundable part
    platform:payouts_in_transit payouts submitted to the processor, not yet confirmed paid
    creator:<id>:pending       a creator's earnings held until the refund window passes
    creator:<id>:available     a creator's earnings ready to pay out (negative: the creator owes)
"""

from __future__ import annotations

from typing import Any

from api.store.db import Tx
from api.store.guards_sql import to_us

CASH, FEES, COMMISSION = "platform:cash", "platform:processor_fees", "platform:commission"
REFUNDS_PAYABLE, DISPUTES = "platform:refunds_payable", "platform:disputes"
IN_TRANSIT = "platform:payouts_in_transit"
DISPUTE_LOSSES = "platform:dispute_losses"


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
         [f"CREATE INDEX {e}_by_time ON {e} (occurred_us, position)"]),
        (p, f"CREATE TABLE {p} (entry_id VARCHAR(120) NOT NULL, line INTEGER NOT NULL, account TEXT NOT NULL,"
            " currency VARCHAR(3) NOT NULL, amount BIGINT NOT NULL, occurred_us BIGINT NOT NULL, position BIGINT NOT NULL,"
            " PRIMARY KEY (entry_id, line))",
         [f"CREATE INDEX {p}_by_account ON {p} (account, occurred_us)"]),
        (f, f"CREATE TABLE {f} (fact_id VARCHAR(120) PRIMARY KEY, kind VARCHAR(16) NOT NULL, occurred_us BIGINT NOT NULL,"
            " room_id VARCHAR(36) NOT NULL, creator_id TEXT NOT NULL, currency VARCHAR(3) NOT NULL,"
            " tickets INTEGER NOT NULL, gross BIGINT NOT NULL, fees BIGINT NOT NULL, commission BIGINT NOT NULL,"
            " creator_share BIGINT NOT NULL, refunds BIGINT NOT NULL)",
         [f"CREATE INDEX {f}_by_time ON {f} (occurred_us)", f"CREATE INDEX {f}_by_creator ON {f} (creator_id, occurred_us)"]),
        (r, f"CREATE TABLE {r} (room_id VARCHAR(36) PRIMARY KEY, creator_id TEXT NOT NULL, released BOOLEAN NOT NULL)",
         []),
        (f"ledger_room_pending{s}", f"CREATE TABLE ledger_room_pending{s} (room_id VARCHAR(36) NOT NULL,"
         " currency VARCHAR(3) NOT NULL, amount BIGINT NOT NULL, PRIMARY KEY (room_id, currency))", []),
    ]


class LedgerProjection:
    name = "ledger"

    def tables(self, suffix: str = "") -> list[tuple[str, str, list[str]]]:
        return _ddl(suffix)

    def apply(self, tx: Tx, event: Any, position: int, suffix: str = "") -> None:
        handler = getattr(self, "_" + type(event).__qualname__.replace(".", "_"), None)
        if handler is not None:
            handler(tx, event, position, suffix)

    # --- posting -----------------------------------------------------------------

    def post(self, tx: Tx, s: str, *, entry_id: str, kind: str, position: int, at: Any, currency: str,
             postings: list[tuple[str, int]], room_id: Any = None, creator_id: str | None = None,
             ticket_id: Any = None, reference: str | None = None, memo: str | None = None) -> None:
        lines = [(account, amount) for account, amount in postings if amount != 0]
        if sum(amount for _, amount in lines) != 0:
            raise UnbalancedEntryError(f"{entry_id}: postings {lines} do not balance")
        if not lines:
            return
        occurred = to_us(at)
        tx.execute(
            f"INSERT INTO ledger_entries{s} (entry_id, kind, position, occurred_us, currency, room_id, creator_id,"
            " ticket_id, reference, memo) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (entry_id, kind, position, occurred, currency, str(room_id) if room_id else None, creator_id,
             str(ticket_id) if ticket_id else None, reference, memo),
        )
        tx.executemany(
            f"INSERT INTO ledger_postings{s} (entry_id, line, account, currency, amount, occurred_us, position)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [(entry_id, i, account, currency, amount, occurred, position) for i, (account, amount) in enumerate(lines)],
        )

    def fact(self, tx: Tx, s: str, fact_id: str, kind: str, at: Any, room_id: Any, creator_id: str, currency: str,
             *, tickets: int = 0, gross: int = 0, fees: int = 0, commission: int = 0, creator_share: int = 0,
             refunds: int = 0) -> None:
        tx.execute(
            f"INSERT INTO revenue_facts{s} (fact_id, kind, occurred_us, room_id, creator_id, currency, tickets, gross,"
            " fees, commission, creator_share, refunds) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (fact_id, kind, to_us(at), str(room_id), creator_id, currency, tickets, gross, fees, commission,
             creator_share, refunds),
        )

    def _earnings_account(self, tx: Tx, s: str, room_id: Any, creator_id: str, currency: str, delta: int) -> str:
        """Where a room's creator share sits now: pending until released, then available.

        While pending, the room's own pending balance per currency is tracked too,
        so the release moves exactly what that room earned.
        """
        row = tx.one(f"SELECT released FROM ledger_rooms{s} WHERE room_id = %s", (str(room_id),))
        if row and row["released"]:
            return available(creator_id)
        tx.execute(
            f"INSERT INTO ledger_room_pending{s} (room_id, currency, amount) VALUES (%s, %s, %s)"
            f" ON CONFLICT (room_id, currency) DO UPDATE SET amount = ledger_room_pending{s}.amount + excluded.amount",
            (str(room_id), currency, delta),
        )
        return pending(creator_id)

    # --- handlers -------------------------------------------------------------------

    def _Room_Opened(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        tx.execute(f"INSERT INTO ledger_rooms{s} (room_id, creator_id, released) VALUES (%s, %s, %s)",
                   (str(e.originator_id), e.host_id, False))

    def _Ticket_Paid(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        earnings = self._earnings_account(tx, s, e.room_id, e.creator_id, e.currency, e.creator_share)
        self.post(tx, s, entry_id=f"sale:{e.originator_id}", kind="sale", position=pos, at=e.paid_at,
                  currency=e.currency, room_id=e.room_id, creator_id=e.creator_id, ticket_id=e.originator_id,
                  reference=e.charge_id or e.payment_id, memo=f"policy {e.policy_version}",
                  postings=[(CASH, e.gross), (earnings, -e.creator_share), (COMMISSION, -e.commission),
                            (FEES, e.fee), (CASH, -e.fee)])
        self.fact(tx, s, f"sale:{e.originator_id}", "sale", e.paid_at, e.room_id, e.creator_id, e.currency,
                  tickets=1, gross=e.gross, fees=e.fee, commission=e.commission, creator_share=e.creator_share)

    def _Ticket_RefundRequested(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        earnings = self._earnings_account(tx, s, e.room_id, e.creator_id, e.currency, -e.creator_reversal)
        self.post(tx, s, entry_id=f"refund:{e.refund_id}", kind="refund", position=pos, at=e.at, currency=e.currency,
                  room_id=e.room_id, creator_id=e.creator_id, ticket_id=e.originator_id, memo=e.reason,
                  postings=[(earnings, e.creator_reversal), (COMMISSION, e.commission_reversal),
                            (REFUNDS_PAYABLE, -e.amount)])
        self.fact(tx, s, f"refund:{e.refund_id}", "refund", e.at, e.room_id, e.creator_id, e.currency,
                  tickets=-1 if e.full else 0, commission=-e.commission_reversal, creator_share=-e.creator_reversal,
                  refunds=e.amount)

    def _Ticket_RefundSettled(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        self.post(tx, s, entry_id=f"refund-paid:{e.refund_id}", kind="refund_paid", position=pos, at=e.at,
                  currency=e.currency, room_id=e.room_id, creator_id=e.creator_id, ticket_id=e.originator_id,
                  reference=e.processor_refund_id, postings=[(REFUNDS_PAYABLE, e.amount), (CASH, -e.amount)])

    def _Ticket_DisputeOpened(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        self.post(tx, s, entry_id=f"dispute:{e.dispute_id}", kind="dispute_opened", position=pos, at=e.at,
                  currency=e.currency, room_id=e.room_id, creator_id=e.creator_id, ticket_id=e.originator_id,
                  reference=e.dispute_id, postings=[(DISPUTES, e.amount), (CASH, -e.amount)])

    def _Ticket_DisputeClosed(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        if e.won:
            postings = [(CASH, e.disputed_amount), (DISPUTES, -e.disputed_amount)]
        else:
            earnings = self._earnings_account(tx, s, e.room_id, e.creator_id, e.currency, -e.creator_reversal)
            # The held money is gone; what the buyer got back reverses the split.
            postings = [(earnings, e.creator_reversal), (COMMISSION, e.commission_reversal),
                        (DISPUTES, -e.disputed_amount), (DISPUTE_LOSSES, e.disputed_amount - e.amount)]
            self.fact(tx, s, f"dispute-lost:{e.dispute_id}", "dispute", e.at, e.room_id, e.creator_id, e.currency,
                      tickets=-1, commission=-e.commission_reversal, creator_share=-e.creator_reversal, refunds=e.amount)
        self.post(tx, s, entry_id=f"dispute-closed:{e.dispute_id}", kind="dispute_won" if e.won else "dispute_lost",
                  position=pos, at=e.at, currency=e.currency, room_id=e.room_id, creator_id=e.creator_id,
                  ticket_id=e.originator_id, reference=e.dispute_id, postings=postings)

    # --- earnings release and payouts --------------------------------------------------

    def _Room_EarningsReleased(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        room = tx.one(f"SELECT creator_id FROM ledger_rooms{s} WHERE room_id = %s", (str(e.originator_id),))
        if room is None:  # Safeguard, should never happen: a room opens before it ends.
            return
        for row in tx.all(f"SELECT currency, amount FROM ledger_room_pending{s} WHERE room_id = %s ORDER BY currency",
                          (str(e.originator_id),)):
            self.post(tx, s, entry_id=f"release:{e.originator_id}:{row['currency']}", kind="earnings_released",
                      position=pos, at=e.at, currency=row["currency"], room_id=e.originator_id,
                      creator_id=room["creator_id"], memo=f"refund window passed as of {e.as_of.isoformat()}",
                      postings=[(pending(room["creator_id"]), int(row["amount"])),
                                (available(room["creator_id"]), -int(row["amount"]))])
        tx.execute(f"DELETE FROM ledger_room_pending{s} WHERE room_id = %s", (str(e.originator_id),))
        tx.execute(f"UPDATE ledger_rooms{s} SET released = %s WHERE room_id = %s", (True, str(e.originator_id)))

    def _Payout_Scheduled(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        self.post(tx, s, entry_id=f"payout:{e.originator_id}", kind="payout_scheduled", position=pos, at=e.at,
                  currency=e.currency, creator_id=e.creator_id, reference=str(e.originator_id), memo=e.period,
                  postings=[(available(e.creator_id), e.amount), (IN_TRANSIT, -e.amount)])

    def _Payout_Paid(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        self.post(tx, s, entry_id=f"payout-paid:{e.originator_id}", kind="payout_paid", position=pos, at=e.at,
                  currency=e.currency, creator_id=e.creator_id, reference=e.transfer_id,
                  postings=[(IN_TRANSIT, e.amount), (CASH, -e.amount)])

    def _Payout_Failed(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        # Paid already: the transfer was reversed and the cash came back. Otherwise the
        # money never left: it returns from in transit.
        source = CASH if e.was == "paid" else IN_TRANSIT
        self.post(tx, s, entry_id=f"payout-failed:{e.originator_id}", kind="payout_failed", position=pos, at=e.at,
                  currency=e.currency, creator_id=e.creator_id, reference=e.reversal_id or e.transfer_id,
                  memo=e.reason, postings=[(source, e.amount), (available(e.creator_id), -e.amount)])

    def _Payout_Cancelled(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        self.post(tx, s, entry_id=f"payout-cancelled:{e.originator_id}", kind="payout_cancelled", position=pos,
                  at=e.at, currency=e.currency, creator_id=e.creator_id, memo=e.reason,
                  postings=[(IN_TRANSIT, e.amount), (available(e.creator_id), -e.amount)])
