"""Commands on integrators' webhook endpoints (register, change, rotate, disable, delete)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from domain.webhooks.model import WebhookEndpoint

if TYPE_CHECKING:
    from domain.application import BoxOffice

ROTATION_GRACE = timedelta(hours=24)  # the old secret keeps signing this long after a rotation


class WebhookEndpointCommands:
    def register_webhook_endpoint(self: BoxOffice, url: str, events: list[str], description: str, secret: str,
                                  created_by: str) -> tuple[WebhookEndpoint, int | None]:
        endpoint = WebhookEndpoint(url=url, events=events, description=description, secret=secret,
                                   created_by=created_by, at=self.clock.now())
        _, position = self.transact(lambda guards: (None, [endpoint]))
        return endpoint, position

    def get_webhook_endpoint(self: BoxOffice, endpoint_id: UUID) -> WebhookEndpoint:
        endpoint = self.load(WebhookEndpoint, endpoint_id, "webhook endpoint")
        endpoint.check_live()
        return endpoint

    def change_webhook_endpoint(self: BoxOffice, endpoint_id: UUID, *, url: str | None = None,
                                events: list[str] | None = None, description: str | None = None,
                                enabled: bool | None = None) -> tuple[WebhookEndpoint, int | None]:
        endpoint = self.get_webhook_endpoint(endpoint_id)
        if not endpoint.change(url=url, events=events, description=description, enabled=enabled, at=self.clock.now()):
            return endpoint, None
        _, position = self.transact(lambda guards: (None, [endpoint]))
        return endpoint, position

    def rotate_webhook_secret(self: BoxOffice, endpoint_id: UUID, secret: str) -> tuple[WebhookEndpoint, int | None]:
        endpoint = self.get_webhook_endpoint(endpoint_id)
        now = self.clock.now()
        endpoint.rotate_secret(secret, now + ROTATION_GRACE, now)
        _, position = self.transact(lambda guards: (None, [endpoint]))
        return endpoint, position

    def disable_webhook_endpoint(self: BoxOffice, endpoint_id: UUID, reason: str) -> int | None:
        endpoint = self.load(WebhookEndpoint, endpoint_id, "webhook endpoint")
        if not endpoint.disable(reason, self.clock.now()):
            return None
        _, position = self.transact(lambda guards: (None, [endpoint]))
        return position

    def delete_webhook_endpoint(self: BoxOffice, endpoint_id: UUID) -> int | None:
        endpoint = self.get_webhook_endpoint(endpoint_id)
        endpoint.delete(self.clock.now())
        _, position = self.transact(lambda guards: (None, [endpoint]))
        return position
