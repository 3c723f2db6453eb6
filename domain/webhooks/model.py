"""An integrator's webhook endpoint: where we send signed events, and which ones.

An aggregate, so every change (registered, changed, secret rotated, disabled,
deleted) is an event in the log like any other state change; the projector keeps
the `webhook_endpoints` read table and the webhook dispatcher reads it.
The secret is decided outside (random) and recorded in the event, so replay
rebuilds the same endpoint. A rotated-out secret stays valid until
`previous_valid_until`, so receivers can roll over without losing deliveries.
"""

from __future__ import annotations

from datetime import datetime

from eventsourcing.domain import Aggregate, event

from domain.errors import ConflictError


class EndpointDeletedError(ConflictError):
    """The endpoint was deleted; it can no longer change."""

    code = "not_found"


class WebhookEndpoint(Aggregate):
    @event("Registered")
    def __init__(self, url: str, events: list[str], description: str, secret: str, created_by: str,
                 at: datetime) -> None:
        self.url = url
        self.events = list(events)
        self.description = description
        self.secret = secret
        self.previous_secret: str | None = None
        self.previous_valid_until: datetime | None = None
        self.created_by = created_by
        self.created_at = at
        self.updated_at = at
        self.enabled = True
        self.disabled_reason: str | None = None
        self.deleted = False

    def check_live(self) -> None:
        if self.deleted:
            raise EndpointDeletedError(f"webhook endpoint {self.id} was deleted")

    def change(self, *, url: str | None, events: list[str] | None, description: str | None, enabled: bool | None,
               at: datetime) -> bool:
        self.check_live()
        changes = {"url": url, "events": events, "description": description, "enabled": enabled}
        if all(value is None or getattr(self, name) == value for name, value in changes.items()):
            return False
        self._change(url, events, description, enabled, at)
        return True

    @event("Changed")
    def _change(self, url: str | None, events: list[str] | None, description: str | None, enabled: bool | None,
                at: datetime) -> None:
        self.url = url if url is not None else self.url
        self.events = list(events) if events is not None else self.events
        self.description = description if description is not None else self.description
        if enabled is not None:
            self.enabled = enabled
            self.disabled_reason = None if enabled else "disabled by an administrator"
        self.updated_at = at

    def rotate_secret(self, secret: str, previous_valid_until: datetime, at: datetime) -> None:
        self.check_live()
        self._rotate_secret(secret, self.secret, previous_valid_until, at)

    @event("SecretRotated")
    def _rotate_secret(self, secret: str, previous_secret: str, previous_valid_until: datetime, at: datetime) -> None:
        self.secret = secret
        self.previous_secret = previous_secret
        self.previous_valid_until = previous_valid_until
        self.updated_at = at

    def disable(self, reason: str, at: datetime) -> bool:
        """Stop deliveries (a 410 Gone, or failing for days); False if already off or deleted."""
        if self.deleted or not self.enabled:
            return False
        self._disable(reason, at)
        return True

    @event("Disabled")
    def _disable(self, reason: str, at: datetime) -> None:
        self.enabled = False
        self.disabled_reason = reason
        self.updated_at = at

    def delete(self, at: datetime) -> bool:
        if self.deleted:
            return False
        self._delete(at)
        return True

    @event("Deleted")
    def _delete(self, at: datetime) -> None:
        self.deleted = True
        self.enabled = False
        self.updated_at = at
