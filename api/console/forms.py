"""Turning what people type into what the API takes: amounts in minor units, times in UTC.

No float touches an amount: "9.99" is split at the point and checked digit by digit.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from domain.money import CURRENCY_EXPONENTS

_AMOUNT = re.compile(r"^\s*(\d{1,12})(?:[.,](\d{1,4}))?\s*$")


def major_to_minor(text: str, currency: str) -> int:
    """'9.99' USD -> 999; '1000' JPY -> 1000. More decimals than the currency has is an error."""
    if currency not in CURRENCY_EXPONENTS:
        raise ValueError(f"unknown currency {currency!r}")
    exponent = CURRENCY_EXPONENTS[currency]
    match = _AMOUNT.match(text or "")
    if not match:
        raise ValueError("the price must be an amount like 9.99")
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > exponent:
        raise ValueError(f"{currency} has {exponent} decimal places")
    return int(whole) * 10**exponent + (int(fraction.ljust(exponent, "0")) if exponent else 0)


def parse_local_utc(text: str) -> str | None:
    """A `datetime-local` field, read as UTC (the console says so), as RFC 3339; empty means now."""
    if not text or not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError("the start must be a date and time like 2026-12-01T18:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()
