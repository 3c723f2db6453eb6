"""The one module that talks to Stripe: the `PaymentGateway` port on stripe-python.

Why it exists: the domain speaks tickets, refunds and payouts in `Money`
(integer minor units, uppercase ISO currency); Stripe speaks PaymentIntents,
Refunds, Transfers and balance transactions (integer minor units, lowercase
currency). Everything Stripe-shaped stops here, so nothing else imports
`stripe`, and every Stripe failure reaches the domain as one
`PaymentGatewayError` carrying `retryable` and Stripe's error code.

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
"""

from __future__ import annotations

import dataclasses

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Final, Literal, TypeVar
from uuid import UUID

import stripe
from stripe.params import (
    AccountCreateParams,
    BalanceTransactionListParams,
    PaymentIntentCreateParams,
    RefundCreateParams,
    TransferCreateParams,
    TransferListParams,
)

from domain.money import Money
from payouts.stripe_http import Urllib3Client, environment_proxy
from domain.payments import (
    AccountStatus,
    BalanceTransaction,
    ChargeDetails,
    ConnectedAccount,
    PaymentGatewayError,
    PaymentRequest,
    PaymentSession,
    PaymentStatus,
    RefundRequest,
    RefundResult,
    RefundStatus,
    TransferRequest,
    TransferResult,
)

log = logging.getLogger(__name__)

# Expanding on the PaymentIntent itself saves a round trip per sale: the
# charge and its balance transaction (fee, net) come back with the intent.
_PAYMENT_EXPAND: Final = ["latest_charge.balance_transaction"]
# Stripe's own refund reasons; ours go to metadata, Stripe rejects others.
_StripeRefundReason = Literal["duplicate", "fraudulent", "requested_by_customer"]
STRIPE_REFUND_REASONS: Final[dict[str, _StripeRefundReason]] = {
    "duplicate": "duplicate",
    "fraudulent": "fraudulent",
    "requested_by_customer": "requested_by_customer",
}
# Stripe's refund statuses in ours. Assumption: a status Stripe adds later is
# not final, so it reads as pending until someone maps it.
_REFUND_STATUSES: Final[dict[str, RefundStatus]] = {
    "pending": "pending",
    "requires_action": "pending",
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "canceled",
}
LIST_PAGE_SIZE: Final = 100  # Stripe's maximum
# The Stripe API version every request names and the webhook endpoint must use.
# Assumption: equal to the SDK's own pin (a test checks), so the SDK's typed
# objects describe exactly what Stripe answers.
STRIPE_API_VERSION: Final = "2026-10-28.endive"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

