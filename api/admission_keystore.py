"""Admission signing keys, shared by every API process through one database row.

The row holds the keyring's records and a version; rotation is a
compare-and-set on the version, so two processes rotating at once cannot fork
the keyring. Processes reload the row at most every `reload_seconds`
(well inside the retired-key retention of api/admission_keys.py).
"""

from __future__ import annotations

import json
import threading
import time

from api.admission_keys import AdmissionKeyring
from store.db import Database
from domain.clock import Clock


class KeyStore:
    def __init__(self, db: Database, clock: Clock, reload_seconds: float = 60.0) -> None:
        self._db = db
        self._clock = clock
        self._reload_seconds = reload_seconds
        self._lock = threading.Lock()
        self._cached: AdmissionKeyring | None = None
        self._loaded_at = 0.0

    def keyring(self) -> AdmissionKeyring:
        with self._lock:
            if self._cached is None or time.monotonic() - self._loaded_at > self._reload_seconds:
                self._cached = self._load_or_create()
                self._loaded_at = time.monotonic()
            return self._cached

    def _load_or_create(self) -> AdmissionKeyring:
        row = self._db.query_one("SELECT records FROM admission_keyring WHERE id = 1")
        if row is None:
            fresh = AdmissionKeyring.generate(self._clock)
            with self._db.transaction() as tx:
                tx.execute("INSERT INTO admission_keyring (id, records, version) VALUES (1, %s, 1) ON CONFLICT (id) DO NOTHING",
                           (json.dumps(fresh.to_records()),))
            row = self._db.query_one("SELECT records FROM admission_keyring WHERE id = 1")
        assert row is not None  # Safeguard: inserted just above.
        return AdmissionKeyring.from_records(json.loads(row["records"]), clock=self._clock)

    def rotate(self, prune: bool = True) -> tuple[str, list[str]]:
        """Make a new current key (the old one stays published); returns (new kid, pruned kids)."""
        self.keyring()
        lock = " FOR UPDATE" if self._db.dialect == "postgresql" else ""
        with self._db.transaction() as tx:
            row = tx.one("SELECT records, version FROM admission_keyring WHERE id = 1" + lock)
            assert row is not None  # Safeguard: keyring() created it.
            ring = AdmissionKeyring.from_records(json.loads(row["records"]), clock=self._clock)
            new = ring.rotate()
            pruned = ring.prune() if prune else []
            tx.execute("UPDATE admission_keyring SET records = %s, version = version + 1 WHERE id = 1 AND version = %s",
                       (json.dumps(ring.to_records()), row["version"]))
        with self._lock:
            self._cached = None
        return new.kid, pruned
