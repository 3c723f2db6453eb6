"""The creators' lifetime revenue (the 97/80 threshold's counter), as part of `SqlGuards`.

Why slices. The split of a sale depends on the creator's lifetime revenue before
it, exactly to the cent. Kept on one row per (creator, currency) that each sale
locked until commit, it made every room of a creator sell one batch after the
other, whatever the rooms. But the split only needs the exact figure near the
threshold: a sale that falls wholly below it earns 97% whatever came before.
So a room may hold a slice of its creator's headroom below the threshold and
sell within it under its own row lock, which it holds anyway to claim seats.

The rows (migrations/versions/0016_revenue_slices.py):
- creator_revenue (creator, currency): `lifetime`, the revenue not in any slice,
  and `granted`, the sum of the quotas of the creator's slices;
- revenue_slices (room, currency): the room's `quota` and the `used` part of it.

The creator's lifetime revenue L is `lifetime` plus every slice's `used`.
Invariants, each kept by every transaction: `used <= quota`; `granted` is the
sum of the quotas; and `lifetime + granted <= limit` (the threshold) whenever
`granted > 0`. A slice is written only by a transaction that holds its room's
row (to sell) or, for its quota, also its creator's row (to grant or fold).

Why the split is exact. A sale within its room's slice (`used + gross <= quota`)
has, at its commit, L + gross <= lifetime + granted <= limit: it lies wholly
below the threshold, in any order of commits. A sale on the creator's row is
either within the row's unallocated headroom (`lifetime + granted + gross <=
limit`, the same argument), or exact: it needs `granted == 0`, and then L is
`lifetime` itself, on a row this transaction holds, with no slice anywhere for
another transaction to sell from. If a sale may cross the threshold while
other rooms hold slices, `ExactRevenueNeeded` is raised; the application
folds every slice of that creator back into the row (`fold_revenue_slices`, its
own transaction, rooms first, then the row) and runs the batch again.

The figure a sale records as `lifetime_before`: exact when decided on the
creator's row with nothing granted; otherwise the revenue committed when the
batch read it plus the batch's own sales (the same figure, one sale after
another; under concurrency it may miss another room's sale committed in the
meantime, which cannot change a split wholly below the threshold).

When a slice is granted. A room opening states a sale of 0 (`plan_revenue`): it
takes a slice of what its seats could bring, if that is small beside the
creator's unallocated headroom (`OPENING`), so a creator far below the threshold
sells every room without touching its row. Otherwise a room takes its slice at
its first sale, sized by its unsold seats then (`SHARE` caps both).

Lock order (domain/guards.py): slices live under their room's row lock (like
tiers), so they need no rank of their own; creator rows come after rooms.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from uuid import UUID

from domain.guards import ExactRevenueNeeded
from store.columns import column as _col
from store.lock_order import REVENUE, ROOMS

SHARE = 4  # a new slice takes at most a quarter of the unallocated headroom, unless one batch needs more
# A room takes its slice when it opens (its sales then never lock the creator's row) if all its seats could
# bring at most this fraction of the unallocated headroom; otherwise at its first sale, sized by what is left.
OPENING = 16

_SLICES_OF_ROOMS = "SELECT room_id, currency, creator_id, quota, used FROM revenue_slices WHERE room_id = ANY(%b)"
# L of (creator c, currency k) as committed: the row's lifetime and every slice's used part.
_ESTIMATE = ("SELECT q.c, q.k, COALESCE((SELECT r.lifetime FROM creator_revenue r WHERE r.creator_id = q.c"
             " AND r.currency = q.k), 0) + COALESCE((SELECT SUM(s.used) FROM revenue_slices s"
             " WHERE s.creator_id = q.c AND s.currency = q.k), 0) AS l FROM {}")

Key = tuple[str, str]  # (creator, currency)
Slot = tuple[str, str]  # (room, currency)


class RevenueGuards:
    """Mixed into SqlGuards; uses its `_acquire`, `_exec`, `_one`, `_pg`, `_cursor` and `_locks`."""

    def _init_revenue(self) -> None:
        self._rows: dict[Key, list[int]] = {}  # creator rows locked in this transaction: [lifetime, granted]
        self._base: dict[Key, int] = {}  # L as last read from the database
        self._accrued: dict[Key, int] = defaultdict(int)  # this transaction's accruals, not in the database yet
        self._limits: dict[str, int] = {}  # the threshold per currency, in minor units
        self._slices: dict[Slot, list[Any] | None] = {}  # slices of rooms held: [creator, quota, used]; None: folded
        self._selling: set[Slot] = set()  # rooms that sell from their slice in this transaction
        self._dirty_rows: set[Key] = set()
        self._dirty_slices: set[Slot] = set()
        self._potential: dict[str, int] = {}  # room -> what its unsold seats could still bring (set by claims)

    # --- the port ---------------------------------------------------------------------

    def plan_revenue(self, sales: Iterable[tuple[str, str, UUID | None, int]], limits: Mapping[str, int]) -> None:
        """Prepare the accruals of (creator, currency, room or None, gross): slices or creator rows, in the lock order."""
        self._limits.update(limits)
        need: dict[Key, dict[str | None, int]] = defaultdict(lambda: defaultdict(int))
        for creator, currency, room, gross in sales:
            rid = str(room) if room is not None and self._locks.holds(ROOMS, str(room)) else None  # type: ignore[attr-defined]
            need[(creator, currency)][rid] += gross
        slots = sorted({(rid, k[1]) for k, rooms in need.items() for rid in rooms if rid is not None})
        self._read_slices(slots, sorted(k for k in need if k not in self._base))
        to_lock = []
        for key, rooms in need.items():
            fits = [rid for rid, n in rooms.items() if rid is not None and self._fits((rid, key[1]), n)]
            self._selling.update((rid, key[1]) for rid in fits)
            if len(fits) < len(rooms):
                to_lock.append(key)
        self.lock_revenue(to_lock)
        for key in sorted(to_lock):
            self._grant(key, need[key])

    def lock_revenue(self, keys: Iterable[Key], limits: Mapping[str, int] | None = None) -> None:
        """Lock the creators' rows (made if new), in the lock order; then count in memory until flush()."""
        self._limits.update(limits or {})
        fresh = self._acquire(REVENUE, keys)  # type: ignore[attr-defined]
        if not fresh:
            return
        # The slices' sum is read by a statement of its own, after the rows are locked: a
        # subquery of the locking statement would keep the snapshot taken before it waited,
        # and count twice the slices that a fold committed meanwhile moved into the row.
        used = "SELECT SUM(s.used) AS used FROM revenue_slices s WHERE s.creator_id = %s AND s.currency = %s"
        sums: dict[Key, int] = {}
        if self._pg:  # type: ignore[attr-defined]
            creators, currencies = [c for c, _ in fresh], [k for _, k in fresh]
            self._cursor.execute(  # type: ignore[attr-defined]
                "INSERT INTO creator_revenue (creator_id, currency, lifetime, granted)"
                " SELECT c, k, 0, 0 FROM unnest(%b::text[], %b::text[]) AS n(c, k) ON CONFLICT DO NOTHING",
                (creators, currencies), prepare=False)
            with self._cursor.connection.cursor() as after:  # type: ignore[attr-defined]
                self._cursor.execute(  # type: ignore[attr-defined]
                    "SELECT creator_id, currency, lifetime, granted FROM creator_revenue"
                    " WHERE (creator_id, currency) IN (SELECT * FROM unnest(%b::text[], %b::text[]))"
                    ' ORDER BY creator_id COLLATE "C", currency COLLATE "C" FOR UPDATE', (creators, currencies),
                    prepare=False)
                after.execute("SELECT s.creator_id, s.currency, SUM(s.used) AS used FROM revenue_slices s"
                              " WHERE (s.creator_id, s.currency) IN (SELECT * FROM unnest(%b::text[], %b::text[]))"
                              " GROUP BY s.creator_id, s.currency", (creators, currencies), prepare=False)
                rows = self._cursor.fetchall()  # type: ignore[attr-defined]
                sums = {(_col(r, "creator_id", 0), _col(r, "currency", 1)): int(_col(r, "used", 2))
                        for r in after.fetchall()}
        else:
            rows = []
            for key in fresh:
                self._exec("INSERT INTO creator_revenue (creator_id, currency, lifetime, granted) VALUES (%s, %s, 0, 0)"  # type: ignore[attr-defined]
                           " ON CONFLICT (creator_id, currency) DO NOTHING", key)
                rows.append(self._one("SELECT creator_id, currency, lifetime, granted FROM creator_revenue"  # type: ignore[attr-defined]
                                      " WHERE creator_id = %s AND currency = %s", key))
                sums[key] = int(_col(self._one(used, key), "used", 0) or 0)  # type: ignore[attr-defined]
        for row in rows:
            key = (_col(row, "creator_id", 0), _col(row, "currency", 1))
            lifetime, granted = int(_col(row, "lifetime", 2)), int(_col(row, "granted", 3))
            self._rows[key] = [lifetime, granted]
            self._base[key] = lifetime + sums.get(key, 0)

    def accrue_revenue(self, creator_id: str, currency: str, delta: int, room_id: UUID | None = None) -> int:
        key = (creator_id, currency)
        slot = (str(room_id), currency)
        if room_id is not None and slot in self._selling:
            piece = self._slices.get(slot)
            before = self._base[key] + self._accrued[key]
            if piece is not None and 0 <= delta and piece[2] + delta <= piece[1]:
                if not self._below(before, delta, currency):
                    raise ExactRevenueNeeded([key])
                piece[2] += delta
                self._accrued[key] += delta
                self._dirty_slices.add(slot)
                return before
        if key not in self._rows:
            self.lock_revenue([key])
        row = self._rows[key]
        lifetime, granted = row
        before = self._base[key] + self._accrued[key]
        if granted == 0:
            before = lifetime  # exact: no slice anywhere, and this transaction holds the row
        elif delta > 0 and not (self._below(lifetime + granted, delta, currency) and self._below(before, delta, currency)):
            raise ExactRevenueNeeded([key])  # else wholly within the unallocated headroom
        row[0] = lifetime + delta
        self._accrued[key] = before + delta - self._base[key]
        self._dirty_rows.add(key)
        return before

    def fold_revenue_slices(self, keys: Iterable[Key]) -> bool:
        """Fold every slice of these creators back into their rows; True if none is left.

        Its own transaction: the slices' rooms are locked first, then the rows (the lock order).
        A slice granted meanwhile to a room not yet seen is left; the caller tries again."""
        keys = sorted(set(keys))
        rooms: set[str] = set()
        for creator, currency in keys:
            rooms.update(_col(r, "room_id", 0) for r in self._exec(  # type: ignore[attr-defined]
                "SELECT room_id FROM revenue_slices WHERE creator_id = %s AND currency = %s", (creator, currency)
            ).fetchall())
        self.lock_rooms([UUID(r) for r in rooms])  # type: ignore[attr-defined]
        self.lock_revenue(keys)
        self._read_slices(sorted((r, k[1]) for r in rooms for k in keys), [])
        for (rid, currency), piece in list(self._slices.items()):
            if piece is not None and (piece[0], currency) in keys:
                self._fold((piece[0], currency), rid)
        return all(self._rows[k][1] == 0 for k in keys)

    # --- deciding ------------------------------------------------------------------------

    def _below(self, before: int, delta: int, currency: str) -> bool:
        """Does a sale of `delta` after `before` lie wholly below the threshold? (Safeguard on the figure
        returned: should the estimate ever exceed the truth, the sale asks for the exact figure.)"""
        return currency in self._limits and before + delta <= self._limits[currency]

    def _fits(self, slot: Slot, gross: int) -> bool:
        piece = self._slices.get(slot)
        return piece is not None and piece[2] + gross <= piece[1]

    def _fold(self, key: Key, rid: str) -> None:
        """Give a held room's slice back to its creator's row (locked): its sales become the row's revenue."""
        slot = (rid, key[1])
        piece = self._slices.get(slot)
        if piece is None:
            return
        row = self._rows[key]
        row[0] += piece[2]
        row[1] -= piece[1]
        self._slices[slot] = None
        self._selling.discard(slot)
        self._dirty_slices.add(slot)
        self._dirty_rows.add(key)

    def _grant(self, key: Key, rooms: Mapping[str | None, int]) -> None:
        """With the creator's row held: give fresh slices to the held rooms whose own does not cover them.

        If one cannot be covered (the batch may cross the threshold), every slice of the
        creator held here is folded back: the batch then sells on the row, exact once
        nothing is granted (see accrue_revenue)."""
        currency = key[1]
        limit = self._limits.get(currency)
        short = sorted(rid for rid, n in rooms.items() if rid is not None and not self._fits((rid, currency), n))
        for rid in short:
            self._fold(key, rid)
        if limit is None:
            return
        row = self._rows[key]
        headroom = limit - row[0] - row[1] - rooms.get(None, 0)
        for rid in short:
            n = rooms[rid]
            if n > headroom:
                for slot, piece in list(self._slices.items()):
                    if piece is not None and piece[0] == key[0] and slot[1] == currency:
                        self._fold(key, slot[0])
                return
            potential = self._potential.get(rid, headroom)
            if n == 0 and potential * OPENING > headroom:
                continue  # an opening that could take much of the headroom: its first sale sizes its slice
            quota = min(headroom, max(n, min(potential, headroom // SHARE)))
            self._slices[(rid, currency)] = [key[0], quota, 0]
            self._selling.add((rid, currency))
            self._dirty_slices.add((rid, currency))
            row[1] += quota
            headroom -= quota
            self._dirty_rows.add(key)

    # --- reading and writing ---------------------------------------------------------------

    def _send_revenue_reads(self, rids: list[str]) -> Callable[[Mapping[str, Any]], None]:
        """PostgreSQL, with a claim's reads (the same round trip, after the rooms' row locks): the slices of
        these rooms and L of their creators in their rooms' currency, which `plan_revenue` would otherwise
        read in a round trip of its own. The answer is taken with the locked rooms' inventory rows: only the
        slices of rooms this transaction holds are kept (a busy room's may change before it is held)."""
        conn = self._cursor.connection  # type: ignore[attr-defined]
        slices, sums = conn.cursor(), conn.cursor()
        slices.execute(_SLICES_OF_ROOMS, (rids,), prepare=False)
        sums.execute(_ESTIMATE.format("(SELECT DISTINCT host_id AS c, price_currency AS k FROM seat_inventory"
                                      " WHERE room_id = ANY(%b)) AS q"), (rids,), prepare=False)

        def take(held: Mapping[str, Any]) -> None:
            found, estimates = slices.fetchall(), sums.fetchall()
            slices.close()
            sums.close()
            fresh = {(rid, _col(inv, "price_currency", 7)) for rid, inv in held.items()} - self._slices.keys()
            for slot in fresh:  # a slice this transaction already holds may have changed since: kept as it is
                self._slices[slot] = None
            self._keep_slices(r for r in found if (_col(r, "room_id", 0), _col(r, "currency", 1)) in fresh)
            for r in estimates:
                self._base.setdefault((_col(r, "c", 0), _col(r, "k", 1)), int(_col(r, "l", 2)))
        return take

    def _keep_slices(self, rows: Iterable[Any]) -> None:
        for r in rows:
            slot = (_col(r, "room_id", 0), _col(r, "currency", 1))
            if slot in self._slices:
                self._slices[slot] = [_col(r, "creator_id", 2), int(_col(r, "quota", 3)), int(_col(r, "used", 4))]

    def _read_slices(self, slots: list[Slot], keys: list[Key]) -> None:
        """The slices of these held rooms, and L of these creators as committed (one round trip)."""
        slots = [s for s in slots if s not in self._slices]
        rids = sorted({rid for rid, _ in slots})
        found: list[Any] = []
        sums: list[Any] = []
        if self._pg and (rids or keys):  # type: ignore[attr-defined]
            with self._cursor.connection.cursor() as one, self._cursor.connection.cursor() as two:  # type: ignore[attr-defined]
                if rids:
                    one.execute(_SLICES_OF_ROOMS, (rids,), prepare=False)
                if keys:
                    two.execute(_ESTIMATE.format("unnest(%b::text[], %b::text[]) AS q(c, k)"),
                                ([c for c, _ in keys], [k for _, k in keys]), prepare=False)
                found = one.fetchall() if rids else []
                sums = two.fetchall() if keys else []
        elif rids or keys:
            for rid in rids:
                found += self._exec("SELECT room_id, currency, creator_id, quota, used FROM revenue_slices"  # type: ignore[attr-defined]
                                    " WHERE room_id = %s", (rid,)).fetchall()
            for key in keys:
                sums.append(self._one(_ESTIMATE.format("(SELECT %s AS c, %s AS k) AS q"), key))  # type: ignore[attr-defined]
        for slot in slots:
            self._slices[slot] = None
        self._keep_slices(found)
        for r in sums:
            self._base[(_col(r, "c", 0), _col(r, "k", 1))] = int(_col(r, "l", 2))

    def _flush_revenue(self) -> None:
        """Write the creator rows and slices changed in this transaction (all locked earlier)."""
        if self._dirty_rows:
            dirty = sorted(self._dirty_rows)
            if self._pg:  # type: ignore[attr-defined]
                self._cursor.execute(  # type: ignore[attr-defined]
                    "UPDATE creator_revenue AS r SET lifetime = d.lifetime, granted = d.granted"
                    " FROM unnest(%b::text[], %b::text[], %b::int8[], %b::int8[]) AS d(creator_id, currency, lifetime,"
                    " granted) WHERE r.creator_id = d.creator_id AND r.currency = d.currency",
                    ([c for c, _ in dirty], [k for _, k in dirty], [self._rows[d][0] for d in dirty],
                     [self._rows[d][1] for d in dirty]), prepare=False)
            else:
                for key in dirty:
                    self._exec("UPDATE creator_revenue SET lifetime = %s, granted = %s"  # type: ignore[attr-defined]
                               " WHERE creator_id = %s AND currency = %s", (*self._rows[key], *key))
            self._dirty_rows.clear()
        if self._dirty_slices:
            dirty_slots = sorted(self._dirty_slices)
            gone = [s for s in dirty_slots if self._slices[s] is None]
            kept = [(s, self._slices[s]) for s in dirty_slots if self._slices[s] is not None]
            for rid, currency in gone:
                self._exec("DELETE FROM revenue_slices WHERE room_id = %s AND currency = %s", (rid, currency))  # type: ignore[attr-defined]
            upsert = ("INSERT INTO revenue_slices (room_id, currency, creator_id, quota, used) {}"
                      " ON CONFLICT (room_id, currency) DO UPDATE SET creator_id = excluded.creator_id,"
                      " quota = excluded.quota, used = excluded.used")
            if kept and self._pg:  # type: ignore[attr-defined]
                self._cursor.execute(upsert.format(  # type: ignore[attr-defined]
                    "SELECT * FROM unnest(%b::text[], %b::text[], %b::text[], %b::int8[], %b::int8[])"),
                    ([s[0] for s, _ in kept], [s[1] for s, _ in kept], [p[0] for _, p in kept],
                     [p[1] for _, p in kept], [p[2] for _, p in kept]), prepare=False)
            else:
                for (rid, currency), piece in kept:
                    self._exec(upsert.format("VALUES (%s, %s, %s, %s, %s)"), (rid, currency, *piece))  # type: ignore[attr-defined]
            self._dirty_slices.clear()
