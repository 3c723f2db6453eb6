"""The unit tests' guard (tests/support/no_io.py) refuses I/O: it fails any test here that tries it."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import psycopg
import pytest

from tests.support.no_io import IOGuard, IOInUnitTestError


def test_the_guard_refuses_an_sqlite_file_a_socket_postgresql_and_alembic(no_io: IOGuard, tmp_path: Path) -> None:
    with pytest.raises(IOInUnitTestError):
        sqlite3.connect(tmp_path / "boxoffice.db")
    with pytest.raises(IOInUnitTestError):
        socket.create_connection(("127.0.0.1", 5432), timeout=0.1)
    with pytest.raises(IOInUnitTestError):
        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=1)
    with pytest.raises(IOInUnitTestError):
        from migrations.runner import upgrade  # refused here, or its migrations below if alembic was loaded

        upgrade(f"sqlite:///{tmp_path / 'migrated.db'}")

    refused = list(no_io.attempts)
    no_io.attempts.clear()  # each was refused, as it should be: this test passes

    assert len(refused) == 4
    assert not (tmp_path / "boxoffice.db").exists() and not (tmp_path / "migrated.db").exists()


def test_an_sqlite_database_in_memory_is_no_io(no_io: IOGuard) -> None:
    with sqlite3.connect(":memory:") as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)

    assert no_io.attempts == []
