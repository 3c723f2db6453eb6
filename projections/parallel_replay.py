"""Rebuild several projections at once, each replaying the log in its own process.

A rebuild of the catalog and the ledger in one pass runs on one core; the
projections share nothing while they replay (each writes its own fresh
tables), so on PostgreSQL each replays in a process of its own and the
projector then swaps them all in, in one transaction (projections/rebuild.py).

Each process builds its own projector with `factory`, a picklable callable
returning a context manager that yields a `Projector` and closes what it opened
on exit (the composition root gives `api.bootstrap.replay_projector`); this
module knows nothing of how a projector is wired.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from projections.projector import Projector

ProjectorFactory = Callable[[], AbstractContextManager["Projector"]]


def replay_in_processes(factory: ProjectorFactory, names: Sequence[str], suffix: str,
                        batch_size: int) -> dict[str, int]:
    """Replay each projection into its `suffix` tables in a spawned process; their last positions."""
    context = multiprocessing.get_context("spawn")  # no inherited connections or threads
    with ProcessPoolExecutor(max_workers=len(names), mp_context=context) as pool:
        futures = {name: pool.submit(_replay, factory, name, suffix, batch_size) for name in names}
        return {name: future.result() for name, future in futures.items()}


def _replay(factory: ProjectorFactory, name: str, suffix: str, batch_size: int) -> int:
    with factory() as projector:
        # This process lives for one replay: what exists now (modules, settings, pools) is
        # never garbage, so the collector need not walk it again (batches.collector_paused).
        gc.freeze()
        return projector.replay([name], suffix, batch_size)
