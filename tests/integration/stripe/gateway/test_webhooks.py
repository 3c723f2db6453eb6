"""StripeGateway's webhooks: signed deliveries parse, forged, stale or unsigned ones are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from payouts.stripe_gateway import WebhookSignatureError, parse_webhook
from tests.integration.stripe.gateway.builders import WEBHOOK_SECRET
from tests.stripe_standin import WebhookSender


def delivery(*, secret: str = WEBHOOK_SECRET, tamper: bool = False, timestamp: int | None = None) -> tuple[bytes, str]:
    captured: list[tuple[bytes, dict[str, str]]] = []
    sender = WebhookSender(lambda payload, headers: captured.append((payload, headers)), WEBHOOK_SECRET)
    sender.send(
        sender.event("payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent"}),
        secret=secret,
        tamper=tamper,
        timestamp=timestamp,
    )
    payload, headers = captured[0]
    return payload, headers["Stripe-Signature"]


def test_a_signed_webhook_parses_to_the_event() -> None:
    payload, signature = delivery()

    event = parse_webhook(payload, signature, WEBHOOK_SECRET)

    assert event["type"] == "payment_intent.succeeded" and event["data"]["object"]["id"] == "pi_1"
    assert event["id"].startswith("evt_")


@pytest.mark.parametrize(
    ("forgery", "why"),
    [
        ({"tamper": True}, "matching the expected signature"),
        ({"secret": "whsec_someone_else"}, "matching the expected signature"),
        ({"timestamp": int(datetime.now(UTC).timestamp()) - 301}, "tolerance"),
    ],
    ids=["tampered", "wrong secret", "stale"],
)
def test_a_forged_or_stale_webhook_is_refused(forgery: dict[str, object], why: str) -> None:
    payload, signature = delivery(**forgery)  # type: ignore[arg-type]

    with pytest.raises(WebhookSignatureError, match=why):
        parse_webhook(payload, signature, WEBHOOK_SECRET)


@pytest.mark.parametrize("header", [None, "", "garbage", "t=1700000000"])
def test_a_webhook_without_a_usable_signature_is_refused(header: str | None) -> None:
    payload, _ = delivery()

    with pytest.raises(WebhookSignatureError):
        parse_webhook(payload, header, WEBHOOK_SECRET)


def test_parse_webhook_refuses_an_unsafe_configuration() -> None:
    payload, signature = delivery()

    with pytest.raises(ValueError):
        parse_webhook(payload, signature, "")
    with pytest.raises(ValueError):
        parse_webhook(payload, signature, WEBHOOK_SECRET, tolerance=0)
