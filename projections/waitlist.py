"""The waitlist as a read table: every listener's place in a room's line, and the offer made to them.

Serves `GET /v1/me/offers` and `GET /v1/me/waitlist`. Built only from events
(`WaitlistEntry.*`, `Offer.*`), so a rebuild from zero gives the same rows; the
line the sales are checked against is the guard table `waitlist`
(store/waitlist_guards_sql.py), written in the same transactions. One handler
per event kind, writing through a `WaitlistView` (projections/waitlist_view.py).
Imports domain/, store/ and this package only.
"""

from __future__ import annotations

from typing import Any

from domain.sales.waitlist import Offer, WaitlistEntry
from projections.projection import Projection, handles
from projections.waitlist_view import (
    TABLE,
    WAITLIST_INDEXES,
    WAITLIST_TABLE,
    PostgresWaitlistView,
    SqliteWaitlistView,
    WaitlistView,
)
from store.timecodes import to_us


class WaitlistProjection(Projection[WaitlistView]):
    name = "waitlist"
    views = {"postgresql": PostgresWaitlistView, "sqlite": SqliteWaitlistView}

    def tables(self, suffix: str = "") -> list[tuple[str, str, list[str]]]:
        t = TABLE + suffix
        return [(t, WAITLIST_TABLE.format(table=t), [i.format(table=t) for i in WAITLIST_INDEXES])]

    def prepare(self, view: WaitlistView, events: list[tuple[int, Any]]) -> None:
        kinds = [(type(e).__qualname__, e) for _, e in events]
        joined = {str(e.originator_id) for kind, e in kinds if kind == "WaitlistEntry.Joined"}
        view.preload({str(e.originator_id) if kind.startswith("WaitlistEntry.") else str(e.entry_id)
                      for kind, e in kinds if kind in self.handlers} - joined)

    @handles(WaitlistEntry.Joined)
    def joined(self, view: WaitlistView, e: Any, pos: int) -> None:
        view.add_entry({"entry_id": str(e.originator_id), "room_id": str(e.room_id), "tier_id": str(e.tier_id),
                        "holder_id": e.holder_id, "place": e.place, "status": "waiting",
                        "joined_us": to_us(e.joined_at), "position": pos})

    @handles(WaitlistEntry.Left)
    def left(self, view: WaitlistView, e: Any, pos: int) -> None:
        if (row := view.entry(str(e.originator_id))) is not None:
            row.update(status="left", position=pos)

    @handles(Offer.Made)
    def offer_made(self, view: WaitlistView, e: Any, pos: int) -> None:
        if (row := view.entry(str(e.entry_id))) is not None:  # Safeguard: an offer follows its entry's join
            row.update(status="offered", offer_id=str(e.originator_id), offer_made_us=to_us(e.made_at),
                       offer_expires_us=to_us(e.expires_at), position=pos)

    @handles(Offer.Accepted)
    def offer_accepted(self, view: WaitlistView, e: Any, pos: int) -> None:
        if (row := view.entry(str(e.entry_id))) is not None:
            row.update(status="accepted", ticket_id=str(e.ticket_id), position=pos)

    @handles(Offer.Expired)
    def offer_expired(self, view: WaitlistView, e: Any, pos: int) -> None:
        if (row := view.entry(str(e.entry_id))) is not None:
            row.update(status="expired", position=pos)

    @handles(Offer.Declined)
    def offer_declined(self, view: WaitlistView, e: Any, pos: int) -> None:
        if (row := view.entry(str(e.entry_id))) is not None:
            row.update(status="declined", position=pos)
