"""One holder at a time, across threads, processes and machines: a named database lock.

Payout runs take turns under it (see payouts/runs.py, "the payout guard").
PostgreSQL: a session advisory lock (`pg_advisory_lock`) on a connection of
its own, so the lock lives exactly as long as that session: a holder that
dies, however it dies, drops its connection and with it the lock, and no row
or lease is left behind to clean up. SQLite keeps its whole database on one
machine, so an exclusive `flock` on a file beside the database is the same
promise there (the kernel drops it when the holder's process ends).

Safeguard: a wait is bounded (`timeout`); a holder that never finishes makes
the next caller fail loudly with `LockTimeout` instead of queueing forever.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from store.env import sqlalchemy_url, sqlite_path

POLL_SECONDS = 0.05  # SQLite: how often a waiter tries the file lock again


class LockTimeout(Exception):
    """Another holder kept the lock for longer than the caller would wait."""


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (advisory locks are keyed by bigint)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class DatabaseLock:
    """`with lock.held(timeout):` runs its body while no other holder of this name does."""

    def __init__(self, database_url: str, name: str) -> None:
        self.name = name
        self._url = database_url
        self._sqlite = database_url.startswith("sqlite:///")

    @contextmanager
    def held(self, timeout: float) -> Iterator[None]:
        with (self._file_lock(timeout) if self._sqlite else self._advisory_lock(timeout)):
            yield

    @contextmanager
    def _advisory_lock(self, timeout: float) -> Iterator[None]:
        import psycopg
        from psycopg import errors

        conninfo = sqlalchemy_url(self._url).replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(conninfo, autocommit=True) as conn:
            # lock_timeout bounds the wait for an advisory lock like any heavyweight lock.
            conn.execute("SELECT set_config('lock_timeout', %s, false)", (f"{max(int(timeout * 1000), 1)}ms",))
            try:
                conn.execute("SELECT pg_advisory_lock(%s)", (lock_key(self.name),))
            except errors.LockNotAvailable:
                raise LockTimeout(f"{self.name}: still held by another session after {timeout:g} s") from None
            try:
                yield
            finally:
                # Closing the session below releases the lock too; unlocking first is only tidy.
                with suppress(psycopg.Error):  # a lost session has dropped the lock already
                    conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key(self.name),))

    @contextmanager
    def _file_lock(self, timeout: float) -> Iterator[None]:
        path = f"{os.path.abspath(sqlite_path(self._url))}.{self.name}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LockTimeout(f"{self.name}: still held by another process after {timeout:g} s") from None
                    time.sleep(POLL_SECONDS)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
