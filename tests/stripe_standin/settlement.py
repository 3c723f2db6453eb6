"""The platform's settlement currency: a charge in another currency is converted before it lands.

Why: Stripe pays a charge into the account's settlement currency. A EUR
charge on a USD platform leaves a balance transaction in USD whose `amount`
is the EUR amount times `exchange_rate`, with `fee` and `net` in USD too
(https://docs.stripe.com/api/balance_transactions/object#balance_transaction_object-exchange_rate).
The fee is charged on the converted amount. Tests of "fees in their currency"
need exactly that shape.

Assumptions (test mode simplifications): one fixed rate per currency pair,
given by the test as decimal text; the converted amount rounds half up to
the minor unit; both currencies have two decimals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Converted:
    amount: int
    currency: str  # lowercase, as Stripe writes it
    exchange_rate: float | None  # what Stripe's JSON carries; None when nothing was converted


@dataclass(frozen=True)
class SettlementCurrency:
    """`currency=None`: every charge settles in its own currency (the default, no conversion)."""

    currency: str | None = None
    rates: Mapping[str, str] = field(default_factory=dict)  # charge currency -> rate to `currency`

    def convert(self, amount: int, charge_currency: str) -> Converted:
        code = charge_currency.lower()
        if self.currency is None or code == self.currency.lower():
            return Converted(amount, code, None)
        rate_text = {k.lower(): v for k, v in self.rates.items()}.get(code)
        if rate_text is None:
            raise ValueError(f"no exchange rate from {code} to {self.currency} configured in the stand-in")
        rate = Decimal(rate_text)
        settled = int((amount * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        return Converted(settled, self.currency.lower(), float(rate))
