"""Fixtures for the integrations: the LiveKit stand-in and a service wired to it.

The reactors run as a worker would (`BOXOFFICE_REACTORS=worker`): the test drives
`services.reactors.run_once()` itself, so every call it counts is one it caused.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import Services
from api.main import create_app
from tests.livekit_standin import LiveKitStandIn


@pytest.fixture
def livekit() -> Iterator[LiveKitStandIn]:
    with LiveKitStandIn() as standin:
        yield standin


def livekit_settings(standin: LiveKitStandIn) -> dict[str, object]:
    return {"livekit_url": standin.url, "livekit_api_key": standin.state.api_key,
            "livekit_api_secret": standin.state.api_secret, "reactors": "worker"}


@pytest.fixture
def lk_services(make_services, sqlite_url: str, livekit: LiveKitStandIn) -> Services:
    return make_services(sqlite_url, **livekit_settings(livekit))


@pytest.fixture
def lk_client(lk_services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(lk_services), raise_server_exceptions=False) as http:
        yield http
