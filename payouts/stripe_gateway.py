"""The Stripe adapter: the `PaymentGateway` port on stripe-python, and webhook verification.

Why it exists: the domain speaks tickets, refunds and payouts in `Money`
(integer minor units, uppercase ISO currency); Stripe speaks PaymentIntents,
Refunds, Transfers and balance transactions (integer minor units, lowercase
currency). Everything Stripe-shaped stops in this module and the capability
modules it composes, so nothing else imports `stripe`, and every Stripe failure
reaches the domain as one `PaymentGatewayError` carrying `retryable` and
Stripe's error code (payouts/stripe_common.py):

    stripe_payments.py   PaymentIntents (a ticket's payment) and Refunds
    stripe_connect.py    Express accounts, Transfers and their reversals
    stripe_balances.py   balance transactions (reconciliation)
    stripe_common.py     the error mapping and readers of Stripe objects

Money flow (ARCHITECTURE.md, "Stripe"): separate charges and transfers. A
ticket is a PaymentIntent on the platform with `transfer_group=room_<room>`
and the ticket in metadata; a creator is paid by a Transfer to their Express
account; a refund after a payout is the caller's decision (reverse or carry).

Idempotency keys. Every POST that creates or changes money carries a key
derived from our own id, so a retry after a timeout or a crash lands on the
object the first attempt made:

    pi-{ticket_id}          PaymentIntent for a ticket
    refund-{refund_id}      Refund (our refund id)
    acct-{creator_id}       Express account for a creator
    transfer-{payout_id}    Transfer paying out a payout
    reversal-{key}          Transfer reversal (the caller's key)
    cancel-{payment_id}     PaymentIntent cancellation

The one exception is the onboarding AccountLink: links are single-use and
expire within minutes, so a stable key would replay a dead link for 24 hours;
it gets the SDK's random key, reused across the SDK's own retries.

Stripe keeps keys for 24 hours and compares parameters: the same key with
different parameters is an `idempotency_error` (a bug on our side: not
retryable). After 24 hours a key no longer protects, which is why
`find_transfer` looks transfers up by `metadata.payout_id` for crash repair.

Retry policy. The SDK retries connection errors, timeouts, 409 and 5xx up
to `max_network_retries` times (default 3) with exponential backoff from
0.5 s, re-sending the SAME idempotency key, so a retry never doubles money.
`timeout` bounds each attempt (default 10 s); a call therefore gives up after
about (retries + 1) x timeout + backoff. What remains after that is raised
as `PaymentGatewayError(retryable=True)` for the caller's own schedule;
4xx answers are `retryable=False`. A card decline is not an error: it is a
`failed` PaymentSession.

API version. Every request sends `Stripe-Version: STRIPE_API_VERSION`, the
version this code and its stand-in were tested against (stripe-python 16's
own pin). Stripe renders objects in the version the request names, so an
account whose default version moves on changes nothing here; a new SDK major
is taken on purpose, by changing this constant with the stand-in
(tests/stripe_standin/objects.py) and its fixtures.

Webhooks: `parse_webhook` verifies `Stripe-Signature` over the raw body.
Events are rendered in the webhook endpoint's API version; configure the
endpoint with `STRIPE_API_VERSION`. An event in another version is still
accepted (the fields we read are stable across versions) but logged once per
version, so a drifting endpoint is noticed.

May import: stripe, domain/ (the port's types) and the payouts/stripe_*.py modules.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import stripe

from domain.money import Money
from domain.payments import (
    BalanceTransaction,
    ConnectedAccount,
    PaymentRequest,
    PaymentSession,
    RefundRequest,
    RefundResult,
    TransferRequest,
    TransferResult,
)
from payouts.stripe_balances import StripeBalances
from payouts.stripe_connect import StripeConnect
from payouts.stripe_http import Urllib3Client, environment_proxy
from payouts.stripe_payments import StripePayments

log = logging.getLogger(__name__)

# The Stripe API version every request names and the webhook endpoint must use.
# Assumption: equal to the SDK's own pin (a test checks), so the SDK's typed
# objects describe exactly what Stripe answers.
STRIPE_API_VERSION: Final = "2026-10-28.endive"

_OTHER_VERSIONS_SEEN: set[object] = set()  # webhook API versions already warned about


class WebhookSignatureError(Exception):
    """The webhook cannot be proven to come from Stripe: missing, tampered, wrongly signed or stale."""


def parse_webhook(payload: bytes, sig_header: str | None, secret: str, tolerance: int = 300) -> dict[str, Any]:
    """The event in a webhook delivery, once its `Stripe-Signature` is verified.

    `payload` MUST be the raw request body: re-encoded JSON no longer matches
    the signature. `tolerance` (seconds) rejects old deliveries, which limits
    replay of a captured request; it must be positive. The event is a trigger,
    not the truth: re-read the object before acting (ARCHITECTURE.md).
    """
    if not secret:
        raise ValueError("no webhook signing secret configured")
    if tolerance <= 0:
        raise ValueError("tolerance must be positive: 0 would accept replays of any age")
    if not sig_header:
        raise WebhookSignatureError("missing Stripe-Signature header")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookSignatureError("payload is not UTF-8") from None
    try:
        stripe.WebhookSignature.verify_header(text, sig_header, secret, tolerance)
    except stripe.SignatureVerificationError as error:
        raise WebhookSignatureError(str(error)) from None
    try:
        event = json.loads(text)
    except json.JSONDecodeError:
        raise WebhookSignatureError("signed payload is not JSON") from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise WebhookSignatureError("signed payload is not a Stripe event")
    version = event.get("api_version")
    if version != STRIPE_API_VERSION and version not in _OTHER_VERSIONS_SEEN:
        _OTHER_VERSIONS_SEEN.add(version)
        log.warning("stripe webhook rendered in API version %s, not %s: set the endpoint's version",
                    version, STRIPE_API_VERSION)
    return event


class StripeGateway:
    """`PaymentGateway` on Stripe. `api_base` points the SDK elsewhere (the test stand-in)."""

    instant = False  # network calls: never inside a database transaction

    def __init__(
        self,
        secret_key: str,
        *,
        api_base: str | None = None,
        max_network_retries: int = 3,
        timeout: float = 10.0,
        name: str = "stripe",
    ) -> None:
        if not secret_key:
            raise ValueError("a Stripe secret key is required")
        if not 0 <= max_network_retries <= 5:
            raise ValueError("max_network_retries must be within 0..5: retries multiply the worst-case latency")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.name = name
        self._client = stripe.StripeClient(
            secret_key,
            stripe_version=STRIPE_API_VERSION,
            base_addresses={"api": api_base, "connect": api_base, "files": api_base} if api_base else None,
            max_network_retries=max_network_retries,
            http_client=Urllib3Client(timeout=timeout, proxy=environment_proxy(api_base or stripe.DEFAULT_API_BASE)),
        )
        self._v1 = v1 = self._client.v1  # the SDK's v1 services (bench/payout_run.py times a raw call with it)
        self._payments = StripePayments(v1, name)
        self._connect = StripeConnect(v1)
        self._balances = StripeBalances(v1)

    # Each capability lives in its own module; the port's methods are theirs, by name.

    # payments and refunds (payouts/stripe_payments.py)
    def start_payment(self, request: PaymentRequest) -> PaymentSession:
        return self._payments.start_payment(request)

    def get_payment(self, payment_id: str) -> PaymentSession:
        return self._payments.get_payment(payment_id)

    def cancel_payment(self, payment_id: str) -> PaymentSession:
        return self._payments.cancel_payment(payment_id)

    def refund(self, request: RefundRequest) -> RefundResult:
        return self._payments.refund(request)

    def get_refund(self, refund_id: str) -> RefundResult:
        return self._payments.get_refund(refund_id)

    # connected accounts and transfers (payouts/stripe_connect.py)
    def create_connected_account(self, creator_id: str, email: str | None = None) -> ConnectedAccount:
        return self._connect.create_connected_account(creator_id, email)

    def get_connected_account(self, account_id: str) -> ConnectedAccount:
        return self._connect.get_connected_account(account_id)

    def onboarding_link(self, account_id: str, refresh_url: str, return_url: str) -> str:
        return self._connect.onboarding_link(account_id, refresh_url, return_url)

    def transfer(self, request: TransferRequest) -> TransferResult:
        return self._connect.transfer(request)

    def find_transfer(self, payout_id: UUID, destination: str | None = None) -> TransferResult | None:
        return self._connect.find_transfer(payout_id, destination)

    def transfers_paid_out(self, bank_payout_id: str, account_id: str) -> dict[str, str | None] | None:
        return self._connect.transfers_paid_out(bank_payout_id, account_id)

    def reverse_transfer(self, transfer_id: str, amount: Money, key: str) -> TransferResult:
        return self._connect.reverse_transfer(transfer_id, amount, key)

    # balance transactions (payouts/stripe_balances.py)
    def balance_transactions(self, created_from: datetime, created_to: datetime) -> Iterator[BalanceTransaction]:
        return self._balances.balance_transactions(created_from, created_to)
