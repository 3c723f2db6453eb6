"""A guard for tests that must do no I/O (tests/unit): sockets, SQLite files, PostgreSQL, alembic.

An audit hook (PEP 578) sees every socket connect/bind and sqlite3.connect of
the process, whoever calls it and however it was imported; psycopg (libpq
opens its sockets in C) and alembic's migrations are refused by patches the
fixture puts in place (tests/unit/conftest.py, `no_io`). The hook acts only
while a unit test runs, refuses the call, and remembers it, so a test whose
code swallows the error still fails.
"""

from __future__ import annotations

import sys
from typing import Any


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


def _in_memory(database: object) -> bool:
    name = database.decode() if isinstance(database, bytes) else str(database)
    return name == ":memory:" or (name.startswith("file:") and "mode=memory" in name) or name.startswith("file::memory:")


IO_GUARD = IOGuard()
sys.addaudithook(IO_GUARD.audit)  # audit hooks cannot be removed; the guard acts only while `active`
