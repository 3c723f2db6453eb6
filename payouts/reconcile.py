"""Reconciliation: prove every cent of the ledger against the processor's balance transactions.

From the ledger, every posting that moved the platform's cash at the processor
says which processor object it expects (a charge, a refund, a dispute
adjustment, a transfer, a transfer reversal) and for how much; payouts still in
transit expect their transfer too. From the processor come its balance
transactions. They are matched by the processor's object id (the
balance transaction's `source`) and direction, then compared by amount (and,
for charges, by fee). Each item lands in one category:

    matched                 both sides agree
    missing_at_processor    in the ledger, not at the processor
    missing_in_ledger       at the processor, not in the ledger
    amount_mismatch         both sides, different amount or fee

Only items dated inside [from, to) are reported; their counterparts are
looked up with a margin on either side, so a charge at 23:59:59 whose balance
transaction is stamped a second later is not a false difference.

Disputes: the processor's dispute fee is compared as a note, not as a
difference; the ledger books the disputed amount.

`run_reconciliation` is the use case the API and the CLI share: reconcile a
range and record the run (`Reconciliation`) with what it found.

May import: domain/, store/, projections/ (the ledger's accounts and
projections/queries/) and payouts/.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from store.db import Database
from store.timecodes import from_us, to_us
from domain.application import BoxOffice
from domain.errors import ValidationError
from domain.payments import PaymentGateway
from payouts.model import Reconciliation
from projections.ledger import CASH, FEES
from projections.queries import reconciliation as queries

MARGIN = timedelta(days=2)
# A range is widened by MARGIN within these bounds: nothing of ours, or of the processor's, is older than
# the Unix epoch, and a `to` near the end of year 9999 cannot be widened past it (that was a 500).
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
CATEGORIES = ("matched", "missing_at_processor", "missing_in_ledger", "amount_mismatch")


@dataclass
class Expected:
    """A movement the ledger expects at the processor."""

    type: str
    reference: str
    currency: str
    amount: int
    fee: int | None
    occurred_at: datetime
    entry_id: str
    note: str = ""


@dataclass
class Line:
    category: str
    type: str
    reference: str | None
    currency: str
    ledger_amount: int | None
    processor_amount: int | None
    ledger_fee: int | None = None
    processor_fee: int | None = None
    balance_transaction_id: str | None = None
    entry_id: str | None = None
    occurred_at: str | None = None
    note: str = ""


def _expected_from_ledger(db: Database, start: datetime, end: datetime) -> list[Expected]:
    rows = queries.cash_postings(db, to_us(start), to_us(end))
    entries: dict[str, dict[str, Any]] = {}
    for r in rows:
        e = entries.setdefault(r["entry_id"], {**r, "cash": 0, "fee": 0, "moves_cash": False})
        if r["account"] == CASH:
            e["cash"] += int(r["amount"])
            e["moves_cash"] = True
        if r["account"] == FEES:
            e["fee"] += int(r["amount"])
    expected = []
    for e in entries.values():
        at = from_us(e["occurred_us"])
        assert at is not None
        kind, ref = e["kind"], e["reference"] or ""
        if kind in ("sale", "sale_settlement"):  # the cash postings are +gross and -fee
            if not e["moves_cash"]:  # settled in another currency: its sale_settlement entry holds the charge
                continue
            expected.append(Expected("charge", ref, e["currency"], e["cash"] + e["fee"], e["fee"], at, e["entry_id"]))
        elif kind == "refund_paid":
            expected.append(Expected("refund", ref, e["currency"], e["cash"], None, at, e["entry_id"]))
        elif kind in ("dispute_opened", "dispute_won"):
            expected.append(Expected("adjustment", ref, e["currency"], e["cash"], None, at, e["entry_id"]))
        elif kind == "payout_paid":
            expected.append(Expected("transfer", ref, e["currency"], e["cash"], None, at, e["entry_id"]))
        elif kind in ("payout_failed", "payout_reversed") and e["cash"]:
            expected.append(Expected("transfer_refund", ref, e["currency"], e["cash"], None, at, e["entry_id"]))
    # Transfers made for payouts not yet confirmed paid, or failed before: not cash in the
    # ledger yet (or any more), but real at the processor.
    for p in queries.transfers_in_flight(db, to_us(start), to_us(end)):
        at = from_us(p["updated_us"])
        assert at is not None
        expected.append(Expected("transfer", p["transfer_id"], p["currency"], -int(p["amount"]), None, at,
                                 f"payout:{p['payout_id']}", note=f"payout {p['status']}"))
        if p["status"] == "failed":
            reversal = queries.entry_reference(db, f"payout-failed:{p['payout_id']}")
            if reversal and reversal != p["transfer_id"]:
                expected.append(Expected("transfer_refund", reversal, p["currency"], int(p["amount"]),
                                         None, at, f"payout-failed:{p['payout_id']}", note="payout failed"))
    return expected


def _key(type_: str, reference: str | None, amount: int) -> tuple[str, str, int]:
    # Disputes have two adjustments with the same source: tell them apart by direction.
    return type_, reference or "", (1 if amount > 0 else -1) if type_ == "adjustment" else 0


def reconcile(db: Database, gateway: PaymentGateway, start: datetime, end: datetime) -> dict[str, Any]:
    low, high = max(start, EARLIEST + MARGIN) - MARGIN, min(end, LATEST - MARGIN) + MARGIN
    ledger_all = _expected_from_ledger(db, low, high)
    stripe_all = list(gateway.balance_transactions(low, high))
    ledger_by_key = {_key(x.type, x.reference, x.amount): x for x in ledger_all}
    stripe_by_key = {_key(t.type, t.source, t.amount.amount): t for t in stripe_all}
    lines: list[Line] = []
    seen: set[tuple[str, str, int]] = set()
    for key, x in ledger_by_key.items():
        t = stripe_by_key.get(key)
        in_range = start <= x.occurred_at < end or (t is not None and start <= t.created < end)
        if not in_range:
            continue
        seen.add(key)
        if t is None:
            lines.append(Line("missing_at_processor", x.type, x.reference, x.currency, x.amount, None, x.fee,
                              entry_id=x.entry_id, occurred_at=x.occurred_at.isoformat(), note=x.note))
            continue
        fee_differs = x.fee is not None and x.fee != t.fee.amount
        category = "amount_mismatch" if (t.amount.amount != x.amount or fee_differs
                                         or t.amount.currency != x.currency) else "matched"
        note = x.note
        if x.type == "adjustment" and t.fee.amount:
            note = (note + "; " if note else "") + f"processor dispute fee {t.fee.amount}"
        lines.append(Line(category, x.type, x.reference, x.currency, x.amount, t.amount.amount, x.fee, t.fee.amount,
                          t.id, x.entry_id, x.occurred_at.isoformat(), note))
    for key, t in stripe_by_key.items():
        if key in seen or not start <= t.created < end:
            continue
        if t.type in ("payout", "payment", "stripe_fee"):  # the processor's own movements, not ours to book
            continue
        lines.append(Line("missing_in_ledger", t.type, t.source, t.amount.currency, None, t.amount.amount, None,
                          t.fee.amount, t.id, occurred_at=t.created.isoformat()))
    totals: dict[str, dict[str, Any]] = {c: {"count": 0, "amounts": defaultdict(int)} for c in CATEGORIES}
    for line in lines:
        total = totals[line.category]
        total["count"] += 1
        total["amounts"][line.currency] += line.processor_amount if line.processor_amount is not None else (line.ledger_amount or 0)
    differences = sum(totals[c]["count"] for c in CATEGORIES if c != "matched")
    return {
        "from": start.isoformat(), "to": end.isoformat(), "clean": differences == 0, "differences": differences,
        "totals": {c: {"count": v["count"], "amounts": dict(v["amounts"])} for c, v in totals.items()},
        "items": [asdict(line) for line in lines],
    }


def run_reconciliation(app: BoxOffice, db: Database, catch_up: Callable[[], object], start: datetime,
                       end: datetime, requested_by: str) -> dict[str, Any]:
    """Reconcile [start, end) against the application's gateway and record that it was done (and
    what it found). `catch_up` brings the read tables to the log head: before reading the ledger,
    and after saving the run so that its record is listed at once."""
    if end <= start:
        raise ValidationError("`to` must be after `from`")
    catch_up()
    result = reconcile(db, app.gateway, start, end)
    summary = {"totals": result["totals"], "differences": result["differences"],
               "items": [i for i in result["items"] if i["category"] != "matched"][:1000]}
    run = Reconciliation(range_from=start, range_to=end, requested_by=requested_by, clean=result["clean"],
                         summary=summary, at=app.clock.now())
    app.uow.save(run)
    catch_up()
    return {"run_id": str(run.id), "provider": app.gateway.name, **result}
