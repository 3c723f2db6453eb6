"""Stripe's rate limiter, for the stand-in: a token bucket per account, 429 beyond it.

Why: Stripe allows about 100 API operations/s in live mode and 25 in test
mode (https://docs.stripe.com/rate-limits); beyond that it answers
`429 Too Many Requests` with a `rate_limit` error and
`Stripe-Rate-Limited-Reason`, and executes nothing. A flash sale must be
tested against that, so the stand-in can be given a limit. Off by default.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from tests.stripe_standin.wire import StripeError

RATE_LIMIT_MESSAGE = ("Request rate limit exceeded. Learn more about rate limits here "
                      "https://stripe.com/docs/rate-limits.")


@dataclass
class RateLimiter:
    """`per_second` operations/s with bursts of at most `burst` (default: one second's worth)."""

    per_second: float
    burst: float | None = None
    limited: int = 0  # 429s answered so far
    _tokens: float = field(init=False)
    _at: float = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.per_second <= 0:
            raise ValueError("per_second must be positive")
        self._tokens = self.capacity
        self._at = time.monotonic()

    @property
    def capacity(self) -> float:
        return self.burst if self.burst is not None else self.per_second

    def admit(self) -> bool:
        """Take one operation; False: answer the 429 (nothing executed, nothing saved)."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.per_second)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            self.limited += 1
            return False


def rate_limited() -> StripeError:
    """Stripe's answer beyond the limit."""
    return StripeError(429, "invalid_request_error", RATE_LIMIT_MESSAGE, code="rate_limit", saved=False)


def busiest_second(moments: list[float], window: float = 1.0) -> int:
    """The most moments (monotonic seconds) within any `window`: calls per second at the peak."""
    ordered, best, start = sorted(moments), 0, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best
