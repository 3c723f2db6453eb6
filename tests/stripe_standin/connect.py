"""Connect: Express accounts, onboarding links, transfers, reversals and payouts.

Why: creators are paid by *separate charges and transfers*: the platform
charges the ticket, then moves the creator's share with a Transfer to the
creator's connected account, from which Stripe pays out to the bank. Each
step leaves balance transactions on the side it touches: `transfer` on the
platform and `payment` on the account; a reversal `transfer_refund` and
`payment_refund`; a payout `payout`, and `payout_failure` when the bank
returns it.

Assumptions: an account's `transfers` capability is active exactly when its
payouts are enabled unless a test says otherwise; a new Express account
requests `card_payments` and `transfers` when it names no capabilities.

Each resource lives in its own module (accounts, transfers, payouts); Connect puts them together
on one store, for the server.

May import: the stdlib and the stand-in's own modules.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.stripe_standin.accounts import Accounts
from tests.stripe_standin.objects import Store
from tests.stripe_standin.payouts import Payouts
from tests.stripe_standin.transfers import Transfers


class Connect(Accounts, Transfers, Payouts):
    """Connected accounts and the money the platform moves to them."""

    def __init__(self, store: Store, *, link_base: Callable[[], str]) -> None:
        self.store = store
        self._link_base = link_base
        # Balance transaction id -> the automatic payout that carried it to the bank.
        self.carried: dict[str, str] = {}
