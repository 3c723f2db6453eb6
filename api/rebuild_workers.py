"""Rebuild several projections at once, each replaying the log in its own process.

A rebuild of the catalog and the ledger in one pass runs on one core; the
projections share nothing while they replay (each writes its own fresh
tables), so on PostgreSQL each replays in a process of its own and the
projector then swaps them all in, in one transaction (projections/projector.py).
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor


def replay_in_processes(database_url: str, names: Sequence[str], suffix: str, batch_size: int) -> dict[str, int]:
    """Replay each projection into its `suffix` tables in a spawned process; their last positions."""
    context = multiprocessing.get_context("spawn")  # no inherited connections or threads
    with ProcessPoolExecutor(max_workers=len(names), mp_context=context) as pool:
        futures = {name: pool.submit(_replay, database_url, name, suffix, batch_size) for name in names}
        return {name: future.result() for name, future in futures.items()}


def _replay(database_url: str, name: str, suffix: str, batch_size: int) -> int:
    from api.bootstrap import build_services
    from api.main import attach_read_side
    from api.settings import Settings

    services = build_services(Settings(database_url=database_url))
    attach_read_side(services)
    # This process lives for one replay: what exists now (modules, settings, pools) is
    # never garbage, so the collector need not walk it again (projector.collector_paused).
    gc.freeze()
    try:
        return services.extras["projector"].replay([name], suffix, batch_size)  # type: ignore[attr-defined]
    finally:
        services.extras["db"].close()  # type: ignore[attr-defined]
        services.close()