T = TypeVar("T")
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
        self._v1 = self._client.v1

    # ------------------------------------------------------------ payments --

    def start_payment(self, request: PaymentRequest) -> PaymentSession:
        """Create the ticket's PaymentIntent (key `pi-{ticket_id}`), confirming at once if a payment method is given.

        A decline answers a `failed` session, re-read from Stripe, not an
        exception. A repeat call for the same ticket (same parameters)
        returns the same PaymentIntent, including a saved decline.
        """
        params: PaymentIntentCreateParams = {
            "amount": request.amount.amount,
            "currency": request.amount.currency.lower(),
            "transfer_group": f"room_{request.room_id}",
            "metadata": {
                "ticket_id": str(request.ticket_id),
                "room_id": str(request.room_id),
                "creator_id": request.creator_id,
                "holder_id": request.holder_id,
            },
            "expand": _PAYMENT_EXPAND,
        }
        if request.description:
            params["description"] = request.description
        if request.payment_method:
            # Confirmed server-side, so no redirect can complete it.
            params["automatic_payment_methods"] = {"enabled": True, "allow_redirects": "never"}
            params["payment_method"] = request.payment_method
            params["confirm"] = True
        else:
            params["automatic_payment_methods"] = {"enabled": True}
        with _calling_stripe("create payment"):
            try:
                intent = self._v1.payment_intents.create(
                    params=params, options={"idempotency_key": f"pi-{request.ticket_id}"}
                )
            except stripe.CardError as decline:
                intent = self._declined_intent(decline)
            return self._session(intent)

    def get_payment(self, payment_id: str) -> PaymentSession:
        with _calling_stripe("read payment"):
            return self._session(self._v1.payment_intents.retrieve(payment_id, params={"expand": _PAYMENT_EXPAND}))

    def cancel_payment(self, payment_id: str) -> PaymentSession:
        """Cancel an unpaid payment; if it can no longer be cancelled, answer its current state.

        The race this covers: the hold expires while the customer pays. Stripe
        refuses the cancel (`payment_intent_unexpected_state`) and the caller
        gets the `succeeded` session instead of an error.
        """
        with _calling_stripe("cancel payment"):
            try:
                intent = self._v1.payment_intents.cancel(
                    payment_id,
                    params={"cancellation_reason": "abandoned", "expand": _PAYMENT_EXPAND},
                    options={"idempotency_key": f"cancel-{payment_id}"},
                )
            except stripe.InvalidRequestError as error:
                if error.code != "payment_intent_unexpected_state":
                    raise
                intent = self._v1.payment_intents.retrieve(payment_id, params={"expand": _PAYMENT_EXPAND})
            return self._session(intent)

    def _declined_intent(self, decline: stripe.CardError) -> stripe.PaymentIntent:
        declined = decline.error.payment_intent if decline.error is not None else None
        if declined is None:  # Safeguard: Stripe names the intent in every PaymentIntent card error.
            raise PaymentGatewayError(
                f"card error without a PaymentIntent: {decline}", retryable=False, code=decline.code
            )
        return self._v1.payment_intents.retrieve(declined.id, params={"expand": _PAYMENT_EXPAND})

    def _session(self, intent: stripe.PaymentIntent) -> PaymentSession:
        error = _get(intent, "last_payment_error")
        status = _payment_status(intent.status, has_error=error is not None)
        return PaymentSession(
            provider=self.name,
            payment_id=intent.id,
            status=status,
            amount=Money(intent.amount, intent.currency.upper()),
            client_secret=_get(intent, "client_secret"),
            failure_code=_get(error, "code") if error is not None and status == "failed" else None,
            failure_message=_get(error, "message") if error is not None and status == "failed" else None,
            charge=self._charge_details(intent) if status == "succeeded" else None,
            metadata=_strings(_get(intent, "metadata")),
        )

    def _charge_details(self, intent: stripe.PaymentIntent) -> ChargeDetails | None:
        """Fee and net of the settled charge, in the settlement currency (which may differ from the charge's).

        None while the charge has no balance transaction yet (asynchronous
        methods settle later): read the payment again when its webhook comes.
        """
        charge = _expanded(_get(intent, "latest_charge"), self._v1.charges.retrieve)
        if charge is None:
            return None
        txn = _expanded(_get(charge, "balance_transaction"), self._v1.balance_transactions.retrieve)
        if txn is None:
            return None
        settled = txn.currency.upper()
        rate = _get(txn, "exchange_rate")
        return ChargeDetails(
            charge_id=charge.id,
            balance_transaction_id=txn.id,
            fee=Money(txn.fee, settled),
            net=Money(txn.net, settled),
            # Stripe's JSON number as the shortest text that reads back the same; never used in arithmetic.
            exchange_rate=repr(rate) if rate is not None else None,
        )

    # ------------------------------------------------------------- refunds --

    def refund(self, request: RefundRequest) -> RefundResult:
        """Refund part or all of a payment (key `refund-{refund_id}`).

        Our reason always goes to metadata; Stripe's `reason` is sent only
        when it is one of Stripe's three (others are refused by Stripe).
        Safeguard: Stripe refunds in the charge's currency whatever we think
        it is, so a currency mismatch is refused before any money moves.
        """
        with _calling_stripe("refund"):
            intent = self._v1.payment_intents.retrieve(request.payment_id)
            if intent.currency.upper() != request.amount.currency:
                raise PaymentGatewayError(
                    f"refund in {request.amount.currency} of a {intent.currency.upper()} payment {request.payment_id}",
                    retryable=False,
                    code="currency_mismatch",
                )
            params: RefundCreateParams = {
                "payment_intent": request.payment_id,
                "amount": request.amount.amount,
                "metadata": {
                    "ticket_id": str(request.ticket_id),
                    "refund_id": str(request.refund_id),
                    "reason": request.reason,
                },
            }
            stripe_reason = STRIPE_REFUND_REASONS.get(request.reason)
            if stripe_reason is not None:
                params["reason"] = stripe_reason
            refund = self._v1.refunds.create(params=params, options={"idempotency_key": f"refund-{request.refund_id}"})
        return _refund_result(self.name, refund)

    def get_refund(self, refund_id: str) -> RefundResult:
        with _calling_stripe("read refund"):
            return _refund_result(self.name, self._v1.refunds.retrieve(refund_id))

    # ---------------------------------------------------- connected accounts --

    def create_connected_account(self, creator_id: str, email: str | None = None) -> ConnectedAccount:
        """An Express account for the creator (key `acct-{creator_id}`), able to receive transfers once onboarded."""
        params: AccountCreateParams = {
            "type": "express",
            "metadata": {"creator_id": creator_id},
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        }
        if email:
            params["email"] = email
        with _calling_stripe("create connected account"):
            account = self._v1.accounts.create(params=params, options={"idempotency_key": f"acct-{creator_id}"})
        return _connected_account(account)

    def get_connected_account(self, account_id: str) -> ConnectedAccount:
        with _calling_stripe("read connected account"):
            return _connected_account(self._v1.accounts.retrieve(account_id))

    def onboarding_link(self, account_id: str, refresh_url: str, return_url: str) -> str:
        """A fresh single-use onboarding URL (no derived key: see the module docstring)."""
        with _calling_stripe("create onboarding link"):
            link = self._v1.account_links.create(
                params={
                    "account": account_id,
                    "refresh_url": refresh_url,
                    "return_url": return_url,
                    "type": "account_onboarding",
                }
            )
        return link.url

    # ------------------------------------------------------------ transfers --

    def transfer(self, request: TransferRequest) -> TransferResult:
        """Pay a creator (key `transfer-{payout_id}`; `metadata.payout_id` lets find_transfer see it later)."""
        params: TransferCreateParams = {
            "amount": request.amount.amount,
            "currency": request.amount.currency.lower(),
            "destination": request.destination,
            "transfer_group": request.transfer_group,
            "metadata": {"payout_id": str(request.payout_id)},
        }
        if request.description:
            params["description"] = request.description
        with _calling_stripe("transfer"):
            transfer = self._v1.transfers.create(
                params=params, options={"idempotency_key": f"transfer-{request.payout_id}"}
            )
        return _transfer_result(transfer)

    def find_transfer(self, payout_id: UUID, destination: str | None = None) -> TransferResult | None:
        """The transfer made for this payout, if any: for repair after a crash lost the answer.

        Walks transfers newest first and stops at the first whose
        `metadata.payout_id` matches (Stripe cannot filter on metadata). With
        the payout's `destination` only that connected account's transfers are
        walked (a few per period); without it, every transfer of the platform
        since the payout, and for a payout that never reached Stripe, all of
        them. Within 24 hours re-sending `transfer()` with the same request is
        also safe.
        """
        wanted = str(payout_id)
        params: TransferListParams = {"limit": LIST_PAGE_SIZE}
        if destination:
            params["destination"] = destination
        with _calling_stripe("find transfer"):
            for transfer in self._v1.transfers.list(params=params).auto_paging_iter():
                if _strings(_get(transfer, "metadata")).get("payout_id") == wanted:
                    return _transfer_result(transfer)
        return None

    def transfers_paid_out(self, bank_payout_id: str, account_id: str) -> dict[str, str | None] | None:
        """The transfers whose money this bank payout of a connected account carried, each
        with the payout id its metadata names (None: not one of ours).

        Stripe lists what an automatic payout swept (`balance_transactions?payout=`
        on the connected account); a transfer arrives there as a `payment`
        whose source, the destination payment, names it (`source_transfer`).
        None when Stripe cannot say (it refuses the filter for a manual
        payout, or does not know the payout): the caller matches by amount.
        """
        options: Any = {"stripe_account": account_id}
        params: BalanceTransactionListParams = {"payout": bank_payout_id, "limit": LIST_PAGE_SIZE}
        found: dict[str, str | None] = {}
        with _calling_stripe("list a bank payout's balance transactions"):
            try:
                page = self._v1.balance_transactions.list(params=params, options=options)
            except stripe.InvalidRequestError:
                return None
            for txn in page.auto_paging_iter():
                source = _id_of(_get(txn, "source"))
                if _get(txn, "type") not in ("payment", "transfer") or not source:
                    continue
                if not source.startswith("tr_"):  # the destination payment (py_...) names its transfer
                    source = _id_of(_get(self._v1.charges.retrieve(source, options=options), "source_transfer"))
                if source:
                    transfer = self._v1.transfers.retrieve(source)
                    found[source] = _strings(_get(transfer, "metadata")).get("payout_id")
        return found

    def reverse_transfer(self, transfer_id: str, amount: Money, key: str) -> TransferResult:
        """Pull `amount` back from the creator's account (key `reversal-{key}`); answers the transfer after it.

        Safeguard: a reversal is in the transfer's currency whatever we send,
        so a currency mismatch is refused before any money moves.
        """
        with _calling_stripe("reverse transfer"):
            transfer = self._v1.transfers.retrieve(transfer_id)
            if transfer.currency.upper() != amount.currency:
                raise PaymentGatewayError(
                    f"reversal in {amount.currency} of a {transfer.currency.upper()} transfer {transfer_id}",
                    retryable=False,
                    code="currency_mismatch",
                )
            reversal = self._v1.transfers.reversals.create(
                transfer_id,
                params={"amount": amount.amount, "metadata": {"reversal_key": key}, "expand": ["transfer"]},
                options={"idempotency_key": f"reversal-{key}"},
            )
            reversed_transfer = _expanded(reversal.transfer, self._v1.transfers.retrieve)
        if reversed_transfer is None:  # Safeguard, should never happen: a reversal belongs to a transfer.
            raise PaymentGatewayError(f"reversal {reversal.id} names no transfer", retryable=False)
        return dataclasses.replace(_transfer_result(reversed_transfer), reversal_id=reversal.id)

    # ------------------------------------------------- balance transactions --

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
            "created": {"gte": _ceil_seconds(created_from), "lt": _ceil_seconds(created_to)},
            "limit": LIST_PAGE_SIZE,
        }
        with _calling_stripe("list balance transactions"):
            rows = [
                _balance_transaction(txn)
                for txn in self._v1.balance_transactions.list(params=params).auto_paging_iter()
            ]
        rows.reverse()
        rows.sort(key=lambda row: row.created)  # stable: within a second, Stripe's order reversed
        return iter(rows)


