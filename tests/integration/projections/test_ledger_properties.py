"""The books keep their rules for ANY sequence of sales, refunds, cancellations and disputes.

After the story (ledger_story.py) the projector catches up, and the books must agree with the events
(ARCHITECTURE.md, "Money rules"): every entry balances, the trial balance is zero, each creator's balance
is their share minus reversals, the platform's cash is what the processor holds, every sale's split
follows the creator's lifetime revenue, and the revenue report adds up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.money import Money
from domain.policies import CommissionPolicy
from projections.ledger import CASH, COMMISSION, DISPUTES, FEES, REFUNDS_PAYABLE, available, pending
from projections.queries import revenue as revenue_queries
from tests.integration.projections.ledger_story import (  # noqa: F401 - the module fixture is shared
    OPERATIONS,
    PROPERTY_SETTINGS,
    Story,
    fresh_services,
    migrated_template,
)
from tests.integration.projections.support import balance, domain_events, kind, trial_balance, unbalanced_entries


@dataclass
class Expected:
    """Account balances and journal entries the events call for (debit positive, credit negative)."""

    creator_totals: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    platform: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    entry_ids: set[str] = field(default_factory=set)
    lifetime_violations: list[str] = field(default_factory=list)
    revenue: dict[tuple[str, str], dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: dict.fromkeys(("tickets", "gross", "refunds", "fees",
                                                                    "commission", "creator_share"), 0)))

    @classmethod
    def from_events(cls, events: list[tuple[int, Any]]) -> Expected:
        expected = cls()
        lifetime: dict[tuple[str, str], int] = defaultdict(int)  # creator, currency -> gross net of refunds
        policy = CommissionPolicy()
        for _, e in events:
            k = kind(e)
            if k not in ("Ticket.Paid", "Ticket.Sold", "Ticket.RefundRequested", "Ticket.RefundSettled", "Ticket.DisputeOpened",
                         "Ticket.DisputeClosed"):
                continue
            cur, creator = e.currency, (e.creator_id, e.currency)
            if k in ("Ticket.Paid", "Ticket.Sold"):  # a sale, paid after its reservation or sold at once
                if e.lifetime_before != lifetime[creator] or \
                        policy.split(Money(e.gross, cur), e.lifetime_before).creator_share != e.creator_share:
                    expected.lifetime_violations.append(
                        f"sale {e.originator_id}: lifetime_before {e.lifetime_before}, revenue {lifetime[creator]}")
                lifetime[creator] += e.gross
                expected.add_revenue(creator, tickets=1, gross=e.gross, fees=e.fee, commission=e.commission,
                                     creator_share=e.creator_share)
                expected.creator_totals[creator] += e.creator_share
                expected.platform[(CASH, cur)] += e.gross - e.fee
                expected.platform[(FEES, cur)] += e.fee
                expected.platform[(COMMISSION, cur)] -= e.commission
                expected.entry_ids.add(f"sale:{e.originator_id}")
            elif k == "Ticket.RefundRequested":
                lifetime[creator] -= e.amount
                expected.add_revenue(creator, tickets=-1 if e.full else 0, refunds=e.amount,
                                     commission=-e.commission_reversal, creator_share=-e.creator_reversal)
                expected.creator_totals[creator] -= e.creator_reversal
                expected.platform[(COMMISSION, cur)] += e.commission_reversal
                expected.platform[(REFUNDS_PAYABLE, cur)] -= e.amount
                expected.entry_ids.add(f"refund:{e.refund_id}")
            elif k == "Ticket.RefundSettled":
                expected.platform[(REFUNDS_PAYABLE, cur)] += e.amount
                expected.platform[(CASH, cur)] -= e.amount
                expected.entry_ids.add(f"refund-paid:{e.refund_id}")
            elif k == "Ticket.DisputeOpened":
                expected.platform[(CASH, cur)] -= e.amount
                expected.platform[(DISPUTES, cur)] += e.amount
                expected.entry_ids.add(f"dispute:{e.dispute_id}")
            else:  # DisputeClosed: won, the held money comes back; lost, it is gone and the split reverses
                expected.platform[(DISPUTES, cur)] -= e.disputed_amount
                if e.won:
                    expected.platform[(CASH, cur)] += e.disputed_amount
                else:
                    lifetime[creator] -= e.amount
                    expected.add_revenue(creator, tickets=-1, refunds=e.amount, commission=-e.commission_reversal,
                                         creator_share=-e.creator_reversal)
                    expected.creator_totals[creator] -= e.creator_reversal
                    expected.platform[(COMMISSION, cur)] += e.commission_reversal
                expected.entry_ids.add(f"dispute-closed:{e.dispute_id}")
        return expected


    def add_revenue(self, creator: tuple[str, str], **amounts: int) -> None:
        for column, amount in amounts.items():
            self.revenue[creator][column] += amount

    def revenue_report(self) -> dict[tuple[str, str], dict[str, int]]:
        """What `GET /v1/reports/revenue?by=creator` should say: net = gross - refunds."""
        return {key: {**row, "net": row["gross"] - row["refunds"]} for key, row in self.revenue.items()}


def creator_balance(db: Any, creator_id: str, currency: str) -> int:
    """What the ledger owes the creator: credits on their pending and available accounts."""
    return -(balance(db, pending(creator_id), currency) + balance(db, available(creator_id), currency))


@PROPERTY_SETTINGS
@given(data=st.data())
def test_the_books_agree_with_the_events_for_any_sequence_of_money_operations(migrated_template: Path, data) -> None:  # noqa: ANN001
    with fresh_services(migrated_template) as services:
        # Arrange: creators, rooms, then whatever sequence Hypothesis picks.
        story = Story(services, data)
        story.set_up()
        for operation in data.draw(st.lists(st.sampled_from(OPERATIONS), min_size=15, max_size=60), label="operations"):
            story.run(operation)

        # Act: the projector catches up with the whole log.
        projector = services.projector
        projector.catch_up()

        # Assert: the books say what the events say.
        db = services.db
        events = domain_events(services.app)
        expected = Expected.from_events(events)
        assert unbalanced_entries(db) == []
        assert all(total == 0 for total in trial_balance(db).values()), trial_balance(db)
        assert {r["entry_id"] for r in db.query("SELECT entry_id FROM ledger_entries")} == expected.entry_ids
        for (creator_id, currency), total in expected.creator_totals.items():
            assert creator_balance(db, creator_id, currency) == total, (creator_id, currency)
        for (account, currency), total in expected.platform.items():
            assert balance(db, account, currency) == total, (account, currency)
        assert expected.lifetime_violations == []
        report = revenue_queries.revenue(db, by="creator", from_us=None, to_us=None)
        assert {(r["creator_id"], r["currency"]): {k: v for k, v in r.items() if k not in ("creator_id", "currency")}
                for r in report} == expected.revenue_report()
        assert all(r["net"] == r["commission"] + r["creator_share"] for r in report)
