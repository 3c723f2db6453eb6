"""Every guard store implements the whole port: a method added to domain/guards.py without its
in-memory twin (or its SQL one) fails here at once, before any contract test runs.
"""

from __future__ import annotations

import inspect

import pytest

from domain.guards import GuardedRecorder, GuardReads, WriteGuards
from store.guard_reads import SqlGuardReads
from store.guards_sql import SqlGuards
from store.memory import GuardedMemoryRecorder, MemoryGuards
from store.memory_tables import MemoryGuardReads
from store.recorders import GuardedPostgresRecorder, GuardedSQLiteRecorder


def methods(protocol: type) -> set[str]:
    return {name for name, member in vars(protocol).items() if inspect.isfunction(member) and not name.startswith("_")}


@pytest.mark.parametrize(("port", "store"), [
    (WriteGuards, MemoryGuards), (WriteGuards, SqlGuards),
    (GuardReads, MemoryGuardReads), (GuardReads, SqlGuardReads),
    (GuardedRecorder, GuardedMemoryRecorder), (GuardedRecorder, GuardedSQLiteRecorder),
    (GuardedRecorder, GuardedPostgresRecorder),
])
def test_every_guard_store_has_every_method_of_the_port_with_its_parameters(port: type, store: type) -> None:
    for name in sorted(methods(port)):
        assert hasattr(store, name), f"{store.__name__} lacks {port.__name__}.{name}"
        wanted = list(inspect.signature(getattr(port, name)).parameters)
        assert list(inspect.signature(getattr(store, name)).parameters) == wanted, f"{store.__name__}.{name}"
