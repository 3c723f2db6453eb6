"""The admission keyring's one row (`admission_keyring`, id = 1): its stored records and a version.

Every API process signs admission tokens with the same keys, so they live in the
database they share. The records arrive here already sealed (or, from before
encryption at rest, in plain text): this module stores text and never looks
inside. Every change is a compare-and-set on `version`, so two processes
rotating at once cannot fork the keyring; `locked` holds the row (FOR UPDATE on
PostgreSQL, SQLite's one writer otherwise) for a read-decide-write.

May import: store/ only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from store.db import Database, Tx

_SELECT = "SELECT records, version FROM admission_keyring WHERE id = 1"
_UPDATE = "UPDATE admission_keyring SET records = %s, version = version + 1 WHERE id = 1 AND version = %s"


@dataclass(frozen=True)
class StoredKeyring:
    records: str  # sealed JSON records, or plain JSON written before encryption at rest
    version: int


class LockedKeyring:
    """The row inside one transaction: `stored` as read under the lock, `write` to replace it."""

    def __init__(self, tx: Tx, stored: StoredKeyring | None) -> None:
        self._tx = tx
        self.stored = stored

    def write(self, records: str) -> None:
        """Replace the records, only if the version is still the one read (compare-and-set)."""
        assert self.stored is not None  # Safeguard: there is nothing to replace.
        self._tx.execute(_UPDATE, (records, self.stored.version))


class KeyringRow:
    def __init__(self, db: Database) -> None:
        self._db = db

    def load(self) -> StoredKeyring | None:
        row = self._db.query_one(_SELECT)
        return StoredKeyring(row["records"], int(row["version"])) if row else None

    def create(self, records: str) -> None:
        """Store the first keyring; a keyring another process stored first wins (nothing changes)."""
        with self._db.transaction() as tx:
            tx.execute("INSERT INTO admission_keyring (id, records, version) VALUES (1, %s, 1) ON CONFLICT (id) DO NOTHING",
                       (records,))

    def replace(self, records: str, version: int) -> None:
        """Replace the records if the row is still at `version`; a concurrent change wins."""
        with self._db.transaction() as tx:
            tx.execute(_UPDATE, (records, version))

    @contextmanager
    def locked(self) -> Iterator[LockedKeyring]:
        """The row for a read-decide-write in one transaction (None as `stored` if there is none yet)."""
        lock = " FOR UPDATE" if self._db.dialect == "postgresql" else ""
        with self._db.transaction() as tx:
            row = tx.one(_SELECT + lock)
            yield LockedKeyring(tx, StoredKeyring(row["records"], int(row["version"])) if row else None)
