"""Commands on integrators' webhook endpoints (register, change, rotate, disable, delete)."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from domain.clock import Clock
from domain.unit_of_work import UnitOfWork
from domain.webhooks.model import WebhookEndpoint

ROTATION_GRACE = timedelta(hours=24)  # the old secret keeps signing this long after a rotation


class WebhookEndpointCommands:
    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self.uow, self.clock = uow, clock

    def register_webhook_endpoint(self, url: str, events: list[str], description: str, secret: str,
                                  created_by: str) -> tuple[WebhookEndpoint, int | None]:
        endpoint = WebhookEndpoint(url=url, events=events, description=description, secret=secret,
                                   created_by=created_by, at=self.clock.now())
        position = self.uow.record([endpoint])
        return endpoint, position

    def get_webhook_endpoint(self, endpoint_id: UUID) -> WebhookEndpoint:
        endpoint = self.uow.load(WebhookEndpoint, endpoint_id, "webhook endpoint")
        endpoint.check_live()
        return endpoint

    def change_webhook_endpoint(self, endpoint_id: UUID, *, url: str | None = None,
                                events: list[str] | None = None, description: str | None = None,
                                enabled: bool | None = None) -> tuple[WebhookEndpoint, int | None]:
        endpoint = self.get_webhook_endpoint(endpoint_id)
        if not endpoint.change(url=url, events=events, description=description, enabled=enabled, at=self.clock.now()):
            return endpoint, None
        position = self.uow.record([endpoint])
        return endpoint, position

    def rotate_webhook_secret(self, endpoint_id: UUID, secret: str) -> tuple[WebhookEndpoint, int | None]:
        endpoint = self.get_webhook_endpoint(endpoint_id)
        now = self.clock.now()
        endpoint.rotate_secret(secret, now + ROTATION_GRACE, now)
        position = self.uow.record([endpoint])
        return endpoint, position

    def disable_webhook_endpoint(self, endpoint_id: UUID, reason: str) -> int | None:
        endpoint = self.uow.load(WebhookEndpoint, endpoint_id, "webhook endpoint")
        if not endpoint.disable(reason, self.clock.now()):
            return None
        position = self.uow.record([endpoint])
        return position

    def delete_webhook_endpoint(self, endpoint_id: UUID) -> int | None:
        endpoint = self.get_webhook_endpoint(endpoint_id)
        endpoint.delete(self.clock.now())
        position = self.uow.record([endpoint])
        return position
