"""The last few errors logged by this process, for the operations console (a bounded ring)."""

from __future__ import annotations

import logging
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any


class RecentErrors(logging.Handler):
    """Keeps the newest `size` records at ERROR or above: when, where, what, and the correlation id."""

    def __init__(self, size: int = 50) -> None:
        super().__init__(level=logging.ERROR)
        self._records: deque[dict[str, Any]] = deque(maxlen=size)
        self._lock_ring = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            entry = {
                "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="seconds"),
                "logger": record.name, "level": record.levelname, "message": record.getMessage()[:500],
                "correlation_id": getattr(record, "correlation_id", None),
                "error": record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else None,
            }
        except Exception:  # a log handler never raises into the code that logged
            return
        with self._lock_ring:
            self._records.append(entry)

    def newest(self) -> list[dict[str, Any]]:
        with self._lock_ring:
            return list(reversed(self._records))


RECENT = RecentErrors()


def install() -> None:
    root = logging.getLogger()
    if RECENT not in root.handlers:
        root.addHandler(RECENT)
