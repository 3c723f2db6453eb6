"""A listener's places in rooms' lines and the offers made to them, from the waitlist projection.

May import: store/ (the database helpers).
"""

from __future__ import annotations

from typing import Any

from store.db import Database


def waitlist_entry(db: Database, entry_id: str) -> dict[str, Any] | None:
    """One place in a line, by its entry id, or None before the projection has it."""
    return db.query_one("SELECT * FROM waitlist_view WHERE entry_id = %s", (entry_id,))


def offers_of(db: Database, holder_id: str, limit: int) -> list[dict[str, Any]]:
    """The offers made to a listener, newest first."""
    return db.query(
        "SELECT * FROM waitlist_view WHERE holder_id = %s AND offer_id IS NOT NULL"
        " ORDER BY offer_made_us DESC, offer_id LIMIT %s", (holder_id, limit))


def places_of(db: Database, holder_id: str, limit: int) -> list[dict[str, Any]]:
    """A listener's places in rooms' lines, newest first."""
    return db.query("SELECT * FROM waitlist_view WHERE holder_id = %s ORDER BY joined_us DESC, entry_id"
                    " LIMIT %s", (holder_id, limit))
