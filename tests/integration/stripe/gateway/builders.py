"""What the gateway's tests share: a ticket's payment request, an onboarded account, a payout's transfer."""

from __future__ import annotations

from uuid import UUID, uuid4


from domain.money import Money
from domain.payments import PaymentRequest, RefundRequest, TransferRequest
from payouts.stripe_gateway import StripeGateway
from tests.stripe_standin import StripeStandIn


WEBHOOK_SECRET = "whsec_gateway_tests"
ROOM = UUID("00000000-0000-4000-8000-00000000000a")


def ticket(amount: int = 1000, payment_method: str | None = "pm_card_visa", **overrides: object) -> PaymentRequest:
    fields: dict[str, object] = {
        "ticket_id": uuid4(),
        "room_id": ROOM,
        "creator_id": "creator-1",
        "holder_id": "listener-1",
        "amount": Money(amount, "USD"),
        "payment_method": payment_method,
    }
    return PaymentRequest(**{**fields, **overrides})  # type: ignore[arg-type]


def onboarded_account(gateway: StripeGateway, standin: StripeStandIn, creator_id: str = "creator-1") -> str:
    account = gateway.create_connected_account(creator_id)
    standin.set_account_status(account.account_id, charges_enabled=True, payouts_enabled=True)
    return account.account_id


def payout_to(destination: str, amount: int = 800) -> TransferRequest:
    return TransferRequest(
        payout_id=uuid4(), destination=destination, amount=Money(amount, "USD"), transfer_group="payouts-2026-11"
    )


def refund_of(payment_id: str, ticket_id: UUID, amount: int, reason: str = "requested_by_customer") -> RefundRequest:
    return RefundRequest(
        refund_id=uuid4(), ticket_id=ticket_id, payment_id=payment_id, amount=Money(amount, "USD"), reason=reason
    )
