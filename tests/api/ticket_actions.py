"""What the ticket tests share: the declining test card, and a refund over HTTP."""

from __future__ import annotations

DECLINING_CARD = "pm_card_chargeDeclined"


def refund(client, ticket, caller, body=None, key=None):
    headers = {**caller.headers, **({"Idempotency-Key": key} if key else {})}
    return client.post(f"/v1/tickets/{ticket['id']}/refund", json=body, headers=headers)
