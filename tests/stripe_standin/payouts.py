"""Payouts from a connected account's balance to its bank.

Why: Stripe pays the creator's balance out to the bank, automatically or on request, and the bank
may return it: a payout leaves a `payout` balance transaction, and a `payout_failure` when it fails.
`carried` remembers which balance transactions an automatic payout swept, for listing by payout.

May import: the stdlib and the stand-in's own modules (objects, wire).
"""

from __future__ import annotations

import copy
from typing import Any, Final

from tests.stripe_standin.objects import (
    AUTOMATIC,
    SECONDS_PER_DAY,
    Context,
    Store,
    new_id,
)
from tests.stripe_standin.wire import (
    FREE,
    LIST,
    SCALAR,
    Params,
    check_known,
    currency,
    expand_paths,
    invalid,
    metadata,
    one_of,
    optional_str,
    required_integer,
)


class Payouts:
    """Payouts, manual and automatic, and their failure."""

    store: Store
    carried: dict[str, str]

    _PAYOUT_CREATE: Final = {
        "amount": SCALAR,
        "currency": SCALAR,
        "metadata": FREE,
        "description": SCALAR,
        "method": SCALAR,
        "statement_descriptor": SCALAR,
        "expand": LIST,
    }

    def create_payout(self, ctx: Context, params: Params) -> dict[str, Any]:
        check_known(params, self._PAYOUT_CREATE)
        amount = required_integer(params, "amount", minimum=1)
        code = currency(params)
        if ctx.account is not None and not self.store.get(ctx.account, "account", None)["payouts_enabled"]:
            raise invalid("Payouts are not enabled for this account.", code="payouts_not_allowed")
        self.store.check_funds(ctx.account, code, amount)
        payout = self._make_payout(
            ctx,
            amount=amount,
            currency_code=code,
            automatic=False,
            method=one_of(params, "method", ("standard", "instant"), default="standard"),
            metadata_=metadata(params),
            description=optional_str(params, "description"),
        )
        return self.store.render(payout, expand_paths(params), ctx.account)

    def _make_payout(
        self,
        ctx: Context,
        *,
        amount: int,
        currency_code: str,
        automatic: bool,
        method: str | None,
        metadata_: dict[str, str],
        description: str | None,
    ) -> dict[str, Any]:
        payout_id = new_id("po")
        txn = self.store.add_balance_transaction(
            ctx.account, type="payout", amount=-amount, currency_code=currency_code, source=payout_id
        )
        created = self.store.now()
        payout = {
            "id": payout_id,
            "object": "payout",
            "amount": amount,
            "arrival_date": created + 2 * SECONDS_PER_DAY,
            "automatic": automatic,
            "balance_transaction": txn["id"],
            "created": created,
            "currency": currency_code,
            "description": description,
            "destination": "ba_standin_bank_account",
            "failure_balance_transaction": None,
            "failure_code": None,
            "failure_message": None,
            "livemode": False,
            "metadata": metadata_,
            "method": method,
            "source_type": "card",
            "statement_descriptor": None,
            "status": "pending",
            "type": "bank_account",
        }
        self.store.put(payout, ctx.account)
        if automatic:  # it sweeps what the balance holds in its currency, itself included
            for swept in self.store.live("balance_transaction", ctx.account):
                if swept["currency"] == currency_code:
                    self.carried.setdefault(swept["id"], payout_id)
        self.store.emit("payout.created", payout, ctx, account=ctx.account)
        return payout

    def check_payout_filter(self, ctx: Context, params: Params) -> None:
        """`GET /v1/balance_transactions?payout=`: Stripe answers it for automatic payouts only."""
        wanted = params.get("payout")
        if wanted is None:
            return
        payout = self.store.get(str(wanted), "payout", ctx.account, param="payout", status=400)
        if not payout["automatic"]:
            raise invalid("Balance transaction history can only be filtered on automatic transfers, not manual.",
                          param="payout")

    def pay_out(self, account_id: str) -> list[dict[str, Any]]:
        """Stripe's payout schedule runs: pending payouts arrive, the remaining balance is paid out.

        An account without payouts enabled is skipped, as Stripe would.
        """
        account, _ = self.store.find(account_id, "account")
        if not account["payouts_enabled"]:
            return []
        scope = Context(account=account_id)
        payouts = [p for p in self.store.live("payout", account_id) if p["status"] in ("pending", "in_transit")]
        currencies = sorted({txn["currency"] for txn in self.store.live("balance_transaction", account_id)})
        for code in currencies:
            remaining = self.store.balance(account_id, code)
            if remaining > 0:
                payouts.append(
                    self._make_payout(
                        scope,
                        amount=remaining,
                        currency_code=code,
                        automatic=True,
                        method="standard",
                        metadata_={},
                        description="STRIPE PAYOUT",
                    )
                )
        for payout in payouts:
            payout["status"] = "paid"
            self.store.emit("payout.paid", payout, AUTOMATIC, account=account_id)
        return copy.deepcopy(payouts)

    def fail_payout(self, payout_id: str, failure_code: str = "account_closed") -> dict[str, Any]:
        """The bank returned the payout: money comes back to the account's balance."""
        payout, account = self.store.find(payout_id, "payout")
        if payout["status"] in ("failed", "canceled"):
            raise ValueError(f"{payout_id} is already {payout['status']}")
        txn = self.store.add_balance_transaction(
            account,
            type="payout_failure",
            amount=payout["amount"],
            currency_code=payout["currency"],
            source=payout_id,
            reporting_category="payout_reversal",
        )
        payout.update(
            status="failed",
            failure_code=failure_code,
            failure_message="The bank account has been closed.",
            failure_balance_transaction=txn["id"],
        )
        self.store.emit("payout.failed", payout, AUTOMATIC, account=account)
        return copy.deepcopy(payout)
