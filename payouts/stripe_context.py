"""What a Stripe event's command is given: the application, the gateway, the read tables.

Its own module so that the registry (payouts/stripe_events.py) and the commands it lists
(there and in payouts/payout_events.py) import it one way only.

May import: domain/, store/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from domain.application import BoxOffice
from domain.payments import PaymentGateway
from store.db import Database


@dataclass(frozen=True)
class EventContext:
    """What a command needs: the application, the gateway to re-read objects with, the read tables."""

    app: BoxOffice
    gateway: PaymentGateway
    db: Database


Command = Callable[[EventContext, dict[str, Any], str, dict[str, Any]], str]
"""(context, the event's object, the dedupe key `stripe:<evt_id>`, the whole event) -> what it did."""
