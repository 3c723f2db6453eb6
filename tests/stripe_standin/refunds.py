"""Refunds of a charge: whole or in part, pending, succeeding or failing later.

Why: a refunded ticket is money going back out, and a refund Stripe fails days later must be
reproducible in a test. A refund of a charged-back charge is refused as Stripe does.

May import: the stdlib and the stand-in's own modules (objects, wire, disputes).
"""

from __future__ import annotations

import copy
from typing import Any, Final

from tests.stripe_standin.disputes import OPEN_DISPUTE, Disputes
from tests.stripe_standin.objects import AUTOMATIC, Context, new_id
from tests.stripe_standin.wire import (
    FREE,
    LIST,
    SCALAR,
    Params,
    check_known,
    currency,
    expand_paths,
    integer,
    invalid,
    metadata,
    one_of,
    optional_str,
)

REFUND_REASONS: Final = ("duplicate", "fraudulent", "requested_by_customer")


class Refunds(Disputes):
    """Refunds, and the outcomes a test queues for the next ones."""

    _next_refund_outcomes: list[tuple[str, str | None]]

    _REFUND_CREATE: Final = {
        "payment_intent": SCALAR,
        "charge": SCALAR,
        "amount": SCALAR,
        "metadata": FREE,
        "reason": SCALAR,
        "instructions_email": SCALAR,
        "expand": LIST,
    }

    def next_refund(self, status: str, failure_reason: str | None = None) -> None:
        if status not in ("pending", "failed"):
            raise ValueError("the next refund can be made 'pending' or 'failed'")
        if status == "failed" and failure_reason is None:
            failure_reason = "expired_or_canceled_card"
        self._next_refund_outcomes.append((status, failure_reason))

    def create_refund(self, ctx: Context, params: Params) -> dict[str, Any]:
        check_known(params, self._REFUND_CREATE)
        charge = self._refundable_charge(ctx, params)
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining == 0:
            raise invalid(f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
        amount = integer(params, "amount", minimum=1, default=remaining)
        if amount > remaining:
            raise invalid(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
                param="amount",
                code="amount_too_large",
            )
        reason = one_of(params, "reason", REFUND_REASONS)
        status, failure_reason = (
            self._next_refund_outcomes.pop(0) if self._next_refund_outcomes else ("succeeded", None)
        )
        refund_id = new_id("re")
        txn = self.store.add_balance_transaction(
            ctx.account, type="refund", amount=-amount, currency_code=charge["currency"], source=refund_id
        )
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": txn["id"],
            "charge": charge["id"],
            "created": self.store.now(),
            "currency": charge["currency"],
            "customer": None,  # endive
            "customer_account": None,  # endive
            "failure_balance_transaction": None,
            "failure_reason": None,
            "metadata": metadata(params),
            "payment_intent": charge["payment_intent"],
            "payment_method": charge["payment_method"],  # endive
            "reason": reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "pending" if status == "failed" else status,
            "transfer_reversal": None,
        }
        self.store.put(refund, ctx.account)
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        self.store.emit("refund.created", refund, ctx, account=ctx.account)
        self.store.emit("charge.refunded", charge, ctx, account=ctx.account)
        if status == "failed":
            self._fail_refund(refund, failure_reason or "expired_or_canceled_card", ctx)
        return self.store.render(refund, expand_paths(params), ctx.account)

    def _refundable_charge(self, ctx: Context, params: Params) -> dict[str, Any]:
        charge_id, pi_id = optional_str(params, "charge"), optional_str(params, "payment_intent")
        if pi_id is not None:
            pi = self.store.get(pi_id, "payment_intent", ctx.account, param="payment_intent", status=400)
            if pi["status"] != "succeeded" or pi["latest_charge"] is None:
                raise invalid(
                    f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.", param="payment_intent"
                )
            if charge_id is not None and charge_id != pi["latest_charge"]:
                raise invalid(f"Charge {charge_id} does not belong to PaymentIntent {pi_id}.", param="charge")
            charge_id = str(pi["latest_charge"])
        elif charge_id is None:
            raise invalid(
                "One of the following params should be provided for this request: payment_intent or charge.",
                code="parameter_missing",
            )
        charge = self.store.get(charge_id, "charge", ctx.account, param="charge", status=400)
        if charge["status"] != "succeeded":
            raise invalid(f"Charge {charge_id} has not succeeded and cannot be refunded.", param="charge")
        dispute = self._dispute_of(charge_id)
        if dispute is not None and dispute["status"] in OPEN_DISPUTE:
            raise invalid(f"Charge {charge_id} has been charged back; cannot issue a refund.", code="charge_disputed")
        return charge

    def _fail_refund(self, refund: dict[str, Any], failure_reason: str, ctx: Context) -> None:
        account = self.store.scope_of(refund["id"])
        charge = self.store.get(refund["charge"], "charge", account)
        txn = self.store.add_balance_transaction(
            account,
            type="refund_failure",
            amount=refund["amount"],
            currency_code=refund["currency"],
            source=refund["id"],
        )
        previous = {"status": refund["status"], "failure_reason": None, "failure_balance_transaction": None}
        refund.update(status="failed", failure_reason=failure_reason, failure_balance_transaction=txn["id"])
        charge["amount_refunded"] -= refund["amount"]
        charge["refunded"] = False
        self.store.emit("refund.updated", refund, ctx, account=account, previous=previous)
        self.store.emit("refund.failed", refund, ctx, account=account)

    def fail_refund(self, refund_id: str, failure_reason: str = "expired_or_canceled_card") -> dict[str, Any]:
        refund, _ = self.store.find(refund_id, "refund")
        if refund["status"] not in ("pending", "succeeded"):
            raise ValueError(f"{refund_id} is {refund['status']} and cannot fail")
        self._fail_refund(refund, failure_reason, AUTOMATIC)
        return copy.deepcopy(refund)

    def succeed_refund(self, refund_id: str) -> dict[str, Any]:
        refund, account = self.store.find(refund_id, "refund")
        if refund["status"] != "pending":
            raise ValueError(f"{refund_id} is {refund['status']}, not pending")
        refund["status"] = "succeeded"
        self.store.emit("refund.updated", refund, AUTOMATIC, account=account, previous={"status": "pending"})
        return copy.deepcopy(refund)
