"""Connect: Express accounts, onboarding links, transfers, reversals and payouts.

Why: creators are paid by *separate charges and transfers*: the platform
charges the ticket, then moves the creator's share with a Transfer to the
creator's connected account, from which Stripe pays out to the bank. Each
step leaves balance transactions on the side it touches: `transfer` on the
platform and `payment` on the account; a reversal `transfer_refund` and
`payment_refund`; a payout `payout`, and `payout_failure` when the bank
returns it.

Assumptions: an account's `transfers` capability is active exactly when its
payouts are enabled unless a test says otherwise; a new Express account
requests `card_payments` and `transfers` when it names no capabilities.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
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
    boolean,
    check_known,
    currency,
    expand_paths,
    integer,
    invalid,
    metadata,
    one_of,
    optional_str,
    required,
    required_integer,
)

EXPRESS_CURRENTLY_DUE: Final = (
    "business_profile.mcc",
    "business_profile.url",
    "business_type",
    "external_account",
    "representative.first_name",
    "representative.last_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
)


class Connect:
    """Connected accounts and the money the platform moves to them."""

    def __init__(self, store: Store, *, link_base: Callable[[], str]) -> None:
        self.store = store
        self._link_base = link_base
        # Balance transaction id -> the automatic payout that carried it to the bank.
        self.carried: dict[str, str] = {}

    # ----------------------------------------------------------- accounts --

    _ACCOUNT_CREATE: Final = {
        "type": SCALAR,
        "country": SCALAR,
        "email": SCALAR,
        "metadata": FREE,
        "capabilities": FREE,
        "business_type": SCALAR,
        "business_profile": FREE,
        "default_currency": SCALAR,
        "expand": LIST,
    }

    def create_account(self, ctx: Context, params: Params) -> dict[str, Any]:
        check_known(params, self._ACCOUNT_CREATE)
        if ctx.account is not None:
            raise invalid("Connected accounts cannot create other accounts.")
        account_type = one_of(params, "type", ("express", "standard", "custom"))
        if account_type is None:
            raise invalid("Missing required param: type.", param="type", code="parameter_missing")
        requested = _requested_capabilities(params.get("capabilities"))
        account = {
            "id": new_id("acct", 16),
            "object": "account",
            "business_profile": params.get("business_profile") or {},
            "business_type": optional_str(params, "business_type"),
            "capabilities": {name: "inactive" for name in requested},
            "charges_enabled": False,
            "country": (optional_str(params, "country") or "US").upper(),
            "created": self.store.now(),
            "default_currency": (optional_str(params, "default_currency") or "usd").lower(),
            "details_submitted": False,
            "email": optional_str(params, "email"),
            "metadata": metadata(params),
            "payouts_enabled": False,
            "requirements": _requirements(list(EXPRESS_CURRENTLY_DUE), disabled_reason="requirements.past_due"),
            "type": account_type,
        }
        self.store.put(account, None)
        return self.store.render(account, expand_paths(params), None)

    def set_account_status(
        self,
        account_id: str,
        *,
        charges_enabled: bool,
        payouts_enabled: bool,
        currently_due: Iterable[str] = (),
        details_submitted: bool = True,
        transfers_active: bool | None = None,
        disabled_reason: str | None = None,
    ) -> dict[str, Any]:
        """Onboarding moved on. `transfers` is active with payouts unless told otherwise."""
        account, _ = self.store.find(account_id, "account")
        due = list(currently_due)
        transfers = payouts_enabled if transfers_active is None else transfers_active
        if disabled_reason is None and not (charges_enabled and payouts_enabled):
            disabled_reason = "requirements.past_due" if due else "requirements.pending_verification"
        fields = {
            "charges_enabled": charges_enabled,
            "payouts_enabled": payouts_enabled,
            "details_submitted": details_submitted,
            "capabilities": {
                name: "active" if (transfers if name == "transfers" else charges_enabled) else "inactive"
                for name in account["capabilities"]
            },
            "requirements": _requirements(due, disabled_reason=disabled_reason),
        }
        previous = {key: copy.deepcopy(account[key]) for key, value in fields.items() if account[key] != value}
        account.update(fields)
        self.store.emit("account.updated", account, AUTOMATIC, account=account_id, previous=previous)
        return copy.deepcopy(account)

    def create_account_link(self, ctx: Context, params: Params) -> dict[str, Any]:
        check_known(
            params,
            {
                "account": SCALAR,
                "refresh_url": SCALAR,
                "return_url": SCALAR,
                "type": SCALAR,
                "collect": SCALAR,
                "collection_options": FREE,
                "expand": LIST,
            },
        )
        account_id = str(required(params, "account"))
        self.store.get(account_id, "account", None, param="account", status=400)
        required(params, "type")
        one_of(params, "type", ("account_onboarding", "account_update"))
        created = self.store.now()
        link = {
            "object": "account_link",
            "created": created,
            "expires_at": created + 300,
            "url": f"{self._link_base()}/setup/e/{account_id}/{new_id('x', 12)[2:]}",
        }
        self.store.put({**link, "id": new_id("acctlink")}, None)
        return link

    # ---------------------------------------------------------- transfers --

    _TRANSFER_CREATE: Final = {
        "amount": SCALAR,
        "currency": SCALAR,
        "destination": SCALAR,
        "transfer_group": SCALAR,
        "metadata": FREE,
        "description": SCALAR,
        "expand": LIST,
    }

    def create_transfer(self, ctx: Context, params: Params) -> dict[str, Any]:
        check_known(params, self._TRANSFER_CREATE)
        amount = required_integer(params, "amount", minimum=1)
        code = currency(params)
        destination = str(required(params, "destination"))
        account = self.store.get(destination, "account", None, param="destination", status=400)
        if account["capabilities"].get("transfers") != "active":
            raise invalid(
                "Your destination account needs to have at least one of the following capabilities enabled: "
                "transfers, crypto_transfers, legacy_payments",
                param="destination",
                code="insufficient_capabilities_for_transfer",
            )
        self.store.check_funds(ctx.account, code, amount)
        transfer = self._make_transfer(
            ctx,
            amount=amount,
            currency_code=code,
            destination=destination,
            transfer_group=optional_str(params, "transfer_group"),
            metadata_=metadata(params),
            description=optional_str(params, "description"),
            created=None,
        )
        return self.store.render(transfer, expand_paths(params), ctx.account)

    def _make_transfer(
        self,
        ctx: Context,
        *,
        amount: int,
        currency_code: str,
        destination: str,
        transfer_group: str | None,
        metadata_: dict[str, str],
        description: str | None,
        created: int | None,
    ) -> dict[str, Any]:
        """Platform `transfer` (-amount) and the destination's `payment` (+amount)."""
        created = self.store.now() if created is None else created
        transfer_id, payment_id = new_id("tr"), new_id("py")
        txn = self.store.add_balance_transaction(
            ctx.account,
            type="transfer",
            amount=-amount,
            currency_code=currency_code,
            source=transfer_id,
            created=created,
        )
        payment_txn = self.store.add_balance_transaction(
            destination,
            type="payment",
            amount=amount,
            currency_code=currency_code,
            source=payment_id,
            reporting_category="charge",
            created=created,
        )
        self.store.put(
            {
                "id": payment_id,
                "object": "charge",
                "amount": amount,
                "amount_refunded": 0,
                "balance_transaction": payment_txn["id"],
                "captured": True,
                "created": created,
                "currency": currency_code,
                "livemode": False,
                "metadata": {},
                "paid": True,
                "refunded": False,
                "source_transfer": transfer_id,
                "status": "succeeded",
            },
            destination,
        )
        transfer = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "balance_transaction": txn["id"],
            "created": created,
            "currency": currency_code,
            "description": description,
            "destination": destination,
            "destination_payment": payment_id,
            "livemode": False,
            "metadata": metadata_,
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            "reversed": False,
            "source_transaction": None,
            "source_type": "card",
            "transfer_group": transfer_group,
        }
        self.store.put(transfer, ctx.account)
        self.store.emit("transfer.created", transfer, ctx, account=ctx.account)
        return transfer

    def add_unknown_transfer(
        self,
        destination: str,
        amount: int,
        currency_code: str = "usd",
        *,
        metadata_: Mapping[str, str] | None = None,
        transfer_group: str | None = None,
        created: int | None = None,
    ) -> dict[str, Any]:
        """A transfer someone made outside our code (e.g. the Dashboard): no checks, no idempotency."""
        self.store.find(destination, "account")
        transfer = self._make_transfer(
            AUTOMATIC,
            amount=amount,
            currency_code=currency_code,
            destination=destination,
            transfer_group=transfer_group,
            metadata_=dict(metadata_ or {}),
            description=None,
            created=created,
        )
        return copy.deepcopy(transfer)

    def create_reversal(self, ctx: Context, transfer_id: str, params: Params) -> dict[str, Any]:
        check_known(
            params,
            {
                "amount": SCALAR,
                "metadata": FREE,
                "description": SCALAR,
                "expand": LIST,
            },
        )
        transfer = self.store.get(transfer_id, "transfer", ctx.account)
        remaining = transfer["amount"] - transfer["amount_reversed"]
        if remaining == 0:
            raise invalid(f"Transfer {transfer_id} has already been fully reversed.", param="amount")
        amount = integer(params, "amount", minimum=1, default=remaining)
        if amount > remaining:
            raise invalid(
                f"You have attempted to reverse {amount}, but only {remaining} remains to be reversed "
                f"on {transfer_id}.",
                param="amount",
                code="amount_too_large",
            )
        reversal_id, refund_id = new_id("trr"), new_id("pyr")
        txn = self.store.add_balance_transaction(
            ctx.account,
            type="transfer_refund",
            amount=amount,
            currency_code=transfer["currency"],
            source=reversal_id,
            reporting_category="transfer_reversal",
        )
        destination = transfer["destination"]
        refund_txn = self.store.add_balance_transaction(
            destination,
            type="payment_refund",
            amount=-amount,
            currency_code=transfer["currency"],
            source=refund_id,
            reporting_category="refund",
        )
        self.store.put(
            {
                "id": refund_id,
                "object": "refund",
                "amount": amount,
                "balance_transaction": refund_txn["id"],
                "charge": transfer["destination_payment"],
                "created": self.store.now(),
                "currency": transfer["currency"],
                "metadata": {},
                "status": "succeeded",
            },
            destination,
        )
        reversal = {
            "id": reversal_id,
            "object": "transfer_reversal",
            "amount": amount,
            "balance_transaction": txn["id"],
            "created": self.store.now(),
            "currency": transfer["currency"],
            "destination_payment_refund": refund_id,
            "metadata": metadata(params),
            "source_refund": None,
            "transfer": transfer_id,
        }
        self.store.put(reversal, ctx.account)
        previous = {"amount_reversed": transfer["amount_reversed"], "reversed": transfer["reversed"]}
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        reversals = transfer["reversals"]
        reversals["data"].insert(0, copy.deepcopy(reversal))
        reversals["total_count"] += 1
        self.store.emit("transfer.reversed", transfer, ctx, account=ctx.account, previous=previous)
        return self.store.render(reversal, expand_paths(params), ctx.account)

    # ------------------------------------------------------------ payouts --

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


def _requested_capabilities(value: Any) -> list[str]:
    """Capabilities asked for at creation; none given means card_payments and transfers."""
    if value is None:
        return ["card_payments", "transfers"]
    if not isinstance(value, dict):
        raise invalid("Invalid object", param="capabilities")
    names = []
    for name, settings in value.items():
        if not isinstance(settings, dict):
            raise invalid(f"Invalid object: capabilities[{name}]", param=f"capabilities[{name}]")
        check_known(settings, {"requested": SCALAR}, f"capabilities[{name}]")
        if boolean(settings, "requested"):
            names.append(name)
    return names


def _requirements(currently_due: list[str], *, disabled_reason: str | None) -> dict[str, Any]:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(currently_due),
        "disabled_reason": disabled_reason,
        "errors": [],
        "eventually_due": list(currently_due),
        "past_due": list(currently_due),
        "pending_verification": [],
    }
