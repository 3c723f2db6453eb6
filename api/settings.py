"""Every setting, read in one place from `BOXOFFICE_*` environment variables.

Built by the composition root (never at import). The validator refuses unsafe
defaults outside development: a production service with the development JWT
secret would accept anybody's tokens.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from store.env import DEFAULT_DATABASE_URL

DEV_SECRET = "boxoffice-development-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOXOFFICE_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    db_pool_size: int = Field(default=10, ge=1)

    # Authentication of API callers (JWT with `sub` and `roles`).
    auth_secret: str = DEV_SECRET
    auth_public_key: str | None = None  # PEM; switches verification to RS256/ES256/EdDSA
    auth_jwks_url: str | None = None
    auth_issuer: str | None = None
    auth_audience: str | None = None

    # Business policies.
    min_followers: int = Field(default=600, ge=0)
    price_min_major: int = Field(default=1, ge=0)
    price_max_major: int = Field(default=999, ge=1)
    max_capacity: int = Field(default=100_000, ge=1)
    hold_seconds: int = Field(default=900, ge=1)
    max_schedule_days: int = Field(default=14, ge=0)

    # Payments.
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None  # a local stand-in in tests
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
    admission_poll_seconds: float = Field(default=0.05, gt=0, le=5)  # the admission index's staleness bound
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

    @model_validator(mode="after")
    def _enforce_non_default_secrets(self) -> Settings:
        if self.environment == "production":
            if self.auth_secret == DEV_SECRET and not (self.auth_public_key or self.auth_jwks_url):
                raise ValueError("BOXOFFICE_AUTH_SECRET must be set in production")
            if self.stripe_secret_key and not self.stripe_webhook_secret:
                raise ValueError("BOXOFFICE_STRIPE_WEBHOOK_SECRET must be set with a Stripe key")
        if any((self.livekit_url, self.livekit_api_key, self.livekit_api_secret)) and not all(
                (self.livekit_url, self.livekit_api_key, self.livekit_api_secret)):
            raise ValueError("BOXOFFICE_LIVEKIT_URL, _API_KEY and _API_SECRET go together")
        self.retry_schedule  # noqa: B018 - refuses a malformed BOXOFFICE_WEBHOOK_RETRY_SCHEDULE at start
        if self.price_min_major > self.price_max_major:
            raise ValueError("BOXOFFICE_PRICE_MIN_MAJOR exceeds BOXOFFICE_PRICE_MAX_MAJOR")
        return self

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
