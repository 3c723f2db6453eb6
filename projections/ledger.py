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

    def _earnings_account(self, tx: Tx, s: str, room_id: Any, creator_id: str) -> str:
        """Where a room's creator share sits now: pending until released, then available."""
        row = tx.one(f"SELECT released FROM ledger_rooms{s} WHERE room_id = %s", (str(room_id),))
        return available(creator_id) if row and row["released"] else pending(creator_id)

    # --- handlers -------------------------------------------------------------------

    def _Room_Opened(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        tx.execute(f"INSERT INTO ledger_rooms{s} (room_id, creator_id, released) VALUES (%s, %s, %s)",
                   (str(e.originator_id), e.host_id, False))

    def _Ticket_Paid(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        earnings = self._earnings_account(tx, s, e.room_id, e.creator_id)
        self.post(tx, s, entry_id=f"sale:{e.originator_id}", kind="sale", position=pos, at=e.paid_at,
                  currency=e.currency, room_id=e.room_id, creator_id=e.creator_id, ticket_id=e.originator_id,
                  reference=e.charge_id or e.payment_id, memo=f"policy {e.policy_version}",
                  postings=[(CASH, e.gross), (earnings, -e.creator_share), (COMMISSION, -e.commission),
                            (FEES, e.fee), (CASH, -e.fee)])
        self.fact(tx, s, f"sale:{e.originator_id}", "sale", e.paid_at, e.room_id, e.creator_id, e.currency,
                  tickets=1, gross=e.gross, fees=e.fee, commission=e.commission, creator_share=e.creator_share)

    def _Ticket_RefundRequested(self, tx: Tx, e: Any, pos: int, s: str) -> None:
        earnings = self._earnings_account(tx, s, e.room_id, e.creator_id)
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
            earnings = self._earnings_account(tx, s, e.room_id, e.creator_id)
            # The held money is gone; what the buyer got back reverses the split.
            postings = [(earnings, e.creator_reversal), (COMMISSION, e.commission_reversal),
                        (DISPUTES, -e.disputed_amount), (DISPUTE_LOSSES, e.disputed_amount - e.amount)]
            self.fact(tx, s, f"dispute-lost:{e.dispute_id}", "dispute", e.at, e.room_id, e.creator_id, e.currency,
                      tickets=-1, commission=-e.commission_reversal, creator_share=-e.creator_reversal, refunds=e.amount)
        self.post(tx, s, entry_id=f"dispute-closed:{e.dispute_id}", kind="dispute_won" if e.won else "dispute_lost",
                  position=pos, at=e.at, currency=e.currency, room_id=e.room_id, creator_id=e.creator_id,
                  ticket_id=e.originator_id, reference=e.dispute_id, postings=postings)
