"""A ticket given away: its hold changes holder, as part of `SqlGuards` (store/guards_sql.py).

One live ticket per listener and room holds for the receiver. The room's
inventory row is locked first (`lock_rooms`: the global lock order of
domain/guards.py puts rooms before holds), and every claim and every other
transfer in the room takes that same row first, so the receiver's holds read
here cannot change before this transaction commits. The partial unique index on
`seat_holds (room_id, holder_id) WHERE live` backs the decision.
"""

from __future__ import annotations

from uuid import UUID

from domain.guards import TransferStatus


class TransferGuards:
    """Mixed into SqlGuards; uses its `_one`, `_write_holds` and `lock_rooms`."""

    def transfer_hold(self, ticket_id: UUID, room_id: UUID, from_holder: str, to_holder: str) -> TransferStatus:
        self.lock_rooms([room_id])  # type: ignore[attr-defined]
        self._write_holds()  # type: ignore[attr-defined]  # holds claimed earlier in this transaction
        rid = str(room_id)
        if self._one("SELECT 1 FROM seat_holds WHERE live AND room_id = %s AND holder_id = %s",  # type: ignore[attr-defined]
                     (rid, to_holder)) is not None:
            return "receiver_holds"
        moved = self._one(  # type: ignore[attr-defined]
            "UPDATE seat_holds SET holder_id = %s WHERE ticket_id = %s AND room_id = %s AND holder_id = %s AND live"
            " RETURNING ticket_id", (to_holder, str(ticket_id), rid, from_holder))
        return "transferred" if moved is not None else "no_hold"
