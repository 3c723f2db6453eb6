"""Admission signing keys, shared by every API process through one database row.

The row holds the keyring's records and a version (store/keyring_sql.py); rotation
is a compare-and-set on the version, so two processes rotating at once cannot fork
the keyring. Processes reload the row at most every `reload_seconds`
(well inside the retired-key retention of api/admission/keys.py).

The records hold private seeds, so the row holds them sealed under the
key-encryption key (api/key_encryption.py). A row written in plain text before
that is sealed the first time a process loads it (`seal_at_rest`, called at
start); `rotate_kek` re-seals the row under the current key-encryption key.
"""

from __future__ import annotations

import json
import logging
import threading
import time

from api.admission.keys import AdmissionKeyring
from api.key_encryption import KeyEncryption, is_sealed
from domain.clock import Clock
from store.db import Database
from store.keyring_sql import KeyringRow

log = logging.getLogger(__name__)


class KeyStore:
    def __init__(self, db: Database, clock: Clock, sealer: KeyEncryption, reload_seconds: float = 60.0) -> None:
        self._row = KeyringRow(db)
        self._clock = clock
        self._sealer = sealer
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

    def _records(self, stored: str) -> list:  # noqa: ANN401 - the keyring's JSON records
        return json.loads(self._sealer.open(stored) if is_sealed(stored) else stored)

    def _seal(self, ring: AdmissionKeyring) -> str:
        return self._sealer.seal(json.dumps(ring.to_records()))

    def _load_or_create(self) -> AdmissionKeyring:
        stored = self._row.load()
        if stored is None:
            self._row.create(self._seal(AdmissionKeyring.generate(self._clock)))
            stored = self._row.load()
        assert stored is not None  # Safeguard: created just above.
        return AdmissionKeyring.from_records(self._records(stored.records), clock=self._clock)

    def seal_at_rest(self) -> bool:
        """Seal a keyring stored in plain text (written before encryption at rest); True if it was."""
        stored = self._row.load()
        if stored is None or is_sealed(stored.records):
            return False
        # compare-and-set: a concurrent rotation wins, and is sealed
        self._row.replace(self._sealer.seal(stored.records), stored.version)
        log.info("admission signing keys sealed at rest under the key-encryption key")
        with self._lock:
            self._cached = None
        return True

    def rotate_kek(self) -> None:
        """Re-seal the stored keyring under the current (first) key-encryption key."""
        with self._row.locked() as row:
            if row.stored is None:
                return
            stored = row.stored.records
            row.write(self._sealer.reseal(stored) if is_sealed(stored) else self._sealer.seal(stored))
        with self._lock:
            self._cached = None

    def rotate(self, prune: bool = True) -> tuple[str, list[str]]:
        """Make a new current key (the old one stays published); returns (new kid, pruned kids)."""
        self.keyring()
        with self._row.locked() as row:
            assert row.stored is not None  # Safeguard: keyring() created it.
            ring = AdmissionKeyring.from_records(self._records(row.stored.records), clock=self._clock)
            new = ring.rotate()
            pruned = ring.prune() if prune else []
            row.write(self._seal(ring))
        with self._lock:
            self._cached = None
        return new.kid, pruned
