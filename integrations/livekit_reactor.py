"""Refunds reach the media server: the LiveKit reactor.

Follows the event log (its own position in `reactor_positions`) and turns
- a full refund, a revocation, a dispute that revokes access -> RemoveParticipant
  (that holder's identity in that room);
- a cancelled or ended room -> DeleteRoom (everyone is disconnected)
into `livekit_calls` rows in the same transaction as its position (exactly once).
The send half calls LiveKit through the SDK (integrations/livekit.py), retries a
failure with exponential backoff (1 s doubling to 5 min, then `failed` after
MAX_ATTEMPTS), and treats LiveKit's "not found" as done: the participant left or
the room is gone, which is what we wanted. Nothing here runs inside a sale's or
a refund's transaction, so LiveKit being down never blocks either.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from domain.clock import Clock
from integrations.livekit import LiveKitCallError, NotFoundAtLiveKit, RoomServiceClient
from integrations.reactor import LogReactor
from store.db import Database, Tx
from store.timecodes import to_us

BASE_DELAY = timedelta(seconds=1)
MAX_DELAY = timedelta(minutes=5)
MAX_ATTEMPTS = 20  # about an hour and a half of tries, then `failed` (shown in /readyz)
LEASE = timedelta(seconds=30)  # a claimed call is not picked by another process for this long


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: 1 s, 2 s, 4 s ... at most 5 minutes."""
    return min(BASE_DELAY * (2 ** max(attempts - 1, 0)), MAX_DELAY)


class LiveKitReactor(LogReactor):
    name = "livekit"
    handles = frozenset({"Ticket.RefundRequested", "Ticket.Revoked", "Ticket.DisputeOpened", "Ticket.Transferred",
                         "Room.Cancelled", "Room.Ended"})

    def __init__(self, recorder: Any, mapper: Any, db: Database, client: RoomServiceClient, clock: Clock,
                 *, batch_size: int = 500, send_batch: int = 20) -> None:
        super().__init__(recorder, mapper, db, batch_size=batch_size)
        self.client = client
        self.clock = clock
        self.send_batch = send_batch

    @staticmethod
    def call_for(event: Any) -> tuple[str, str, str | None, str] | None:
        """(kind, room id, identity, reason) for an event, or None when LiveKit has nothing to do."""
        kind = type(event).__qualname__
        if kind == "Ticket.RefundRequested" and event.full:
            return "remove_participant", str(event.room_id), event.holder_id, "refunded"
        if kind == "Ticket.Revoked":
            return "remove_participant", str(event.room_id), event.holder_id, "revoked"
        if kind == "Ticket.DisputeOpened" and event.access_revoked:
            return "remove_participant", str(event.room_id), event.holder_id, "revoked"
        if kind == "Ticket.Transferred":  # the giver, perhaps still in the waiting room
            return "remove_participant", str(event.room_id), event.from_holder_id, "transferred"
        if kind in ("Room.Cancelled", "Room.Ended"):
            return "delete_room", str(event.originator_id), None, kind.split(".")[1].lower()
        return None

    def react(self, tx: Tx, events: Sequence[tuple[int, Any]]) -> None:
        now = to_us(self.clock.now())
        for position, event in events:
            call = self.call_for(event)
            if call is None:
                continue
            kind, room_id, identity, reason = call
            call_id = str(uuid5(NAMESPACE_URL, f"boxoffice:livekit:{position}:{kind}"))
            tx.execute("INSERT INTO livekit_calls (id, position, kind, room_id, identity, reason, status, attempts,"
                       " next_at_us, created_us) VALUES (%s, %s, %s, %s, %s, %s, 'pending', 0, %s, %s)"
                       " ON CONFLICT (id) DO NOTHING", (call_id, position, kind, room_id, identity, reason, now, now))

    def _claim(self) -> list[dict[str, Any]]:
        now = self.clock.now()
        with self.db.transaction() as tx:
            skip = " FOR UPDATE SKIP LOCKED" if tx.dialect == "postgresql" else ""
            rows = tx.all("SELECT id, kind, room_id, identity, attempts FROM livekit_calls"
                          " WHERE status = 'pending' AND next_at_us <= %s ORDER BY position LIMIT %s" + skip,
                          (to_us(now), self.send_batch))
            for row in rows:
                tx.execute("UPDATE livekit_calls SET next_at_us = %s WHERE id = %s", (to_us(now + LEASE), row["id"]))
        return rows

    def send_due(self) -> int:
        rows = self._claim()
        if not rows:
            return 0
        outcomes = self.client.run([(r["kind"], r["room_id"], r["identity"]) for r in rows])
        now = self.clock.now()
        with self.db.transaction() as tx:
            for row, outcome in zip(rows, outcomes, strict=True):
                attempts = int(row["attempts"]) + 1
                if outcome is None or isinstance(outcome, NotFoundAtLiveKit):
                    tx.execute("UPDATE livekit_calls SET status = 'done', attempts = %s, done_us = %s, last_error = %s"
                               " WHERE id = %s", (attempts, to_us(now), str(outcome) if outcome else None, row["id"]))
                    continue
                error = str(outcome) if isinstance(outcome, LiveKitCallError) else repr(outcome)
                self.last_error = error
                status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
                tx.execute("UPDATE livekit_calls SET status = %s, attempts = %s, next_at_us = %s, last_error = %s"
                           " WHERE id = %s", (status, attempts, to_us(now + backoff(attempts)), error, row["id"]))
        return len(rows)

    def status(self) -> dict[str, Any]:
        counts = {r["status"]: int(r["n"]) for r in self.db.query(
            "SELECT status, COUNT(*) AS n FROM livekit_calls WHERE status <> 'done' GROUP BY status")}
        retrying = self.db.query_one(
            "SELECT COUNT(*) AS n FROM livekit_calls WHERE status = 'pending' AND attempts > 0")
        return {**super().status(), "pending": counts.get("pending", 0), "retrying": int(retrying["n"]),
                "failed": counts.get("failed", 0)}
