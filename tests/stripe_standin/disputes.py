"""Disputes (chargebacks): the cardholder's bank pulls the money back, and the dispute is won or lost.

Why: a chargeback takes the amount and Stripe's dispute fee from the balance, and must be reproducible
in a test. Disputes are opened and closed by the test (there is no API to create one).

May import: the stdlib and the stand-in's own modules (objects).
"""

from __future__ import annotations

import copy
from typing import Any, Final

from tests.stripe_standin.objects import AUTOMATIC, Store, new_id

DISPUTE_FEE: Final = 1500  # 15.00 in the charge currency, Stripe's US dispute fee
OPEN_DISPUTE: Final = frozenset(
    {"warning_needs_response", "warning_under_review", "needs_response", "under_review", "lost"}
)


class Disputes:
    """Disputes of a succeeded charge."""

    store: Store

    def _dispute_of(self, charge_id: str) -> dict[str, Any] | None:
        disputes = [d for d in self.store.live("dispute") if d["charge"] == charge_id]
        return disputes[0] if disputes else None

    def dispute(self, charge_id: str, reason: str = "fraudulent") -> dict[str, Any]:
        """The cardholder's bank pulls the money back: amount plus Stripe's dispute fee."""
        charge, account = self.store.find(charge_id, "charge")
        if charge["status"] != "succeeded" or self._dispute_of(charge_id) is not None:
            raise ValueError(f"{charge_id} cannot be disputed (not succeeded, or already disputed)")
        dispute_id = new_id("dp")
        txn = self.store.add_balance_transaction(
            account,
            type="adjustment",
            amount=-charge["amount"],
            currency_code=charge["currency"],
            source=dispute_id,
            fee=DISPUTE_FEE,
            fee_description="Dispute fee",
            reporting_category="dispute",
            description=f"Chargeback withdrawal for {charge_id}",
        )
        dispute = {
            "id": dispute_id,
            "object": "dispute",
            "amount": charge["amount"],
            "balance_transactions": [copy.deepcopy(txn)],
            "charge": charge_id,
            "created": self.store.now(),
            "currency": charge["currency"],
            "evidence": {},
            "intended_submission_method": None,  # endive
            "is_charge_refundable": False,
            "livemode": False,
            "metadata": {},
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "status": "needs_response",
        }
        self.store.put(dispute, account)
        charge["disputed"] = True
        self.store.emit("charge.dispute.created", dispute, AUTOMATIC, account=account)
        return copy.deepcopy(dispute)

    def close_dispute(self, dispute_id: str, won: bool) -> dict[str, Any]:
        """Won: the amount and the fee come back. Lost: nothing more moves."""
        dispute, account = self.store.find(dispute_id, "dispute")
        if dispute["status"] in ("won", "lost"):
            raise ValueError(f"{dispute_id} is already closed ({dispute['status']})")
        if won:
            txn = self.store.add_balance_transaction(
                account,
                type="adjustment",
                amount=dispute["amount"],
                currency_code=dispute["currency"],
                source=dispute_id,
                fee=-DISPUTE_FEE,
                fee_description="Dispute fee refund",
                reporting_category="dispute_reversal",
                description=f"Chargeback reversal for {dispute['charge']}",
            )
            dispute["balance_transactions"].append(copy.deepcopy(txn))
        dispute["status"] = "won" if won else "lost"
        self.store.emit("charge.dispute.closed", dispute, AUTOMATIC, account=account)
        return copy.deepcopy(dispute)