# ------------------------------------------------------------------ mapping --


@contextmanager
def _calling_stripe(action: str) -> Iterator[None]:
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


def _payment_status(stripe_status: str, *, has_error: bool) -> PaymentStatus:
    """succeeded/canceled as is; back to requires_payment_method after an attempt: failed; else pending.

    `pending` covers requires_payment_method (never tried),
    requires_confirmation, requires_action (3DS) and processing.
    """
    if stripe_status == "succeeded":
        return "succeeded"
    if stripe_status == "canceled":
        return "canceled"
    if stripe_status == "requires_payment_method" and has_error:
        return "failed"
    return "pending"


def _refund_result(provider: str, refund: stripe.Refund) -> RefundResult:
    return RefundResult(
        provider=provider,
        refund_id=refund.id,
        status=_REFUND_STATUSES.get(str(refund.status), "pending"),
        amount=Money(refund.amount, refund.currency.upper()),
        balance_transaction_id=_id_of(_get(refund, "balance_transaction")),
        failure_reason=_get(refund, "failure_reason"),
        metadata=_strings(_get(refund, "metadata")),
    )


def _connected_account(account: stripe.Account) -> ConnectedAccount:
    """enabled: can receive transfers and pay out; restricted: Stripe wants more from the creator; else pending.

    For separate charges and transfers the creator's account never charges,
    so `charges_enabled` is reported but does not decide the status: the
    `transfers` capability and `payouts_enabled` do. `pending` covers
    onboarding not finished and Stripe still verifying what was submitted.
    """
    requirements = _get(account, "requirements") or {}
    due = tuple(_get(requirements, "currently_due") or ())
    capabilities = _get(account, "capabilities") or {}
    payouts_enabled = bool(_get(account, "payouts_enabled"))
    status: AccountStatus
    if payouts_enabled and _get(capabilities, "transfers") == "active":
        status = "enabled"
    elif _get(account, "details_submitted") and due:
        status = "restricted"
    else:
        status = "pending"
    return ConnectedAccount(
        account_id=account.id,
        status=status,
        charges_enabled=bool(_get(account, "charges_enabled")),
        payouts_enabled=payouts_enabled,
        requirements_due=due,
    )


