"""A guard for tests that must do no I/O (tests/unit, tests/properties): sockets, SQLite files, PostgreSQL, alembic.

An audit hook (PEP 578) sees every socket connect/bind and sqlite3.connect of
the process, whoever calls it and however it was imported; psycopg (libpq
opens its sockets in C) and alembic (importing it, or running its migrations
if it was loaded already) are refused by the hook and by patches the
fixture `no_io` puts in place (autouse in tests/unit and tests/properties). The hook acts only
while a unit test runs, refuses the call, and remembers it, so a test whose
code swallows the error still fails.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest


class IOInUnitTestError(RuntimeError):
    """A unit test reached for I/O: it belongs in tests/integration (or the code under test does I/O)."""


class IOGuard:
    """What the current unit test tried; an audit hook (sockets, sqlite3) and two patches feed it."""

    def __init__(self) -> None:
        self.active = False
        self.attempts: list[str] = []

    def refuse(self, what: str) -> None:
        self.attempts.append(what)
        raise IOInUnitTestError(f"unit tests do no I/O: {what}")

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.active:
            return
        if event in ("socket.connect", "socket.bind"):
            self.refuse(f"{event} {args[1:]!r}")
        elif event == "sqlite3.connect" and not _in_memory(args[0]):
            self.refuse(f"sqlite3.connect({args[0]!r})")
        elif event == "import" and str(args[0]).partition(".")[0] == "alembic":
            self.refuse(f"import {args[0]}")  # only a module not loaded yet raises this event


def _in_memory(database: object) -> bool:
    name = database.decode() if isinstance(database, bytes) else str(database)
    return name == ":memory:" or (name.startswith("file:") and "mode=memory" in name) or name.startswith("file::memory:")


IO_GUARD = IOGuard()
sys.addaudithook(IO_GUARD.audit)  # audit hooks cannot be removed; the guard acts only while `active`


@pytest.fixture(autouse=True)
def no_io(monkeypatch: pytest.MonkeyPatch) -> Iterator[IOGuard]:
    """Fails the test if it tried I/O, even if the code under test caught the error."""
    import psycopg

    alembic = sys.modules.get("alembic.runtime.environment")
    if alembic is not None:  # loaded (by collection, or an earlier test): refuse to run it
        monkeypatch.setattr(alembic.EnvironmentContext, "run_migrations",
                            lambda *a, **k: IO_GUARD.refuse("alembic migrations"))
    # else the audit hook refuses importing alembic while the test runs (and nobody pays for loading it)
    monkeypatch.setattr(psycopg.Connection, "connect",  # libpq opens its sockets in C: no audit event
                        classmethod(lambda cls, *a, **k: IO_GUARD.refuse(f"psycopg.connect{a!r}")))
    monkeypatch.setattr(psycopg, "connect", lambda *a, **k: IO_GUARD.refuse(f"psycopg.connect{a!r}"))
    IO_GUARD.attempts.clear()
    IO_GUARD.active = True
    try:
        yield IO_GUARD
    finally:
        IO_GUARD.active = False
    if IO_GUARD.attempts:
        pytest.fail(f"unit tests do no I/O; this one tried: {IO_GUARD.attempts}")
