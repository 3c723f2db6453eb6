"""Every setting, read in one place from `BOXOFFICE_*` environment variables.

Built by the composition root (never at import). The validator refuses unsafe
settings in production, each with one line naming the setting
(`load_settings` prints it on stderr and exits non-zero):
- the development JWT secret, a secret under 32 bytes, or one shaped like a
  public key (PEM, SSH, JWK: key confusion would let anyone holding the
  identity provider's public key sign tokens);
- no Stripe key, unless the sandbox is chosen explicitly
  (`BOXOFFICE_PAYMENT_GATEWAY=sandbox`; every response then says so in a header);
- no key-encryption key for the admission signing keys at rest;
- host eligibility taken from the creator's own request body.
"""

from __future__ import annotations

import sys
from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.key_encryption import DEV_KEY_ENCRYPTION_KEY, parse_keys
from store.env import DEFAULT_DATABASE_URL

DEV_SECRET = "boxoffice-development-secret-change-me"
MIN_SECRET_BYTES = 32  # RFC 7518 3.2: an HS256 key at least as long as the hash


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOXOFFICE_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    db_pool_size: int = Field(default=10, ge=1)
    db_connect_timeout_seconds: int = Field(default=5, ge=1)  # longer without a connection: 503 + Retry-After

    # Authentication of API callers (JWT with `sub` and `roles`).
    auth_secret: str = DEV_SECRET
    auth_public_key: str | None = None  # PEM; switches verification to RS256/ES256/EdDSA
    auth_jwks_url: str | None = None
    auth_issuer: str | None = None
    auth_audience: str | None = None

    # Business policies.
    min_followers: int = Field(default=600, ge=0)  # to host
    # Where eligibility facts come from: `trusted` (signed token claims, attestations) or also
    # `self_declared` (the creator's own body: development only). Default: trusted in production.
    eligibility_source: Literal["trusted", "self_declared"] | None = None
    min_followers_to_sell: int | None = Field(default=None, ge=0)
    require_age_verified: bool = False  # 18+, verified by the identity provider or an attestation
    min_rooms_hosted_30d: int = Field(default=0, ge=0)
    price_min_major: int = Field(default=1, ge=0)
    price_max_major: int = Field(default=999, ge=1)
    max_capacity: int = Field(default=100_000, ge=1)
    hold_seconds: int = Field(default=900, ge=1)
    max_schedule_days: int = Field(default=14, ge=0)
    reschedule_refund_hours: float = Field(default=48, ge=0)  # holders' self-refund window after a move
    code_use_back_on_refund: bool = False  # a paid-then-refunded ticket's code use stays spent unless true
    max_transfers: int = Field(default=1, ge=0, le=100)  # times a paid ticket may be given away (0: never)
    waitlist_offer_minutes: float = Field(default=15, gt=0, le=7 * 24 * 60)  # how long an offer holds a seat

    # Payments. The gateway: `stripe` with a key; `sandbox` (no money moves) by default in
    # development, and in production only when chosen explicitly.
    payment_gateway: Literal["stripe", "sandbox"] | None = None
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None  # a local stand-in in tests
    # Stripe calls per second for ALL processes together (payouts/pacing.py); 0: unpaced. Live allows ~100.
    stripe_ops_per_second: float = Field(default=80, ge=0)
    stripe_pacer_workers: int = Field(default=4, ge=1, le=64)  # threads per process creating queued payments
    stripe_max_network_retries: int = Field(default=3, ge=0, le=5)  # the SDK's retries (5xx, 409, 429, network)
    public_base_url: str = "http://127.0.0.1:8000"

    # Payouts.
    refund_window_days: float = Field(default=7, ge=0)  # earnings wait this long after a room ends
    payout_minimum_major: int = Field(default=50, ge=0)  # less rolls over to the next run
    payout_schedule: Literal["monthly", "weekly", "daily"] = "monthly"  # one payout per creator and period
    payout_workers: int = Field(default=8, ge=1, le=64)  # transfers sent in parallel

    # Background work in the API process.
    sweep_interval_seconds: float = Field(default=5.0, gt=0)
    projector: Literal["inline", "worker"] = "inline"  # worker: `boxoffice project run` does it
    read_your_writes_timeout: float = Field(default=5.0, ge=0)
    # A projection failing this many times in a row at one position is stuck: /readyz answers 503 naming it.
    projection_stuck_after_failures: int = Field(default=3, ge=1)
    # /readyz answers 503 when a projection is more than this many events behind the log head; 0: no bound.
    readyz_max_projection_lag: int = Field(default=0, ge=0)
    admission_poll_seconds: float = Field(default=0.05, gt=0, le=5)  # the admission index's staleness bound
    # A room a plain purchase found sold out refuses the next plain purchases without a claim for at most
    # this long; events that may free a seat end it sooner (domain/sales/sold_out.py). 0: every purchase claims.
    sold_out_mark_seconds: float = Field(default=10.0, ge=0, le=300)
    # Under load, how long a purchase batch waits for more purchases to join it before its transaction
    # (domain/sales/group_commit.py): fewer, bigger transactions, at a few milliseconds of latency. 0: never.
    group_commit_gather_ms: float = Field(default=4.0, ge=0, le=50)
    log_level: str = "INFO"

    # Integrations (integrations/): LiveKit, off unless all three are set; outbound webhooks.
    livekit_url: str | None = None
    livekit_api_key: str | None = None
    livekit_api_secret: str | None = None
    livekit_token_ttl_seconds: int = Field(default=600, ge=10, le=600)  # join tokens live at most 10 minutes
    reactors: Literal["inline", "worker"] = "inline"  # worker: `boxoffice reactors run` does it
    reactor_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    webhook_retry_schedule: str = "5,300,1800,7200,18000,36000,36000"  # seconds before each retry
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_disable_after_days: float = Field(default=5, gt=0)  # an endpoint failing this long is disabled
    # Consoles and operations.
    session_secret: str | None = None  # signs console session cookies; derived from the auth secret when unset
    metrics_token: str | None = None  # bearer token for GET /metrics; unset: loopback callers only, none in production
    metrics_top_rooms: int = Field(default=20, ge=0, le=1000)  # seats-sold series kept for the N best-selling rooms

    # Admission signing keys at rest: Fernet key(s), comma-separated, the current first
    # (api/key_encryption.py). Required in production; development uses a labelled public default.
    key_encryption_key: str | None = None

    # Request limits (api/limits.py).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)  # a larger body is a 413 problem

    @model_validator(mode="after")
    def _enforce_non_default_secrets(self) -> Settings:
        if self.key_encryption_key is not None:
            try:
                parse_keys(self.key_encryption_key)
            except ValueError as exc:
                raise ValueError(f"BOXOFFICE_KEY_ENCRYPTION_KEY: {exc}") from None
        if self.payment_gateway == "stripe" and not self.stripe_secret_key:
            raise ValueError("BOXOFFICE_PAYMENT_GATEWAY=stripe needs BOXOFFICE_STRIPE_SECRET_KEY")
        if self.environment == "production":
            if not (self.auth_public_key or self.auth_jwks_url):
                self._check_production_secret()
            if self.eligibility_source == "self_declared":
                raise ValueError("BOXOFFICE_ELIGIBILITY_SOURCE=self_declared is for development only: in production "
                                 "eligibility comes from signed token claims or attestations (trusted)")
            if self.key_encryption_key is None:
                raise ValueError("BOXOFFICE_KEY_ENCRYPTION_KEY must be set in production (it seals the admission "
                                 "signing keys at rest; make one with `boxoffice keys new-kek`)")
            if not self.stripe_secret_key and self.payment_gateway != "sandbox":
                raise ValueError("BOXOFFICE_STRIPE_SECRET_KEY must be set in production "
                                 "(or BOXOFFICE_PAYMENT_GATEWAY=sandbox, explicitly: no money moves)")
            if self.stripe_secret_key and self.payment_gateway != "sandbox" and not self.stripe_webhook_secret:
                raise ValueError("BOXOFFICE_STRIPE_WEBHOOK_SECRET must be set with a Stripe key")
        if any((self.livekit_url, self.livekit_api_key, self.livekit_api_secret)) and not all(
                (self.livekit_url, self.livekit_api_key, self.livekit_api_secret)):
            raise ValueError("BOXOFFICE_LIVEKIT_URL, _API_KEY and _API_SECRET go together")
        self.retry_schedule  # noqa: B018 - refuses a malformed BOXOFFICE_WEBHOOK_RETRY_SCHEDULE at start
        if self.price_min_major > self.price_max_major:
            raise ValueError("BOXOFFICE_PRICE_MIN_MAJOR exceeds BOXOFFICE_PRICE_MAX_MAJOR")
        return self

    def _check_production_secret(self) -> None:
        from api.hs256 import pyjwt_accepts_key

        secret = self.auth_secret
        if secret == DEV_SECRET:
            raise ValueError("BOXOFFICE_AUTH_SECRET must be set in production (it is the development secret)")
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"BOXOFFICE_AUTH_SECRET must be at least {MIN_SECRET_BYTES} bytes in production "
                             f"(it has {len(secret.encode())})")
        if not pyjwt_accepts_key(secret) or secret.lstrip().startswith(("-----BEGIN", "ssh-", "ecdsa-")):
            raise ValueError("BOXOFFICE_AUTH_SECRET is shaped like a public key (PEM, SSH or JWK); an HMAC secret "
                             "must be private (use BOXOFFICE_AUTH_PUBLIC_KEY for a public key)")

    @property
    def trust_self_declared(self) -> bool:
        """Whether a creator's own follower count counts (development and tests by default)."""
        if self.eligibility_source is None:
            return self.environment != "production"
        return self.eligibility_source == "self_declared"

    @property
    def key_encryption_keys(self) -> list[str]:
        """The key-encryption keys, current first; the labelled development key when unset."""
        if self.key_encryption_key is None:
            return [DEV_KEY_ENCRYPTION_KEY]
        return parse_keys(self.key_encryption_key)

    @property
    def gateway_name(self) -> Literal["stripe", "sandbox"]:
        """The payment gateway this service runs on."""
        if self.payment_gateway is not None:
            return self.payment_gateway
        return "stripe" if self.stripe_secret_key else "sandbox"

    @property
    def livekit_enabled(self) -> bool:
        return bool(self.livekit_url and self.livekit_api_key and self.livekit_api_secret)

    @property
    def retry_schedule(self) -> list[float]:
        """BOXOFFICE_WEBHOOK_RETRY_SCHEDULE as seconds; each entry is one more try."""
        try:
            delays = [float(part) for part in self.webhook_retry_schedule.split(",") if part.strip()]
        except ValueError:
            raise ValueError("BOXOFFICE_WEBHOOK_RETRY_SCHEDULE: comma-separated seconds, e.g. 5,300,1800") from None
        if any(d < 0 for d in delays):
            raise ValueError("BOXOFFICE_WEBHOOK_RETRY_SCHEDULE: seconds must not be negative")
        return delays

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


def refusal(error: ValidationError) -> str:
    """One line naming what is wrong with the settings."""
    reasons = []
    for e in error.errors():
        message = str(e.get("msg", "")).removeprefix("Value error, ")
        field = ".".join(str(part) for part in e.get("loc", ()))
        reasons.append(f"BOXOFFICE_{field.upper()}: {message}" if field else message)
    return "boxoffice refuses to start: " + "; ".join(reasons)


def load_settings() -> Settings:
    """The settings, or one clear line on stderr and exit status 2 when they are unsafe or invalid."""
    try:
        return Settings()
    except ValidationError as exc:
        print(refusal(exc), file=sys.stderr, flush=True)
        raise SystemExit(2) from None
