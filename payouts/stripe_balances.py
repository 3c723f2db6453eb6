"""Stripe balance transactions: what the platform's balance moved, for reconciliation.

May import: stripe, domain/ (the port's types), payouts/stripe_common.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import stripe
from stripe.params import BalanceTransactionListParams

from domain.money import Money
from domain.payments import BalanceTransaction
from payouts.stripe_common import LIST_PAGE_SIZE, calling_stripe, ceil_seconds, get, id_of


class StripeBalances:
    """The platform's balance transactions."""

    def __init__(self, v1: Any) -> None:
        self._v1 = v1

    def balance_transactions(self, created_from: datetime, created_to: datetime) -> Iterator[BalanceTransaction]:
        """Every platform balance transaction created in [from, to), oldest first.

        Reads the whole window before answering (Stripe lists newest first),
        so a Stripe failure raises here, not halfway through a reconciliation.
        Stripe's `created` is whole seconds; the bounds round up, which keeps
        the half-open interval exact.
        """
        if created_to < created_from:
            raise ValueError(f"the window ends ({created_to}) before it starts ({created_from})")
        params: BalanceTransactionListParams = {
            "created": {"gte": ceil_seconds(created_from), "lt": ceil_seconds(created_to)},
            "limit": LIST_PAGE_SIZE,
        }
        with calling_stripe("list balance transactions"):
            rows = [
                _balance_transaction(txn)
                for txn in self._v1.balance_transactions.list(params=params).auto_paging_iter()
            ]
        rows.reverse()
        rows.sort(key=lambda row: row.created)  # stable: within a second, Stripe's order reversed
        return iter(rows)


def _balance_transaction(txn: stripe.BalanceTransaction) -> BalanceTransaction:
    currency = txn.currency.upper()
    return BalanceTransaction(
        id=txn.id,
        type=txn.type,
        amount=Money(txn.amount, currency),
        fee=Money(txn.fee, currency),
        net=Money(txn.net, currency),
        source=id_of(get(txn, "source")),
        created=datetime.fromtimestamp(txn.created, tz=UTC),
    )
