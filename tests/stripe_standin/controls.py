"""What a test reads from the stand-in (requests, events, objects, balances) and how it steers it
(faults, payment and refund outcomes, disputes, account status, payouts, planted transfers and balance
transactions). Every call takes the store's lock, as the server thread does.

May import: the stdlib and the stand-in's own modules.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tests.stripe_standin.connect import Connect
from tests.stripe_standin.objects import ANY_ACCOUNT, Store
from tests.stripe_standin.payments import Payments
from tests.stripe_standin.rate_limit import RateLimiter
from tests.stripe_standin.wire import Params

@dataclass(frozen=True)
class RecordedRequest:
    """One request as the stand-in saw it, for tests to count and inspect."""

    method: str
    path: str
    params: Params
    idempotency_key: str | None
    stripe_account: str | None
    status: int
    request_id: str
    replayed: bool = False
    stripe_version: str | None = None  # the request's Stripe-Version header
    at: float = 0.0  # time.monotonic() when it arrived


@dataclass
class Fault:
    method: str
    path_prefix: str
    remaining: int
    status: int = 500
    delay: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        return self.remaining > 0 and method == self.method and path.startswith(self.path_prefix)


class Controls:
    """The inspection API and the test controls of StripeStandIn (server.py), which holds the state."""

    store: Store
    payments: Payments
    connect: Connect
    rate_limiter: RateLimiter | None
    _requests: list[RecordedRequest]
    _faults: list[Fault]

    # ----------------------------------------------------- inspection API --

    @property
    def requests(self) -> list[RecordedRequest]:
        with self.store.lock:
            return list(self._requests)

    @property
    def events(self) -> list[dict[str, Any]]:
        """Copies of every event recorded so far, oldest first."""
        with self.store.lock:
            return copy.deepcopy(self.store.events)

    def events_since(self, seen: int) -> list[dict[str, Any]]:
        """Copies of the events after the first `seen` (for followers that poll)."""
        with self.store.lock:
            return copy.deepcopy(self.store.events[seen:])

    def events_of(self, type: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["type"] == type]

    def objects(self, kind: str, *, account: str | None = ANY_ACCOUNT) -> list[dict[str, Any]]:
        """Copies of every object whose `object` is `kind` ("payment_intent", "transfer", ...).

        `account=None` restricts to the platform, `account="acct_..."` to one
        connected account; by default every scope.
        """
        with self.store.lock:
            return self.store.snapshot(kind, account)

    def get(self, obj_id: str, kind: str) -> dict[str, Any]:
        with self.store.lock:
            obj, _ = self.store.find(obj_id, kind)
            return copy.deepcopy(obj)

    @property
    def rate_limited(self) -> int:
        """How many requests were answered 429 by the rate limiter."""
        return self.rate_limiter.limited if self.rate_limiter is not None else 0

    def balance(self, currency: str = "usd", *, account: str | None = None) -> int:
        """Net sum of the scope's balance transactions, in minor units."""
        with self.store.lock:
            return self.store.balance(account, currency)

    # -------------------------------------------------------- test controls --

    def fail_next(self, method: str, path_prefix: str, status: int = 500, times: int = 1) -> None:
        """The next `times` matching requests answer a Stripe `api_error` without executing."""
        if status < 500:
            raise ValueError("fail_next simulates outages (5xx); use real parameters for 4xx")
        with self.store.lock:
            self._faults.append(Fault(method.upper(), path_prefix, times, status=status))

    def timeout_next(self, method: str, path_prefix: str, seconds: float, times: int = 1) -> None:
        """The next `times` matching requests execute, then answer `seconds` late."""
        with self.store.lock:
            self._faults.append(Fault(method.upper(), path_prefix, times, delay=seconds))

    def succeed_payment(self, pi_id: str, payment_method: str = "pm_card_visa") -> dict[str, Any]:
        """The customer confirmed on the client and the card was charged."""
        with self.store.lock:
            return self.payments.succeed_payment(pi_id, payment_method)

    def fail_payment(
        self, pi_id: str, code: str = "card_declined", decline_code: str = "generic_decline"
    ) -> dict[str, Any]:
        """The customer confirmed on the client and the card was declined."""
        with self.store.lock:
            return self.payments.fail_payment(pi_id, code, decline_code)

    def next_refund(self, status: str, failure_reason: str | None = None) -> None:
        """The next refund is created `pending`, or `failed` (created, then failed at once)."""
        with self.store.lock:
            self.payments.next_refund(status, failure_reason)

    def fail_refund(self, refund_id: str, failure_reason: str = "expired_or_canceled_card") -> dict[str, Any]:
        with self.store.lock:
            return self.payments.fail_refund(refund_id, failure_reason)

    def succeed_refund(self, refund_id: str) -> dict[str, Any]:
        with self.store.lock:
            return self.payments.succeed_refund(refund_id)

    def dispute(self, charge_id: str, reason: str = "fraudulent") -> dict[str, Any]:
        with self.store.lock:
            return self.payments.dispute(charge_id, reason)

    def close_dispute(self, dispute_id: str, won: bool) -> dict[str, Any]:
        with self.store.lock:
            return self.payments.close_dispute(dispute_id, won)

    def set_account_status(
        self,
        account_id: str,
        *,
        charges_enabled: bool,
        payouts_enabled: bool,
        currently_due: Iterable[str] = (),
        details_submitted: bool = True,
        transfers_active: bool | None = None,
    ) -> dict[str, Any]:
        """Onboarding progressed (emits `account.updated` for the connected account)."""
        with self.store.lock:
            return self.connect.set_account_status(
                account_id,
                charges_enabled=charges_enabled,
                payouts_enabled=payouts_enabled,
                currently_due=currently_due,
                details_submitted=details_submitted,
                transfers_active=transfers_active,
            )

    def pay_out(self, account_id: str) -> list[dict[str, Any]]:
        with self.store.lock:
            return self.connect.pay_out(account_id)

    def fail_payout(self, payout_id: str, failure_code: str = "account_closed") -> dict[str, Any]:
        with self.store.lock:
            return self.connect.fail_payout(payout_id, failure_code)

    def add_unknown_transfer(
        self,
        destination: str,
        amount: int,
        currency: str = "usd",
        *,
        metadata: Mapping[str, str] | None = None,
        transfer_group: str | None = None,
        created: int | None = None,
    ) -> dict[str, Any]:
        """A transfer made outside our code (the Dashboard, another system)."""
        with self.store.lock:
            return self.connect.add_unknown_transfer(
                destination, amount, currency, metadata_=metadata, transfer_group=transfer_group, created=created
            )

    def add_balance_transaction(
        self,
        *,
        type: str,
        amount: int,
        currency: str = "usd",
        fee: int = 0,
        source: str | None = None,
        account: str | None = None,
        created: int | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        """Plant a movement Stripe made on its own (adjustment, fee, ...) for reconciliation tests."""
        with self.store.lock:
            txn = self.store.add_balance_transaction(
                account,
                type=type,
                amount=amount,
                currency_code=currency,
                source=source,
                fee=fee,
                created=created,
                description=description,
            )
            return copy.deepcopy(txn)
