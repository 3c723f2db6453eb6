"""A projection that cannot apply an event: where it stopped, what fails, since when, how often.

One bad event (a value a read-table column cannot hold, a handler bug, a broken
constraint) must neither stop the other projections nor be skipped: a skipped
sale would leave the ledger silently incomplete. So the projector keeps the
failing projection exactly where it is, retries it with backoff, and records the
failure here, in `projection_faults` (migration 0021), one row per projection,
where every process sees it: the projector worker writes it, the API processes'
`/readyz` and `/metrics` read it. The row is deleted in the transaction that
moves the projection past the event, so a row always describes the present.

A projection counts as stuck once the same position has failed `stuck_after`
times in a row (BOXOFFICE_PROJECTION_STUCK_AFTER_FAILURES): one failure may be a
deadlock or a dropped connection that the next try gets through. Times come from
the injected clock, in microseconds like every `_us` column. Imports store/ only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from store.db import Database, Tx
from store.timecodes import from_us

BACKOFF_FIRST = 1.0  # seconds before the first retry of a failed position
BACKOFF_MAX = 60.0  # ...doubling with each failure up to this
ERROR_CHARS = 2_000  # of the error's text kept in the row (and the log has it whole)

COLUMNS = ("name", "position", "event_position", "topic", "error_class", "error", "first_failed_us",
           "last_failed_us", "attempts")


@dataclass(frozen=True)
class Fault:
    """`name` has applied the log up to `position` and fails on the event at `event_position`."""

    name: str
    position: int
    event_position: int
    topic: str
    error_class: str
    error: str
    first_failed_us: int
    last_failed_us: int
    attempts: int

    def stuck(self, after: int) -> bool:
        return self.attempts >= after

    def retry_at_us(self) -> int:
        """When the projector tries this position again (backoff doubling with each failure)."""
        return self.last_failed_us + int(backoff_seconds(self.attempts) * 1_000_000)

    def public(self) -> dict[str, Any]:
        """What /readyz and a 503 problem show to anyone: where and what class of error, never its text
        (a database error's message may quote the stored values; it goes to the log and `project status`)."""
        return {"projection": self.name, "position": self.position, "event_position": self.event_position,
                "topic": self.topic, "error_class": self.error_class, "attempts": self.attempts,
                "first_failed_at": _iso(self.first_failed_us), "last_failed_at": _iso(self.last_failed_us)}

    def for_operators(self) -> dict[str, Any]:
        """`public()` and the error's first line (no stack trace): the log and `boxoffice project status`."""
        return {**self.public(), "error": self._first_line}

    @property
    def _first_line(self) -> str:
        return (self.error.splitlines() or [""])[0][:200]

    @property
    def summary(self) -> str:
        """One public line: the projection, the event and the error's class."""
        return (f"projection {self.name} stays at position {self.position}: event {self.event_position}"
                f" ({self.topic}) fails with {self.error_class}"
                f" ({self.attempts} attempt{'s' if self.attempts != 1 else ''})")

    @property
    def detail(self) -> str:
        """`summary` and the error's first line, for the log and the operator's CLI."""
        return f"{self.summary}: {self._first_line}"


def backoff_seconds(attempts: int) -> float:
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


class ProjectionStuckError(Exception):
    """A projection cannot apply an event; the read tables it keeps are behind the log until it can."""

    def __init__(self, faults: Iterable[Fault]) -> None:
        self.faults = list(faults)
        super().__init__("; ".join(f.summary for f in self.faults))


# --- the rows ------------------------------------------------------------------------------------------


def read_state(db: Database, names: Iterable[str]) -> dict[str, tuple[int, Fault | None]]:
    """Each projection's position and its fault (None: it is not failing), in one query."""
    rows = db.query("SELECT p.name AS pname, p.position AS pposition, f.* FROM projection_positions p"
                    " LEFT JOIN projection_faults f ON f.name = p.name")
    found = {r["pname"]: (int(r["pposition"]), _fault(r) if r["name"] is not None else None) for r in rows}
    return {name: found.get(name, (0, None)) for name in names}


def read_faults(db: Database) -> dict[str, Fault]:
    return {r["name"]: _fault(r) for r in db.query(f"SELECT {', '.join(COLUMNS)} FROM projection_faults")}


def record_failure(tx: Tx, name: str, position: int, event_position: int, topic: str, error: BaseException,
                   now_us: int) -> Fault:
    """One more failure of `name` at `position`: counted on from the last when it failed there
    before, counted from one (and dated anew) when it had moved on since."""
    text = f"{error}"[:ERROR_CHARS] or repr(error)[:ERROR_CHARS]
    row = tx.one(
        "INSERT INTO projection_faults (name, position, event_position, topic, error_class, error, first_failed_us,"
        " last_failed_us, attempts) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 1)"
        " ON CONFLICT (name) DO UPDATE SET"
        " attempts = CASE WHEN projection_faults.position = excluded.position"
        "  THEN projection_faults.attempts + 1 ELSE 1 END,"
        " first_failed_us = CASE WHEN projection_faults.position = excluded.position"
        "  THEN projection_faults.first_failed_us ELSE excluded.first_failed_us END,"
        " position = excluded.position, event_position = excluded.event_position, topic = excluded.topic,"
        " error_class = excluded.error_class, error = excluded.error, last_failed_us = excluded.last_failed_us"
        f" RETURNING {', '.join(COLUMNS)}",
        (name, position, event_position, topic[:200], type(error).__name__, text, now_us, now_us))
    assert row is not None  # Safeguard: an upsert with RETURNING always answers a row
    return _fault(row)


def clear_fault(tx: Tx, name: str) -> None:
    """`name` moved past the event that failed (in the transaction that moves it)."""
    tx.execute("DELETE FROM projection_faults WHERE name = %s", (name,))


def _iso(us: int) -> str:
    return from_us(us).isoformat()  # type: ignore[union-attr]


def _fault(row: dict[str, Any]) -> Fault:
    return Fault(name=row["name"], position=int(row["position"]), event_position=int(row["event_position"]),
                 topic=row["topic"], error_class=row["error_class"], error=row["error"],
                 first_failed_us=int(row["first_failed_us"]), last_failed_us=int(row["last_failed_us"]),
                 attempts=int(row["attempts"]))
