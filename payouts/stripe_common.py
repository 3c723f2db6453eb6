"""What every part of the Stripe adapter shares: one error mapping, and reading Stripe's objects.

`calling_stripe` turns whatever the SDK raises (after its own retries) into the
port's `PaymentGatewayError`, with `retryable` and Stripe's error code; the
readers take a field of a Stripe object or a plain dict, an expandable field's
id or object, and metadata as plain strings. See payouts/stripe_gateway.py for
the adapter as a whole (keys, retries, API version).

May import: stripe, domain/ (the port's types).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

import stripe

from domain.payments import PaymentGatewayError

log = logging.getLogger("payouts.stripe_gateway")  # one logger for the whole adapter

LIST_PAGE_SIZE: Final = 100  # Stripe's maximum
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

T = TypeVar("T")


@contextmanager
def calling_stripe(action: str) -> Iterator[None]:
    """Turn what the SDK raises (after its own retries) into the port's error."""
    try:
        yield
    except stripe.StripeError as error:
        status = error.http_status
        retryable = isinstance(error, (stripe.APIConnectionError, stripe.RateLimitError)) or (
            status is not None and (status >= 500 or status == 409)
        )
        if isinstance(error, stripe.APIConnectionError):
            code: str | None = "api_connection_error"  # timeouts included: the request may have been executed
        else:
            code = error.code or (error.error.type if error.error is not None else None)
        log.warning(
            "stripe %s failed", action, extra={"stripe_code": code, "http_status": status, "retryable": retryable}
        )
        raise PaymentGatewayError(f"Stripe {action} failed: {error}", retryable=retryable, code=code) from error


def ceil_seconds(moment: datetime) -> int:
    """Unix seconds rounded up, without floats: for whole-second c, c >= t  <=>  c >= ceil(t)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} is naive: pass a timezone-aware UTC datetime")
    delta = moment - _EPOCH
    return delta.days * 86_400 + delta.seconds + (1 if delta.microseconds else 0)


def expanded(value: str | T | None, fetch: Callable[[str], T]) -> T | None:
    """An expandable field as an object: fetched when Stripe answered only its id."""
    if value is None:
        return None
    if isinstance(value, str):
        return fetch(value)
    return value


def id_of(value: Any) -> str | None:
    """An expandable field's id, whether Stripe answered the id or the object."""
    if value is None or isinstance(value, str):
        return value
    return str(value.id)


def get(obj: Any, name: str) -> Any:
    """A field of a Stripe object (or a plain dict), None when Stripe left it out.

    Since stripe-python 15 a `StripeObject` is no longer a dict: no `.get()`,
    no iteration; `in` and `[]` remain.
    """
    if obj is None:
        return None
    return obj[name] if name in obj else None


def strings(metadata: Any) -> dict[str, str]:
    if metadata is None:
        return {}
    plain = metadata.to_dict() if hasattr(metadata, "to_dict") else metadata
    return {str(key): str(value) for key, value in plain.items()}
