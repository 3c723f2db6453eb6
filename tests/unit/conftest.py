"""Unit tests: no I/O. The domain runs on the in-memory store (store/memory.py), and a guard fails
any test here that opens a socket, an SQLite file or a PostgreSQL connection, or runs alembic.

`box` is the application on the in-memory store with a frozen clock (`clock`,
from tests/conftest.py) and the sandbox gateway (paid at once); `pending_box`
has the fake gateway whose payments wait for the test (tests/support/fakes.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from domain.application import BoxOffice
from domain.clock import FrozenClock
from domain.payments import PaymentGateway
from payouts.sandbox_gateway import SandboxGateway
from store.memory import memory_env
from tests.support.fakes import PendingGateway
from tests.support.no_io import no_io  # noqa: F401 - the autouse guard fixture


BoxFactory = Callable[..., BoxOffice]


@pytest.fixture
def make_box(clock: FrozenClock) -> Iterator[BoxFactory]:
    made: list[BoxOffice] = []

    def factory(gateway: PaymentGateway | None = None, **kw: Any) -> BoxOffice:
        app = BoxOffice(env=memory_env(), gateway=gateway or SandboxGateway(clock), clock=clock, **kw)
        made.append(app)
        return app

    yield factory
    for app in made:
        app.close()


@pytest.fixture
def box(make_box: BoxFactory) -> BoxOffice:
    return make_box()


@pytest.fixture
def gateway(clock: FrozenClock) -> PendingGateway:
    return PendingGateway(clock)


@pytest.fixture
def pending_box(make_box: BoxFactory, gateway: PendingGateway) -> BoxOffice:
    return make_box(gateway)

