"""The double-entry revenue ledger, built from money events only.

One balanced journal entry per business event, keyed by an idempotency key
(`sale:<ticket>`, `refund:<refund>`, ...). Append-only: a correction is a
reversing entry. Amounts are signed minor units per posting: debit positive,
credit negative; every entry sums to zero per currency, so the trial balance
is zero. An unbalanced entry raises and rolls the batch back: a money bug
stops the projector rather than corrupting the books.

One handler per event kind, below, writing through a `LedgerView`
(projections/ledger_view.py: PostgreSQL and SQLite), which keeps beside the
postings, in the same batch transaction, what finance reads: balances per
account and currency with their hourly history (ledger_balances.py),
movements per account, day and kind (ledger_movements.py), and revenue per
room and day (revenue_rollups.py). Imports domain/, store/ and this package
only (Payout events are named by kind: they are defined in payouts/, a floor above).

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

from typing import Any

from store.timecodes import to_us
from domain.rooms.model import Room
from domain.sales.model import Ticket
from projections import ledger_balances, ledger_movements, revenue_rollups
from projections.ids import id_text
from projections.ledger_view import LedgerView, PostgresLedgerView, SqliteLedgerView
from projections.projection import Projection, handles

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


MONEY_EVENTS = frozenset(k.__qualname__ for k in (Ticket.Paid, Ticket.Sold, Ticket.RefundRequested,
                                                  Ticket.RefundSettled, Ticket.DisputeOpened, Ticket.DisputeClosed))


class LedgerProjection(Projection[LedgerView]):
    name = "ledger"
    views = {"postgresql": PostgresLedgerView, "sqlite": SqliteLedgerView}
    # Written only by COPY and never read while the log is applied: a replay loads them
    # without their primary keys and builds each once at the end (projections/rebuild.py).
    append_only = frozenset({"ledger_entries", "ledger_postings", "revenue_facts"})

    def tables(self, suffix: str = "") -> list[tuple[str, str, list[str]]]:
        return _ddl(suffix)

    def prepare(self, view: LedgerView, events: list[tuple[int, Any]]) -> None:
        rooms = set()
        for _, e in events:
            kind = type(e).__qualname__
            if kind.startswith("Room."):
                rooms.add(id_text(e.originator_id))
            elif kind in MONEY_EVENTS:
                rooms.add(id_text(e.room_id))
        view.preload(rooms)

    # --- rooms ---------------------------------------------------------------------------

    @handles(Room.Opened)
    def room_opened(self, view: LedgerView, e: Any, pos: int) -> None:
        view.add_room(id_text(e.originator_id), e.host_id)

    @handles(Room.EarningsReleased)
    def earnings_released(self, view: LedgerView, e: Any, pos: int) -> None:
        room_id = id_text(e.originator_id)
        room = view.room(room_id)
        if room is None:  # Safeguard, should never happen: a room opens before it ends.
            return
        creator = room["creator_id"]
        for currency, amount in sorted(view.pending(room_id).items()):
            _post(view, entry_id=f"release:{room_id}:{currency}", kind="earnings_released", position=pos, at=e.at,
                  currency=currency, room_id=room_id, creator_id=creator,
                  memo=f"refund window passed as of {e.as_of.isoformat()}",
                  postings=[(pending(creator), amount), (available(creator), -amount)])
            view.add_pending(room_id, currency, -amount)
        view.release(room_id)

    # --- tickets ---------------------------------------------------------------------------

    @handles(Ticket.Paid, Ticket.Sold)  # `Sold` is `Reserved` then `Paid`, and answers `Paid`'s fields
    def paid(self, view: LedgerView, e: Any, pos: int) -> None:
        """A sale. The fee is posted in its own (settlement) currency.

        Same currency: one entry, cash in, split out, fee from cash to fees.
        Settled in another currency (a EUR ticket paid into a USD balance): the
        sale entry debits `fx_clearing` in the ticket's currency instead of cash,
        and a `sale_settlement` entry in the settlement currency brings what
        reached the balance (net + fee) into cash against `fx_clearing` and moves
        the fee. The two fx_clearing postings are the FX pair; each entry
        balances in its own currency, so every currency's trial balance stays 0.
        """
        ticket, room = id_text(e.originator_id), id_text(e.room_id)  # once: a rebuild runs this for every sale
        earnings = _earnings_account(view, room, e.creator_id, e.currency, e.creator_share)
        reference = e.charge_id or e.payment_id
        if e.fee_currency == e.currency:
            _post(view, entry_id=f"sale:{ticket}", kind="sale", position=pos, at=e.paid_at, currency=e.currency,
                  room_id=room, creator_id=e.creator_id, ticket_id=ticket,
                  reference=reference, memo=f"policy {e.policy_version}",
                  postings=[(CASH, e.gross), (earnings, -e.creator_share), (COMMISSION, -e.commission),
                            (FEES, e.fee), (CASH, -e.fee)])
            _fact(view, f"sale:{ticket}", "sale", e.paid_at, room, e.creator_id, e.currency,
                  tickets=1, gross=e.gross, fees=e.fee, commission=e.commission, creator_share=e.creator_share)
            return
        _post(view, entry_id=f"sale:{ticket}", kind="sale", position=pos, at=e.paid_at, currency=e.currency,
              room_id=room, creator_id=e.creator_id, ticket_id=ticket,
              reference=reference, memo=f"policy {e.policy_version}; settled in {e.fee_currency}",
              postings=[(FX_CLEARING, e.gross), (earnings, -e.creator_share), (COMMISSION, -e.commission)])
        settled = e.net + e.fee
        _post(view, entry_id=f"sale-settled:{ticket}", kind="sale_settlement", position=pos, at=e.paid_at,
              currency=e.fee_currency, room_id=room, creator_id=e.creator_id, ticket_id=ticket, reference=reference,
              memo=f"{e.gross} {e.currency} at {e.exchange_rate}",
              postings=[(CASH, settled), (FX_CLEARING, -settled), (FEES, e.fee), (CASH, -e.fee)])
        _fact(view, f"sale:{ticket}", "sale", e.paid_at, room, e.creator_id, e.currency,
              tickets=1, gross=e.gross, commission=e.commission, creator_share=e.creator_share)
        _fact(view, f"sale-fee:{ticket}", "sale_fee", e.paid_at, room, e.creator_id, e.fee_currency, fees=e.fee)

    @handles(Ticket.RefundRequested)
    def refund_requested(self, view: LedgerView, e: Any, pos: int) -> None:
        earnings = _earnings_account(view, id_text(e.room_id), e.creator_id, e.currency, -e.creator_reversal)
        _post(view, entry_id=f"refund:{e.refund_id}", kind="refund", position=pos, at=e.at, currency=e.currency,
              room_id=e.room_id, creator_id=e.creator_id, ticket_id=e.originator_id, memo=e.reason,
              postings=[(earnings, e.creator_reversal), (COMMISSION, e.commission_reversal),
                        (REFUNDS_PAYABLE, -e.amount)])
        _fact(view, f"refund:{e.refund_id}", "refund", e.at, e.room_id, e.creator_id, e.currency,
              tickets=-1 if e.full else 0, commission=-e.commission_reversal, creator_share=-e.creator_reversal,
              refunds=e.amount)

    @handles(Ticket.RefundSettled)
    def refund_settled(self, view: LedgerView, e: Any, pos: int) -> None:
        _post(view, entry_id=f"refund-paid:{e.refund_id}", kind="refund_paid", position=pos, at=e.at,
              currency=e.currency, room_id=e.room_id, creator_id=e.creator_id, ticket_id=e.originator_id,
              reference=e.processor_refund_id, postings=[(REFUNDS_PAYABLE, e.amount), (CASH, -e.amount)])

    @handles(Ticket.DisputeOpened)
    def dispute_opened(self, view: LedgerView, e: Any, pos: int) -> None:
        _post(view, entry_id=f"dispute:{e.dispute_id}", kind="dispute_opened", position=pos, at=e.at,
              currency=e.currency, room_id=e.room_id, creator_id=e.creator_id, ticket_id=e.originator_id,
              reference=e.dispute_id, postings=[(DISPUTES, e.amount), (CASH, -e.amount)])

    @handles(Ticket.DisputeClosed)
    def dispute_closed(self, view: LedgerView, e: Any, pos: int) -> None:
        if e.won:
            postings = [(CASH, e.disputed_amount), (DISPUTES, -e.disputed_amount)]
        else:
            earnings = _earnings_account(view, id_text(e.room_id), e.creator_id, e.currency, -e.creator_reversal)
            # The held money is gone; what the buyer got back reverses the split.
            postings = [(earnings, e.creator_reversal), (COMMISSION, e.commission_reversal),
                        (DISPUTES, -e.disputed_amount), (DISPUTE_LOSSES, e.disputed_amount - e.amount)]
            _fact(view, f"dispute-lost:{e.dispute_id}", "dispute", e.at, e.room_id, e.creator_id, e.currency,
                  tickets=-1, commission=-e.commission_reversal, creator_share=-e.creator_reversal, refunds=e.amount)
        _post(view, entry_id=f"dispute-closed:{e.dispute_id}", kind="dispute_won" if e.won else "dispute_lost",
              position=pos, at=e.at, currency=e.currency, room_id=e.room_id, creator_id=e.creator_id,
              ticket_id=e.originator_id, reference=e.dispute_id, postings=postings)

    # --- payouts (payouts/model.py: named by kind, a floor above) ---------------------------------

    @handles("Payout.Scheduled")
    def payout_scheduled(self, view: LedgerView, e: Any, pos: int) -> None:
        _post(view, entry_id=f"payout:{e.originator_id}", kind="payout_scheduled", position=pos, at=e.at,
              currency=e.currency, creator_id=e.creator_id, reference=id_text(e.originator_id), memo=e.period,
              postings=[(available(e.creator_id), e.amount), (IN_TRANSIT, -e.amount)])

    @handles("Payout.Paid")
    def payout_paid(self, view: LedgerView, e: Any, pos: int) -> None:
        _post(view, entry_id=f"payout-paid:{e.originator_id}", kind="payout_paid", position=pos, at=e.at,
              currency=e.currency, creator_id=e.creator_id, reference=e.transfer_id,
              postings=[(IN_TRANSIT, e.amount), (CASH, -e.amount)])

    @handles("Payout.Failed")
    def payout_failed(self, view: LedgerView, e: Any, pos: int) -> None:
        # Paid already: the transfer was reversed and the cash came back. Otherwise the
        # money never left: it returns from in transit.
        source = CASH if e.was == "paid" else IN_TRANSIT
        _post(view, entry_id=f"payout-failed:{e.originator_id}", kind="payout_failed", position=pos, at=e.at,
              currency=e.currency, creator_id=e.creator_id, reference=e.reversal_id or e.transfer_id, memo=e.reason,
              postings=[(source, e.amount), (available(e.creator_id), -e.amount)])

    @handles("Payout.PartiallyReversed")
    def payout_partially_reversed(self, view: LedgerView, e: Any, pos: int) -> None:
        source = CASH if e.was == "paid" else IN_TRANSIT
        _post(view, entry_id=f"payout-reversed:{e.originator_id}:{pos}", kind="payout_reversed", position=pos,
              at=e.at, currency=e.currency, creator_id=e.creator_id, reference=e.reversal_id or e.transfer_id,
              memo="partial transfer reversal", postings=[(source, e.amount), (available(e.creator_id), -e.amount)])

    @handles("Payout.Cancelled")
    def payout_cancelled(self, view: LedgerView, e: Any, pos: int) -> None:
        _post(view, entry_id=f"payout-cancelled:{e.originator_id}", kind="payout_cancelled", position=pos, at=e.at,
              currency=e.currency, creator_id=e.creator_id, memo=e.reason,
              postings=[(IN_TRANSIT, e.amount), (available(e.creator_id), -e.amount)])


def _post(view: LedgerView, *, entry_id: str, kind: str, position: int, at: Any, currency: str,
          postings: list[tuple[str, int]], room_id: Any = None, creator_id: str | None = None,
          ticket_id: Any = None, reference: str | None = None, memo: str | None = None) -> None:
    """One balanced journal entry (zero lines dropped; none left, no entry), or UnbalancedEntryError."""
    lines = [(account, amount) for account, amount in postings if amount != 0]
    if sum(amount for _, amount in lines) != 0:
        raise UnbalancedEntryError(f"{entry_id}: postings {lines} do not balance")
    if not lines:
        return
    occurred = to_us(at)
    view.post((entry_id, kind, position, occurred, currency, id_text(room_id) if room_id else None, creator_id,
               id_text(ticket_id) if ticket_id else None, reference, memo),
              [(entry_id, i, account, currency, amount, occurred, position) for i, (account, amount) in enumerate(lines)])
    if kind in PAYOUT_KINDS and creator_id is not None:
        # What the creator's payouts moved, for their earnings (revenue_rollups.creator_totals): paid out is
        # what reached payouts_paid (in transit -> cash) less what came back in cash afterwards (a
        # transfer reversed after the payout was paid); in transit is what sits in in_transit.
        paid = in_transit = moved = 0
        for account, amount in lines:
            if account == IN_TRANSIT:
                in_transit -= amount
                paid += amount if kind == "payout_paid" else 0
                moved += 1
            elif account == CASH:
                paid -= amount if kind in ("payout_failed", "payout_reversed") else 0
                moved += 1
        if moved:
            view.payout(creator_id, currency, paid, in_transit, moved)


def _fact(view: LedgerView, fact_id: str, kind: str, at: Any, room_id: Any, creator_id: str, currency: str, *,
          tickets: int = 0, gross: int = 0, fees: int = 0, commission: int = 0, creator_share: int = 0,
          refunds: int = 0) -> None:
    view.fact((fact_id, kind, to_us(at), id_text(room_id), creator_id, currency, tickets, gross, fees, commission,
               creator_share, refunds))


def _earnings_account(view: LedgerView, room_id: str, creator_id: str, currency: str, delta: int) -> str:
    """Where a room's creator share sits now: pending until released, then available.

    While pending, the room's own pending balance per currency is tracked too,
    so the release moves exactly what that room earned.
    """
    room = view.room(room_id)
    if room is not None and room["released"]:
        return available(creator_id)
    view.add_pending(room_id, currency, delta)
    return pending(creator_id)
