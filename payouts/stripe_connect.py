"""Stripe Connect: creators' Express accounts, the transfers that pay them, and their reversals.

Keys `acct-{creator_id}`, `transfer-{payout_id}`, `reversal-{key}`; the onboarding AccountLink
has none on purpose (payouts/stripe_gateway.py explains the keys, retries and API version).

May import: stripe, domain/ (the port's types), payouts/stripe_common.py.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import UUID

import stripe
from stripe.params import AccountCreateParams, BalanceTransactionListParams, TransferCreateParams, TransferListParams

from domain.money import Money
from domain.payments import AccountStatus, ConnectedAccount, PaymentGatewayError, TransferRequest, TransferResult
from payouts.stripe_common import LIST_PAGE_SIZE, calling_stripe, expanded, get, id_of, strings


class StripeConnect:
    """Connected accounts and transfers to them."""

    def __init__(self, v1: Any) -> None:
        self._v1 = v1

    def create_connected_account(self, creator_id: str, email: str | None = None) -> ConnectedAccount:
        """An Express account for the creator (key `acct-{creator_id}`), able to receive transfers once onboarded."""
        params: AccountCreateParams = {
            "type": "express",
            "metadata": {"creator_id": creator_id},
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        }
        if email:
            params["email"] = email
        with calling_stripe("create connected account"):
            account = self._v1.accounts.create(params=params, options={"idempotency_key": f"acct-{creator_id}"})
        return _connected_account(account)

    def get_connected_account(self, account_id: str) -> ConnectedAccount:
        with calling_stripe("read connected account"):
            return _connected_account(self._v1.accounts.retrieve(account_id))

    def onboarding_link(self, account_id: str, refresh_url: str, return_url: str) -> str:
        """A fresh single-use onboarding URL (no derived key: see the module docstring)."""
        with calling_stripe("create onboarding link"):
            link = self._v1.account_links.create(
                params={
                    "account": account_id,
                    "refresh_url": refresh_url,
                    "return_url": return_url,
                    "type": "account_onboarding",
                }
            )
        return link.url

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
        with calling_stripe("transfer"):
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
        with calling_stripe("find transfer"):
            for transfer in self._v1.transfers.list(params=params).auto_paging_iter():
                if strings(get(transfer, "metadata")).get("payout_id") == wanted:
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
        with calling_stripe("list a bank payout's balance transactions"):
            try:
                page = self._v1.balance_transactions.list(params=params, options=options)
            except stripe.InvalidRequestError:
                return None
            for txn in page.auto_paging_iter():
                source = id_of(get(txn, "source"))
                if get(txn, "type") not in ("payment", "transfer") or not source:
                    continue
                if not source.startswith("tr_"):  # the destination payment (py_...) names its transfer
                    source = id_of(get(self._v1.charges.retrieve(source, options=options), "source_transfer"))
                if source:
                    transfer = self._v1.transfers.retrieve(source)
                    found[source] = strings(get(transfer, "metadata")).get("payout_id")
        return found

    def reverse_transfer(self, transfer_id: str, amount: Money, key: str) -> TransferResult:
        """Pull `amount` back from the creator's account (key `reversal-{key}`); answers the transfer after it.

        Safeguard: a reversal is in the transfer's currency whatever we send,
        so a currency mismatch is refused before any money moves.
        """
        with calling_stripe("reverse transfer"):
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
            reversed_transfer = expanded(reversal.transfer, self._v1.transfers.retrieve)
        if reversed_transfer is None:  # Safeguard, should never happen: a reversal belongs to a transfer.
            raise PaymentGatewayError(f"reversal {reversal.id} names no transfer", retryable=False)
        return dataclasses.replace(_transfer_result(reversed_transfer), reversal_id=reversal.id)


def _connected_account(account: stripe.Account) -> ConnectedAccount:
    """enabled: can receive transfers and pay out; restricted: Stripe wants more from the creator; else pending.

    For separate charges and transfers the creator's account never charges,
    so `charges_enabled` is reported but does not decide the status: the
    `transfers` capability and `payouts_enabled` do. `pending` covers
    onboarding not finished and Stripe still verifying what was submitted.
    """
    requirements = get(account, "requirements") or {}
    due = tuple(get(requirements, "currently_due") or ())
    capabilities = get(account, "capabilities") or {}
    payouts_enabled = bool(get(account, "payouts_enabled"))
    status: AccountStatus
    if payouts_enabled and get(capabilities, "transfers") == "active":
        status = "enabled"
    elif get(account, "details_submitted") and due:
        status = "restricted"
    else:
        status = "pending"
    return ConnectedAccount(
        account_id=account.id,
        status=status,
        charges_enabled=bool(get(account, "charges_enabled")),
        payouts_enabled=payouts_enabled,
        requirements_due=due,
    )


def _transfer_result(transfer: stripe.Transfer) -> TransferResult:
    """`reversed` only once fully reversed; a partial reversal shows in `reversed_amount`."""
    destination = id_of(get(transfer, "destination"))
    if destination is None:  # Safeguard, should never happen: Stripe transfers always have a destination.
        raise PaymentGatewayError(f"transfer {transfer.id} has no destination", retryable=False)
    return TransferResult(
        transfer_id=transfer.id,
        amount=Money(transfer.amount, transfer.currency.upper()),
        destination=destination,
        status="reversed" if get(transfer, "reversed") else "submitted",
        balance_transaction_id=id_of(get(transfer, "balance_transaction")),
        reversed_amount=int(get(transfer, "amount_reversed") or 0),
    )
