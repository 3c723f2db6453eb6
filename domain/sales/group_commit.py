"""Group commit: many commands, one transaction.

An event-store transaction costs roughly the same for one event as for a
hundred (PostgreSQL serialises appends behind a table lock; SQLite has one
writer). Under load, callers submit commands to a GroupCommitter; a few
flusher threads take whatever has queued while the previous transaction was
committing and record it in one transaction. With no load a batch is one
command and adds no waiting: there is no timer.

If a whole batch fails (a conflict on one ticket, a deadlock), each command of
it is retried on its own so that one bad command fails alone.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

I = TypeVar("I")  # noqa: E741
R = TypeVar("R")

log = logging.getLogger(__name__)

_STOP = object()


class GroupCommitter(Generic[I, R]):
    def __init__(
        self,
        process: Callable[[Sequence[I]], Sequence[R | BaseException]],
        *,
        name: str,
        max_batch: int = 200,
        flushers: int = 2,
    ) -> None:
        """`process` records a batch in ONE transaction and returns a result or
        an exception per item, in order; if it raises, nothing was recorded."""
        self._process = process
        self._max_batch = max_batch
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
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    self._queue.put(_STOP)
                    break
                batch.append(nxt)
            self._flush(batch)  # type: ignore[arg-type]

    def _flush(self, batch: list[tuple[I, Future[R]]]) -> None:
        items = [item for item, _ in batch]
        try:
            results = self._process(items)
        except Exception:  # the whole transaction failed: retry each alone
            if len(batch) == 1:
                self._settle_one(batch[0])
                return
            log.info("group commit of %d failed; retrying one by one", len(batch))
            for entry in batch:
                self._settle_one(entry)
            return
        self.batches += 1
        self.items += len(batch)
        for (_, future), result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

    def _settle_one(self, entry: tuple[I, Future[R]]) -> None:
        item, future = entry
        try:
            (result,) = self._process([item])
        except Exception as exc:
            future.set_exception(exc)
            return
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)
