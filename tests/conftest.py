"""Shared fixtures: a fresh store per test, a frozen clock, HTTP clients, throw-away PostgreSQL.

PostgreSQL tests read the server from BOXOFFICE_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/postgres), create their own database and
drop it. Outside CI an unreachable server skips them; with CI=true it fails.

The application's heavy modules (FastAPI, alembic, the composition root) are
imported inside the fixtures that need them, not here: tests/unit imports this
module too, and must start in well under a second.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from domain.clock import FrozenClock

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from api.bootstrap import Services
    from api.settings import Settings
    from domain.payments import PaymentGateway

POSTGRES_ADMIN_URL = os.environ.get("BOXOFFICE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "test-secret-0123456789abcdef0123456789"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 18, 0, tzinfo=UTC))


def make_settings(database_url: str, **overrides: object) -> Settings:
    from api.settings import Settings

    settings = {"environment": "test", "log_level": "WARNING", "sweep_interval_seconds": 3600, **overrides}
    return Settings(database_url=database_url, auth_secret=SECRET, **settings)  # type: ignore[arg-type]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    from migrations.runner import upgrade

    url = f"sqlite:///{tmp_path / 'boxoffice.db'}"
    upgrade(url)
    return url


ServicesFactory = Callable[..., "Services"]


@pytest.fixture
def make_services(clock: FrozenClock) -> Iterator[ServicesFactory]:
    from api.bootstrap import build_services

    made: list[Services] = []

    def factory(database_url: str, gateway: PaymentGateway | None = None, **overrides: object) -> Services:
        services = build_services(make_settings(database_url, **overrides), clock=clock, gateway=gateway)
        made.append(services)
        return services

    yield factory
    for services in made:
        services.close()


@pytest.fixture
def services(make_services: ServicesFactory, sqlite_url: str) -> Services:
    return make_services(sqlite_url)


@pytest.fixture
def box(services: Services):  # noqa: ANN201 - the BoxOffice application
    return services.app


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    from fastapi.testclient import TestClient

    from api.main import create_app

    with TestClient(create_app(services), raise_server_exceptions=False) as http:
        yield http


def bearer(sub: str, *roles: str, secret: str = SECRET) -> dict[str, str]:
    from api.auth import issue_token

    return {"Authorization": f"Bearer {issue_token(secret, sub, list(roles))}"}


# --- PostgreSQL --------------------------------------------------------------------


def _pg_reachable() -> str | None:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except psycopg.Error as exc:
        return str(exc)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    problem = _pg_reachable()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable in CI: {problem}")
        pytest.skip(f"PostgreSQL unreachable ({problem}); set BOXOFFICE_TEST_POSTGRES_URL")
    return POSTGRES_ADMIN_URL


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A migrated throw-away database, dropped afterwards."""
    import psycopg
    from psycopg import sql

    name = f"boxoffice_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = postgres_admin_url.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    from migrations.runner import upgrade

    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
