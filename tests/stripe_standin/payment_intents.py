"""PaymentIntents and their charges, with Stripe's test-mode outcomes.

Why: the ticket sale is the money coming in, and every way it can go (paid,
declined, 3DS, cancelled) must be reproducible in a test. Outcomes follow Stripe's test
payment methods (https://docs.stripe.com/testing): `pm_card_visa` and any
other `pm_` succeed, the decline tokens below answer a 402 `card_error`.

Assumption: a test token is used as the payment method id itself; Stripe
would mint a fresh `pm_...` from it.

May import: the stdlib and the stand-in's own modules (objects, wire).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from tests.stripe_standin.objects import AUTOMATIC, Context, Store, new_id, stripe_fee
from tests.stripe_standin.wire import (
    FREE,
    LIST,
    SCALAR,
    Params,
    StripeError,
    boolean,
    check_known,
    currency,
    expand_paths,
    invalid,
    metadata,
    one_of,
    optional_str,
    required_integer,
    resource_missing,
)

MINIMUM_CHARGE: Final = 50  # Stripe's minimum for USD/EUR; assumed for every currency

# token -> (code, decline_code, message), from Stripe's testing page.
DECLINES: Final[dict[str, tuple[str, str, str]]] = {
    "pm_card_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
    "pm_card_visa_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "pm_card_visa_chargeDeclinedInsufficientFunds": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "pm_card_chargeDeclinedFraudulent": ("card_declined", "fraudulent", "Your card was declined."),
    "pm_card_chargeDeclinedExpiredCard": ("expired_card", "expired_card", "Your card has expired."),
    "pm_card_chargeDeclinedIncorrectCvc": ("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
    "pm_card_chargeDeclinedProcessingError": (
        "processing_error",
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
}
REQUIRES_ACTION: Final = frozenset({"pm_card_threeDSecure2Required", "pm_card_authenticationRequired"})
_CARDS: Final = {"pm_card_mastercard": ("mastercard", "4444"), "pm_card_amex": ("amex", "8431")}

CONFIRMABLE: Final = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE: Final = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)
CANCELLATION_REASONS: Final = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")


class PaymentIntents:
    """PaymentIntents and charges, on the platform account or a connected one (via Stripe-Account)."""

    store: Store

    _PI_CREATE: Final = {
        "amount": SCALAR,
        "currency": SCALAR,
        "automatic_payment_methods": {"enabled": SCALAR, "allow_redirects": SCALAR},
        "payment_method_types": LIST,
        "payment_method": SCALAR,
        "confirm": SCALAR,
        "metadata": FREE,
        "transfer_group": SCALAR,
        "description": SCALAR,
        "return_url": SCALAR,
        "capture_method": SCALAR,
        "receipt_email": SCALAR,
        "statement_descriptor_suffix": SCALAR,
        "expand": LIST,
    }

    def create_payment_intent(self, ctx: Context, params: Params) -> dict[str, Any]:
        check_known(params, self._PI_CREATE)
        amount = required_integer(params, "amount", minimum=1)
        code = currency(params)
        if amount < MINIMUM_CHARGE:
            raise invalid(
                f"Amount must be at least {MINIMUM_CHARGE} {code} minor units", param="amount", code="amount_too_small"
            )
        if "automatic_payment_methods" in params and "payment_method_types" in params:
            raise invalid(
                "You may only specify one of these parameters: automatic_payment_methods, payment_method_types.",
                param="automatic_payment_methods",
            )
        if "payment_method_types" in params:
            automatic = None
            types = list(params["payment_method_types"])
        else:  # since API version 2023-08-16, automatic payment methods are the default
            apm = params.get("automatic_payment_methods", {"enabled": "true"})
            if not boolean(apm, "enabled"):
                raise invalid(
                    "automatic_payment_methods[enabled] must be true when given.",
                    param="automatic_payment_methods[enabled]",
                )
            automatic = {
                "enabled": True,
                "allow_redirects": one_of(apm, "allow_redirects", ("always", "never"), default="always"),
            }
            types = ["card"]
        payment_method = optional_str(params, "payment_method")
        confirm_with = None
        if boolean(params, "confirm"):
            confirm_with = self._confirmable_with(automatic, payment_method, optional_str(params, "return_url"))
        pi_id = new_id("pi")
        pi = {
            "id": pi_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "allowed_payment_method_types": None,  # new in 2026-10-28.endive (null unless restricted)
            "automatic_payment_methods": automatic,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": one_of(
                params, "capture_method", ("automatic", "automatic_async"), default="automatic_async"
            ),
            "client_secret": f"{pi_id}_secret_{new_id('x')[2:]}",
            "confirmation_method": "automatic",
            "created": self.store.now(),
            "currency": code,
            "customer_account": None,  # endive
            "description": optional_str(params, "description"),
            "hooks": None,  # endive
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "managed_payments": None,  # endive
            "metadata": metadata(params),
            "next_action": None,
            "payment_method": payment_method,
            "payment_method_types": types,
            "payment_record": None,  # endive
            "receipt_email": optional_str(params, "receipt_email"),
            "statement_descriptor_suffix": optional_str(params, "statement_descriptor_suffix"),
            "status": "requires_confirmation" if payment_method else "requires_payment_method",
            "transfer_group": optional_str(params, "transfer_group"),
        }
        self.store.put(pi, ctx.account)
        self.store.emit("payment_intent.created", pi, ctx, account=ctx.account)
        if confirm_with is not None:
            self._confirm(pi, confirm_with, ctx)
        return self.store.render(pi, expand_paths(params), ctx.account)

    def confirm_payment_intent(self, ctx: Context, pi_id: str, params: Params) -> dict[str, Any]:
        check_known(params, {"payment_method": SCALAR, "return_url": SCALAR, "expand": LIST})
        pi = self.store.get(pi_id, "payment_intent", ctx.account)
        if pi["status"] not in CONFIRMABLE:
            raise _unexpected_state(pi, "confirm", CONFIRMABLE)
        payment_method = self._confirmable_with(
            pi["automatic_payment_methods"],
            optional_str(params, "payment_method") or pi["payment_method"],
            optional_str(params, "return_url"),
        )
        self._confirm(pi, payment_method, ctx)
        return self.store.render(pi, expand_paths(params), ctx.account)

    def cancel_payment_intent(self, ctx: Context, pi_id: str, params: Params) -> dict[str, Any]:
        check_known(params, {"cancellation_reason": SCALAR, "expand": LIST})
        pi = self.store.get(pi_id, "payment_intent", ctx.account)
        if pi["status"] not in CANCELABLE:
            raise _unexpected_state(pi, "cancel", CANCELABLE)
        pi.update(
            status="canceled",
            canceled_at=self.store.now(),
            cancellation_reason=one_of(params, "cancellation_reason", CANCELLATION_REASONS),
            next_action=None,
        )
        self.store.emit("payment_intent.canceled", pi, ctx, account=ctx.account)
        return self.store.render(pi, expand_paths(params), ctx.account)

    @staticmethod
    def _confirmable_with(
        automatic: Mapping[str, Any] | None, payment_method: str | None, return_url: str | None
    ) -> str:
        """The payment method to confirm with, or the 400 Stripe answers before charging anything."""
        if payment_method is None:
            raise invalid(
                "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the "
                "PaymentIntent, provide a `payment_method`.",
                param="payment_method",
            )
        if not payment_method.startswith("pm_"):
            raise resource_missing("PaymentMethod", payment_method, param="payment_method", status=400)
        if automatic is not None and automatic["allow_redirects"] != "never" and return_url is None:
            raise invalid(
                "This PaymentIntent is configured to accept payment methods enabled in your Dashboard, because "
                "`automatic_payment_methods` is enabled. Some of these payment methods may redirect your customer off "
                "of your page. You must provide a `return_url` when confirming this PaymentIntent, or set "
                "`automatic_payment_methods[allow_redirects]` to `never`.",
                param="return_url",
            )
        return payment_method

    def _confirm(self, pi: dict[str, Any], payment_method: str, ctx: Context) -> None:
        """Charge the card: succeed, decline (raises the 402 after recording it) or ask for 3DS."""
        account = self.store.scope_of(pi["id"])
        if payment_method in REQUIRES_ACTION:
            pi.update(
                status="requires_action",
                payment_method=payment_method,
                next_action={"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect"}},
            )
            self.store.emit("payment_intent.requires_action", pi, ctx, account=account)
            return
        if payment_method in DECLINES:
            raise self._decline(pi, payment_method, *DECLINES[payment_method], ctx)
        self._settle(pi, payment_method, ctx)

    def _charge(self, pi: Mapping[str, Any], payment_method: str, **fields: Any) -> dict[str, Any]:
        brand, last4 = _CARDS.get(payment_method, ("visa", "4242"))
        charge = {
            "id": new_id("ch"),
            "object": "charge",
            "amount": pi["amount"],
            "amount_captured": 0,
            "amount_refunded": 0,
            "balance_transaction": None,
            "captured": False,
            "created": self.store.now(),
            "currency": pi["currency"],
            "description": pi["description"],
            "disputed": False,
            "failure_code": None,
            "failure_message": None,
            "livemode": False,
            "metadata": dict(pi["metadata"]),
            "outcome": None,
            "paid": False,
            "payment_intent": pi["id"],
            "payment_method": payment_method,
            "payment_method_details": {
                "type": "card",
                "card": {"brand": brand, "last4": last4, "exp_month": 12, "exp_year": 2034},
            },
            "refunded": False,
            "source_transfer": None,
            "status": "pending",
            "transfer_group": pi["transfer_group"],
        }
        charge.update(fields)
        return charge

    def _settle(self, pi: dict[str, Any], payment_method: str, ctx: Context) -> None:
        account = self.store.scope_of(pi["id"])
        charge = self._charge(
            pi,
            payment_method,
            amount_captured=pi["amount"],
            captured=True,
            paid=True,
            status="succeeded",
            outcome={
                "network_status": "approved_by_network",
                "reason": None,
                "risk_level": "normal",
                "seller_message": "Payment complete.",
                "type": "authorized",
            },
        )
        settled = self.store.settlement.convert(pi["amount"], pi["currency"])  # in the settlement currency
        txn = self.store.add_balance_transaction(
            account,
            type="charge",
            amount=settled.amount,
            currency_code=settled.currency,
            source=charge["id"],
            fee=stripe_fee(settled.amount),
            status="pending",
            description=pi["description"],
            exchange_rate=settled.exchange_rate,
        )
        charge["balance_transaction"] = txn["id"]
        self.store.put(charge, account)
        pi.update(
            status="succeeded",
            amount_received=pi["amount"],
            latest_charge=charge["id"],
            payment_method=payment_method,
            last_payment_error=None,
            next_action=None,
        )
        self.store.emit("charge.succeeded", charge, ctx, account=account)
        self.store.emit("payment_intent.succeeded", pi, ctx, account=account)

    def _decline(
        self, pi: dict[str, Any], payment_method: str, code: str, decline_code: str, message: str, ctx: Context
    ) -> StripeError:
        """Record a declined charge on the PaymentIntent; return the 402 Stripe answers."""
        account = self.store.scope_of(pi["id"])
        charge = self._charge(
            pi,
            payment_method,
            failure_code=code,
            failure_message=message,
            status="failed",
            outcome={
                "network_status": "declined_by_network",
                "reason": decline_code,
                "risk_level": "normal",
                "seller_message": "The bank did not return any further details with this decline.",
                "type": "issuer_declined",
            },
        )
        self.store.put(charge, account)
        method = {"id": payment_method, "object": "payment_method", "type": "card"}
        pi.update(
            status="requires_payment_method",
            payment_method=None,
            latest_charge=charge["id"],
            next_action=None,
            last_payment_error={
                "charge": charge["id"],
                "code": code,
                "decline_code": decline_code,
                "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
                "message": message,
                "payment_method": method,
                "type": "card_error",
            },
        )
        self.store.emit("charge.failed", charge, ctx, account=account)
        self.store.emit("payment_intent.payment_failed", pi, ctx, account=account)
        return StripeError(
            402,
            "card_error",
            message,
            code=code,
            decline_code=decline_code,
            extra={"charge": charge["id"], "payment_intent": copy.deepcopy(pi), "payment_method": method},
        )

    def succeed_payment(self, pi_id: str, payment_method: str = "pm_card_visa") -> dict[str, Any]:
        pi, _ = self.store.find(pi_id, "payment_intent")
        if pi["status"] not in CONFIRMABLE:
            raise ValueError(f"{pi_id} is {pi['status']}; only {CONFIRMABLE} can be paid")
        self._settle(pi, payment_method, AUTOMATIC)
        return copy.deepcopy(pi)

    def fail_payment(
        self, pi_id: str, code: str = "card_declined", decline_code: str = "generic_decline"
    ) -> dict[str, Any]:
        pi, _ = self.store.find(pi_id, "payment_intent")
        if pi["status"] not in CONFIRMABLE:
            raise ValueError(f"{pi_id} is {pi['status']}; only {CONFIRMABLE} can fail")
        self._decline(pi, "pm_card_chargeDeclined", code, decline_code, "Your card was declined.", AUTOMATIC)
        return copy.deepcopy(pi)


# ------------------------------------------------------------------ helpers --


def _unexpected_state(pi: Mapping[str, Any], action: str, allowed: tuple[str, ...]) -> StripeError:
    error = invalid(
        f"You cannot {action} this PaymentIntent because it has a status of {pi['status']}. Only a PaymentIntent with "
        f"one of the following statuses may be {action}ed: {', '.join(allowed)}.",
        code="payment_intent_unexpected_state",
    )
    error.extra["payment_intent"] = copy.deepcopy(dict(pi))
    return error
