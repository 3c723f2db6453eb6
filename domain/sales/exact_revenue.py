"""Batches that accrue revenue run again after their creators' revenue slices are folded back.

A room may sell within its slice of its creator's headroom below the commission
threshold without touching the creator's row (domain/guards.py, `plan_revenue`;
store/revenue_guards_sql.py says why the split stays exact). A sale that may
cross the threshold needs the creator's exact lifetime revenue: the guards then
raise `ExactRevenueNeeded` and write nothing. `exact_revenue` wraps a batch: it
folds those creators' slices back into their rows in a transaction of its own,
and runs the whole batch again (its aggregates are loaded afresh, so nothing of
the failed run leaks into the next). Imports only the domain.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from domain.guards import ExactRevenueNeeded, WriteGuards

ATTEMPTS = 5  # Assumption: a fold rarely races a new grant; each attempt folds whatever slice it finds.
I = TypeVar("I")  # noqa: E741


def fold_revenue_slices(app: Any, keys: Iterable[tuple[str, str]]) -> None:
    """Fold every revenue slice of these (creator, currency) back into the creator's row.

    `app`: the sales commands whose batch needs it (anything with a unit of work, `uow`)."""
    keys = sorted(set(keys))

    def fold(guards: WriteGuards) -> tuple[bool, list[Any]]:
        return guards.fold_revenue_slices(keys), []

    for _ in range(ATTEMPTS):
        if app.uow.transact(fold)[0]:
            return


def exact_revenue(batch: Callable[..., list[object]]) -> Callable[..., list[object]]:
    """Run `batch(app, items, ...)`; on ExactRevenueNeeded fold the creators' slices and run it again."""

    @functools.wraps(batch)
    def run(app: Any, items: Sequence[I], *args: Any) -> list[object]:
        for _ in range(ATTEMPTS):
            try:
                return batch(app, items, *args)
            except ExactRevenueNeeded as exc:
                fold_revenue_slices(app, exc.keys)
        return batch(app, items, *args)  # Safeguard: should never be needed; raises if it still is

    return run
