"""Money as integer minor units with an ISO 4217 currency.

No float and no Decimal ever reaches an amount: the edge parses integers, the
domain adds and compares integers, events carry integers. Different currencies
never add; trying raises CurrencyMismatchError.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import CurrencyMismatchError, InvalidPriceError

# ISO 4217 codes we accept, with their minor-unit exponent. Assumption: the
# list covers what Stripe settles for creators; extend it, never guess.
CURRENCY_EXPONENTS: dict[str, int] = {
    "USD": 2, "EUR": 2, "GBP": 2, "CAD": 2, "AUD": 2, "NZD": 2, "CHF": 2,
    "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2, "BRL": 2, "MXN": 2,
    "INR": 2, "SGD": 2, "HKD": 2, "ZAR": 2, "JPY": 0, "KRW": 0,
}


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units (cents for USD) of one currency."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        # bool is an int subclass; True dollars is nonsense.
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise InvalidPriceError(f"amount must be an integer of minor units, got {self.amount!r}")
        if self.currency not in CURRENCY_EXPONENTS:
            raise InvalidPriceError(f"unknown currency {self.currency!r}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"{self.currency} and {other.currency} do not add")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def to_dict(self) -> dict[str, int | str]:
        return {"amount": self.amount, "currency": self.currency}

    @classmethod
    def from_dict(cls, data: dict) -> Money:
        return cls(int(data["amount"]), str(data["currency"]))

    def __str__(self) -> str:
        exp = CURRENCY_EXPONENTS[self.currency]
        sign = "-" if self.amount < 0 else ""
        whole, frac = divmod(abs(self.amount), 10**exp)
        return f"{sign}{whole}.{frac:0{exp}d} {self.currency}" if exp else f"{sign}{whole} {self.currency}"


def minor_units(currency: str, major: int) -> int:
    """`major` whole units of `currency` in minor units (50,000 USD -> 5,000,000)."""
    return major * 10 ** CURRENCY_EXPONENTS[currency]
