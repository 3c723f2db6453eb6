"""Fixtures of the integration tests: `store`, the write guards' port on every kind of store.

The guards' contract tests (test_guard_contract_*.py) take `store`: the same
tests run on the in-memory store, on SQLite (a migrated tmp file) and on
PostgreSQL (a throw-away database; with CI=true an unreachable server fails,
see tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from domain.application import BoxOffice
from store.env import MEMORY_URL, eventsourcing_env
from tests.support.guard_store import Store


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """The same guarded recorder the composition root builds for each kind of database URL."""
    url = {"memory": lambda: MEMORY_URL, "sqlite": lambda: request.getfixturevalue("sqlite_url"),
           "postgres": lambda: request.getfixturevalue("postgres_url")}[request.param]()
    factory = InfrastructureFactory.construct(Environment(BoxOffice.name, eventsourcing_env(url)))
    try:
        yield Store(factory.application_recorder())
    finally:
        factory.close()
