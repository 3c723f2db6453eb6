"""Garbage-collector settings for the long-running processes (API workers, the projector worker).

A sale allocates many short-lived containers (events, tickets, request scopes); CPython
starts a young-generation collection every 700 of them, and each one also walks the
objects that survived it. Measured in process (bench/purchase_cpu.py, 4,000 purchases):
90 young and 8 middle collections took about 22 µs of CPU per purchase; with the
process's start-up objects frozen (`gc.freeze`: the app, the services, the admission
index loaded from its snapshot) and a young threshold of 50,000, 4 µs.

Reference counting still frees everything that is not a cycle at once; only cyclic
garbage waits longer, for at most 50,000 allocations. Tests never call this: frozen
objects are never collected, and a test run builds many apps.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000
MIDDLE_THRESHOLD = 20
OLD_THRESHOLD = 50


def tune_gc() -> None:
    """Once the process holds its long-lived objects: freeze them and collect young objects less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
