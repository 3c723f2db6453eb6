"""The composition root: the one place that builds and wires everything.

Settings, the event store, the payment gateway, policies, the application, the
read tables and the projector, payout runs, the Stripe event handler, the
admission index and its tail, the signing keys, the reactors (LiveKit, outbound webhooks): each is a typed field of
`Services`, built by `build_services` and nothing else, never at import time.
Every entry point calls it: the FastAPI lifespan (api/main.py), the CLI, the
parallel replay workers, the benchmarks and the tests (with a frozen clock or
a fake gateway).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from api.admission.keystore import KeyStore
from api.key_encryption import KeyEncryption
from api.admission.tokens import AdmissionTokenIssuer
from api.settings import Settings
from domain.application import BoxOffice
from domain.clock import Clock, SystemClock
from domain.payments import PaymentGateway
from domain.policies import (
    CapacityPolicy,
    CodePolicy,
    HoldPolicy,
    HostEligibility,
    Policies,
    PricePolicy,
    ReschedulePolicy,
    SchedulePolicy,
)
from integrations.livekit import LiveKitConfig, RoomServiceClient, config_from
from integrations.livekit_reactor import LiveKitReactor
from integrations.reactors import Reactors
from api.metrics import WEBHOOK_DELIVERIES
from integrations.webhook_dispatcher import WebhookDispatcher
from payouts.pacing import BUCKET, PacedGateway, Pacer
from payouts.runs import PayoutPolicy, PayoutRunner
from payouts.stripe_events import StripeEvents
from projections.admission_index import AdmissionIndex
from projections.admission_tail import AdmissionTail
from projections.attendance import AttendanceProjection
from projections.catalog import CatalogProjection
from projections.waitlist import WaitlistProjection
from projections.ledger import LedgerProjection
from projections.parallel_replay import replay_in_processes
from projections.payouts import PayoutsProjection
from projections.projector import Projector
from projections.webhook_endpoints import WebhookEndpointsProjection
from store.db import Database
from store.pacing_sql import PaymentQueue, RateBucket
from store.env import eventsourcing_env


def build_policies(settings: Settings) -> Policies:
    return Policies(
        eligibility=HostEligibility(min_followers=settings.min_followers,
                                    min_followers_to_sell=settings.min_followers_to_sell,
                                    require_age_verified=settings.require_age_verified,
                                    min_rooms_hosted_30d=settings.min_rooms_hosted_30d,
                                    trust_self_declared=settings.trust_self_declared),
        price=PricePolicy(min_major=settings.price_min_major, max_major=settings.price_max_major),
        capacity=CapacityPolicy(maximum=settings.max_capacity),
        schedule=SchedulePolicy(max_ahead=timedelta(days=settings.max_schedule_days)),
        holds=HoldPolicy(hold=timedelta(seconds=settings.hold_seconds)),
        codes=CodePolicy(use_back_on_refund=settings.code_use_back_on_refund),
        max_transfers=settings.max_transfers,
        waitlist_offer=timedelta(minutes=settings.waitlist_offer_minutes),
        reschedule=ReschedulePolicy(refund_window=timedelta(hours=settings.reschedule_refund_hours)),
    )


def build_gateway(settings: Settings, clock: Clock) -> PaymentGateway:
    if settings.gateway_name == "stripe":
        assert settings.stripe_secret_key  # Settings refuses stripe without a key
        from payouts.stripe_gateway import StripeGateway

        return StripeGateway(settings.stripe_secret_key, api_base=settings.stripe_api_base,
                             max_network_retries=settings.stripe_max_network_retries)
    from payouts.sandbox_gateway import SandboxGateway

    return SandboxGateway(clock)


def build_payout_policy(settings: Settings) -> PayoutPolicy:
    return PayoutPolicy(refund_window=timedelta(days=settings.refund_window_days),
                        minimum_major=settings.payout_minimum_major, schedule=settings.payout_schedule)


@dataclass
class Services:
    """Everything a process needs, built once by `build_services`."""

    settings: Settings
    clock: Clock
    gateway: PaymentGateway
    app: BoxOffice
    db: Database  # the read tables
    projector: Projector
    payouts: PayoutRunner
    webhooks: StripeEvents  # Stripe events -> commands (payouts/stripe_events.py)
    admission_index: AdmissionIndex
    admission_tail: AdmissionTail
    keys: KeyStore
    reactors: Reactors  # follow the log and act outside (integrations/)
    livekit: LiveKitConfig | None  # None: LiveKit is off (settings incomplete)
    pacer: Pacer | None = None  # Stripe mode with BOXOFFICE_STRIPE_OPS_PER_SECOND > 0 (payouts/pacing.py)

    def token_issuer(self) -> AdmissionTokenIssuer:
        """An issuer signing with the current key (keys rotate while the service runs)."""
        return AdmissionTokenIssuer(self.keys.keyring(), self.clock)

    def close(self) -> None:
        self.db.close()
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
    db = Database(settings.database_url, settings.db_pool_size, settings.db_connect_timeout_seconds)
    paced = None
    if settings.stripe_secret_key and settings.stripe_ops_per_second > 0 and not gateway.instant:
        bucket = RateBucket(db, BUCKET, settings.stripe_ops_per_second).ensure()
        gateway = paced = PacedGateway(gateway, bucket, PaymentQueue(db))
    app = BoxOffice(
        env=eventsourcing_env(settings.database_url, settings.db_pool_size, settings.db_connect_timeout_seconds),
        gateway=gateway,
        clock=clock,
        policies=build_policies(settings),
        sold_out_mark=timedelta(seconds=settings.sold_out_mark_seconds),
        group_commit_gather=timedelta(milliseconds=settings.group_commit_gather_ms),
    )
    projector = Projector(app.recorder, app.mapper, db,
                          [CatalogProjection(), LedgerProjection(), AttendanceProjection(), PayoutsProjection(),
                           WebhookEndpointsProjection(), WaitlistProjection()],
                          clock=clock, stuck_after=settings.projection_stuck_after_failures)
    if settings.is_postgres:  # several writers at once: PostgreSQL, not one SQLite file
        projector.replayer = functools.partial(replay_in_processes,
                                               functools.partial(replay_projector, settings.database_url))
    payouts = PayoutRunner(app, db, lambda position: projector.catch_up(until=position) if position else None,
                           build_payout_policy(settings), workers=settings.payout_workers)
    webhooks = StripeEvents(app, gateway, db)
    index = AdmissionIndex()
    tail = AdmissionTail(index, app.recorder, app.mapper, db, poll_interval=settings.admission_poll_seconds,
                         sold_out=app.sold_out)
    app.sold_out.holds_live_ticket = index.holds_live_ticket  # a holder must hear `already_holds`, not sold out
    livekit = config_from(settings)
    reactors = build_reactors(settings, app, db, livekit, clock)
    app.uow.commit_listeners.append(lambda position: (projector.nudge(), tail.poke()))
    # Reactors follow the log at BOXOFFICE_REACTOR_POLL_SECONDS, not on every commit: in a flash sale
    # a wake-up per commit would read the log in every API process for little gain.
    return Services(settings=settings, clock=clock, gateway=gateway, app=app, db=db, projector=projector,
                    payouts=payouts, webhooks=webhooks, admission_index=index, admission_tail=tail,
                    keys=KeyStore(db, clock, KeyEncryption(settings.key_encryption_keys)), reactors=reactors, livekit=livekit,
                    pacer=Pacer(app, paced, workers=settings.stripe_pacer_workers, hold_seconds=settings.hold_seconds)
                    if paced else None)


def build_reactors(settings: Settings, app: BoxOffice, db: Database, livekit: LiveKitConfig | None,
                   clock: Clock) -> Reactors:
    """The processes that follow the log and act outside: LiveKit when configured, the webhook dispatcher."""
    reactor = None
    if livekit is not None:
        reactor = LiveKitReactor(app.recorder, app.mapper, db, RoomServiceClient(livekit), clock)
        reactor.start_at_head()
    webhooks = WebhookDispatcher(app, db, clock, schedule=settings.retry_schedule,
                                 timeout=settings.webhook_timeout_seconds,
                                 disable_after=timedelta(days=settings.webhook_disable_after_days),
                                 environment=settings.environment,
                                 observe=lambda outcome: WEBHOOK_DELIVERIES.labels(outcome).inc())
    return Reactors(livekit=reactor, webhooks=webhooks, poll_interval=settings.reactor_poll_seconds)


@contextmanager
def replay_projector(database_url: str) -> Iterator[Projector]:
    """The projector of a fresh process that replays one projection (projections/parallel_replay.py)."""
    services = build_services(Settings(database_url=database_url))
    try:
        yield services.projector
    finally:
        services.close()
