"""Group commit: many commands, one transaction.

An event-store transaction costs roughly the same for one event as for a
hundred (PostgreSQL serialises appends behind a table lock; SQLite has one
writer). Under load, callers submit commands to a GroupCommitter; a few
flusher threads take whatever has queued while the previous transaction was
committing and record it in one transaction. With no load a batch is one
command and adds no waiting.

Under load (the flusher's last batch held more than one command), a flusher
that has a batch's first command in hand waits `gather` seconds for more to
join it before it records the batch (PostgreSQL's `commit_delay`, for a
batch). A batch's cost is mostly per transaction (its statements, their
planning, the commit), so on busy cores bigger batches leave more CPU for the
requests themselves: measured in bench/RESULTS.md (tenth session).

If a whole batch fails (a conflict on one ticket, a deadlock), each command of
it is retried on its own so that one bad command fails alone.

`process` may answer `Again(item)` for an item it could not do now without
waiting (a seat claim whose room another process holds): the flusher carries
that item into its own next batch, with whatever queued meanwhile, instead of a
transaction of its own. `process` must bound how often it answers so for one
command (it then does the command waiting, as any other).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Generic, TypeVar

I = TypeVar("I")  # noqa: E741
R = TypeVar("R")

log = logging.getLogger(__name__)

_STOP = object()


@dataclass(frozen=True)
class Again(Generic[I]):
    """An item's answer that says: run `item` (the same command, perhaps annotated) in the next batch."""

    item: I


class GroupCommitter(Generic[I, R]):
    def __init__(
        self,
        process: Callable[[Sequence[I]], Sequence[R | BaseException]],
        *,
        name: str,
        max_batch: int = 200,
        flushers: int = 2,
        gather: float = 0.0,
        pause: Callable[[float], object] = time.sleep,
    ) -> None:
        """`process` records a batch in ONE transaction and returns a result or
        an exception per item, in order; if it raises, nothing was recorded.
        `gather`: seconds a flusher under load waits for a batch to fill (0: never); `pause` waits."""
        self._process = process
        self._max_batch = max_batch
        self._gather, self._pause = gather, pause
        self._last = 0  # the size of the last batch taken: more than 1 is load
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._run, name=f"{name}-{i}", daemon=True) for i in range(flushers)
        ]
        self._started = False
        self._lock = threading.Lock()
        self.batches = 0
        self.items = 0

    def submit(self, item: I) -> Future[R]:
        self._ensure_started()
        future: Future[R] = Future()
        self._queue.put((item, future))
        return future

    def run(self, item: I, timeout: float = 30.0) -> R:
        return self.submit(item).result(timeout)

    def close(self) -> None:
        if self._started:
            for _ in self._threads:
                self._queue.put(_STOP)
            for t in self._threads:
                t.join(timeout=5)

    def _ensure_started(self) -> None:
        if not self._started:
            with self._lock:
                if not self._started:
                    for t in self._threads:
                        t.start()
                    self._started = True

    def _run(self) -> None:
        carried: list[tuple[I, Future[R]]] = []  # items answered Again by the last batch
        while True:
            if carried:
                batch: list[object] = list(carried)
            else:
                first = self._queue.get()
                if first is _STOP:
                    return
                batch = [first]
                if self._gather and self._last > 1:
                    self._pause(self._gather)
            while len(batch) < self._max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    self._queue.put(_STOP)
                    break
                batch.append(nxt)
            self._last = len(batch)
            carried = self._flush(batch)  # type: ignore[arg-type]

    def _flush(self, batch: list[tuple[I, Future[R]]]) -> list[tuple[I, Future[R]]]:
        """Record one batch; the items to carry into the next (answered Again)."""
        items = [item for item, _ in batch]
        try:
            results = self._process(items)
        except Exception:  # the whole transaction failed: retry each alone
            if len(batch) > 1:
                log.info("group commit of %d failed; retrying one by one", len(batch))
            return [again for entry in batch for again in self._settle_one(entry)]
        self.batches += 1
        self.items += len(batch)
        return [again for (_, future), result in zip(batch, results, strict=True)
                for again in self._answer(future, result)]

    def _settle_one(self, entry: tuple[I, Future[R]]) -> list[tuple[I, Future[R]]]:
        item, future = entry
        try:
            (result,) = self._process([item])
        except Exception as exc:
            future.set_exception(exc)
            return []
        return self._answer(future, result)

    @staticmethod
    def _answer(future: Future[R], result: object) -> list[tuple[I, Future[R]]]:
        if isinstance(result, Again):
            return [(result.item, future)]
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)  # type: ignore[arg-type]
        return []