def _transfer_result(transfer: stripe.Transfer) -> TransferResult:
    """`reversed` only once fully reversed; a partial reversal shows in `reversed_amount`."""
    destination = _id_of(_get(transfer, "destination"))
    if destination is None:  # Safeguard, should never happen: Stripe transfers always have a destination.
        raise PaymentGatewayError(f"transfer {transfer.id} has no destination", retryable=False)
    return TransferResult(
        transfer_id=transfer.id,
        amount=Money(transfer.amount, transfer.currency.upper()),
        destination=destination,
        status="reversed" if _get(transfer, "reversed") else "submitted",
        balance_transaction_id=_id_of(_get(transfer, "balance_transaction")),
        reversed_amount=int(_get(transfer, "amount_reversed") or 0),
    )


def _balance_transaction(txn: stripe.BalanceTransaction) -> BalanceTransaction:
    currency = txn.currency.upper()
    return BalanceTransaction(
        id=txn.id,
        type=txn.type,
        amount=Money(txn.amount, currency),
        fee=Money(txn.fee, currency),
        net=Money(txn.net, currency),
        source=_id_of(_get(txn, "source")),
        created=datetime.fromtimestamp(txn.created, tz=UTC),
    )


def _ceil_seconds(moment: datetime) -> int:
    """Unix seconds rounded up, without floats: for whole-second c, c >= t  <=>  c >= ceil(t)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} is naive: pass a timezone-aware UTC datetime")
    delta = moment - _EPOCH
    return delta.days * 86_400 + delta.seconds + (1 if delta.microseconds else 0)


def _expanded(value: str | T | None, fetch: Callable[[str], T]) -> T | None:
    """An expandable field as an object: fetched when Stripe answered only its id."""
    if value is None:
        return None
    if isinstance(value, str):
        return fetch(value)
    return value


def _id_of(value: Any) -> str | None:
    """An expandable field's id, whether Stripe answered the id or the object."""
    if value is None or isinstance(value, str):
        return value
    return str(value.id)


def _get(obj: Any, name: str) -> Any:
    """A field of a Stripe object (or a plain dict), None when Stripe left it out.

    Since stripe-python 15 a `StripeObject` is no longer a dict: no `.get()`,
    no iteration; `in` and `[]` remain.
    """
    if obj is None:
        return None
    return obj[name] if name in obj else None


def _strings(metadata: Any) -> dict[str, str]:
    if metadata is None:
        return {}
    plain = metadata.to_dict() if hasattr(metadata, "to_dict") else metadata
    return {str(key): str(value) for key, value in plain.items()}
