"""Transfers from the platform to a connected account, and their reversals.

Why: creators are paid by *separate charges and transfers*: the platform charges the ticket, then
moves the creator's share with a Transfer to the creator's connected account. A transfer leaves a
`transfer` balance transaction on the platform and a `payment` on the account; a reversal
`transfer_refund` and `payment_refund`.

May import: the stdlib and the stand-in's own modules (objects, wire).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from tests.stripe_standin.objects import AUTOMATIC, Context, Store, new_id
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
    optional_str,
    required,
    required_integer,
)


class Transfers:
    """Transfers and transfer reversals."""

    store: Store

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
