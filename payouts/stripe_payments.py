"""Stripe payments and refunds: a ticket's PaymentIntent (create, read, cancel) and its refunds.

Keys `pi-{ticket_id}`, `cancel-{payment_id}`, `refund-{refund_id}` (payouts/stripe_gateway.py
explains the keys, retries and API version). A card decline is not an error: it is a
`failed` PaymentSession, re-read from Stripe.

May import: stripe, domain/ (the port's types), payouts/stripe_common.py.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import stripe
from stripe.params import PaymentIntentCreateParams, RefundCreateParams

from domain.money import Money
from domain.payments import (
    ChargeDetails,
    PaymentGatewayError,
    PaymentRequest,
    PaymentSession,
    PaymentStatus,
    RefundRequest,
    RefundResult,
    RefundStatus,
)
from payouts.stripe_common import calling_stripe, expanded, get, id_of, strings

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


class StripePayments:
    """PaymentIntents and Refunds on the platform account."""

    def __init__(self, v1: Any, name: str) -> None:
        self._v1 = v1
        self.name = name

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
        with calling_stripe("create payment"):
            try:
                intent = self._v1.payment_intents.create(
                    params=params, options={"idempotency_key": f"pi-{request.ticket_id}"}
                )
            except stripe.CardError as decline:
                intent = self._declined_intent(decline)
            return self._session(intent)

    def get_payment(self, payment_id: str) -> PaymentSession:
        with calling_stripe("read payment"):
            return self._session(self._v1.payment_intents.retrieve(payment_id, params={"expand": _PAYMENT_EXPAND}))

    def cancel_payment(self, payment_id: str) -> PaymentSession:
        """Cancel an unpaid payment; if it can no longer be cancelled, answer its current state.

        The race this covers: the hold expires while the customer pays. Stripe
        refuses the cancel (`payment_intent_unexpected_state`) and the caller
        gets the `succeeded` session instead of an error.
        """
        with calling_stripe("cancel payment"):
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
        error = get(intent, "last_payment_error")
        status = _payment_status(intent.status, has_error=error is not None)
        return PaymentSession(
            provider=self.name,
            payment_id=intent.id,
            status=status,
            amount=Money(intent.amount, intent.currency.upper()),
            client_secret=get(intent, "client_secret"),
            failure_code=get(error, "code") if error is not None and status == "failed" else None,
            failure_message=get(error, "message") if error is not None and status == "failed" else None,
            charge=self._charge_details(intent) if status == "succeeded" else None,
            metadata=strings(get(intent, "metadata")),
        )

    def _charge_details(self, intent: stripe.PaymentIntent) -> ChargeDetails | None:
        """Fee and net of the settled charge, in the settlement currency (which may differ from the charge's).

        None while the charge has no balance transaction yet (asynchronous
        methods settle later): read the payment again when its webhook comes.
        """
        charge = expanded(get(intent, "latest_charge"), self._v1.charges.retrieve)
        if charge is None:
            return None
        txn = expanded(get(charge, "balance_transaction"), self._v1.balance_transactions.retrieve)
        if txn is None:
            return None
        settled = txn.currency.upper()
        rate = get(txn, "exchange_rate")
        return ChargeDetails(
            charge_id=charge.id,
            balance_transaction_id=txn.id,
            fee=Money(txn.fee, settled),
            net=Money(txn.net, settled),
            # Stripe's JSON number as the shortest text that reads back the same; never used in arithmetic.
            exchange_rate=repr(rate) if rate is not None else None,
        )

    def refund(self, request: RefundRequest) -> RefundResult:
        """Refund part or all of a payment (key `refund-{refund_id}`).

        Our reason always goes to metadata; Stripe's `reason` is sent only
        when it is one of Stripe's three (others are refused by Stripe).
        Safeguard: Stripe refunds in the charge's currency whatever we think
        it is, so a currency mismatch is refused before any money moves.
        """
        with calling_stripe("refund"):
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
        with calling_stripe("read refund"):
            return _refund_result(self.name, self._v1.refunds.retrieve(refund_id))


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
        balance_transaction_id=id_of(get(refund, "balance_transaction")),
        failure_reason=get(refund, "failure_reason"),
        metadata=strings(get(refund, "metadata")),
    )
