"""Read-your-writes: wait until the projections reached a log position, from a thread or an event loop.

The projector (projections/projector.py) reports every position it reaches,
or sees another process's projector reach, to one `Progress`; waiters block
on a condition (threads) or on a future resolved from the reporting thread
(event loops, so no thread is parked). Imports the stdlib only.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable


class Progress:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.seen = 0
        # Event-loop waiters (position, loop, future), woken from the thread that sees progress.
        self._async_waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def seen_at_least(self, position: int) -> None:
        with self._cond:
            if position <= self.seen:
                return
            self.seen = position
            self._cond.notify_all()
            if not self._async_waiters:
                return
            due = [w for w in self._async_waiters if w[0] <= position]
            self._async_waiters = [w for w in self._async_waiters if w[0] > position]
        for _, loop, future in due:
            loop.call_soon_threadsafe(_resolve, future)

    def wait(self, position: int, deadline: float) -> bool:
        """Block until `position` is seen or the monotonic `deadline` passes."""
        with self._cond:
            while self.seen < position:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    async def wait_async(self, position: int, timeout: float, poke: Callable[[], None]) -> bool:
        """`wait` for an event loop; `poke` asks the projector to catch up now."""
        if self.seen >= position:
            return True
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        waiter = (position, loop, future)
        with self._cond:
            if self.seen >= position:
                return True
            self._async_waiters.append(waiter)
        poke()
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._cond:
                if waiter in self._async_waiters:
                    self._async_waiters.remove(waiter)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
