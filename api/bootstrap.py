"""The composition root: settings, store, gateway, policies and the application.

Everything is built here and nowhere else, and nothing at import time. Tests
call `build_services` with a frozen clock or a fake gateway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from api.settings import Settings
from store.env import eventsourcing_env
from domain.application import BoxOffice
from domain.clock import Clock, SystemClock
from domain.payments import PaymentGateway
from integrations.livekit import LiveKitConfig, config_from
from domain.policies import (
    CapacityPolicy,
    HoldPolicy,
    HostEligibility,
    Policies,
    PricePolicy,
    SchedulePolicy,
)


def build_policies(settings: Settings) -> Policies:
    return Policies(
        eligibility=HostEligibility(min_followers=settings.min_followers),
        price=PricePolicy(min_major=settings.price_min_major, max_major=settings.price_max_major),
        capacity=CapacityPolicy(maximum=settings.max_capacity),
        schedule=SchedulePolicy(max_ahead=timedelta(days=settings.max_schedule_days)),
        holds=HoldPolicy(hold=timedelta(seconds=settings.hold_seconds)),
    )


def build_gateway(settings: Settings, clock: Clock) -> PaymentGateway:
    if settings.stripe_secret_key:
        from payouts.stripe_gateway import StripeGateway

        return StripeGateway(settings.stripe_secret_key, api_base=settings.stripe_api_base)
    from payouts.sandbox_gateway import SandboxGateway

    return SandboxGateway(clock)


@dataclass
class Services:
    settings: Settings
    clock: Clock
    gateway: PaymentGateway
    app: BoxOffice
    livekit: LiveKitConfig | None = None  # None: LiveKit is off (settings incomplete)
    reactors: Any = None  # integrations.reactors.Reactors, set with the read side
    extras: dict[str, object] = field(default_factory=dict)

    def close(self) -> None:
        self.app.close()


def build_services(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    gateway: PaymentGateway | None = None,
) -> Services:
    settings = settings or Settings()
    clock = clock or SystemClock()
    gateway = gateway or build_gateway(settings, clock)
    app = BoxOffice(
        env=eventsourcing_env(settings.database_url, settings.db_pool_size),
        gateway=gateway,
        clock=clock,
        policies=build_policies(settings),
    )
    return Services(settings=settings, clock=clock, gateway=gateway, app=app, livekit=config_from(settings))
