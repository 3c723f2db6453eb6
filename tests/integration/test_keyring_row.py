"""The admission keyring's row (store/keyring_sql.py): the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from store.db import Database
from store.keyring_sql import KeyringRow


@pytest.fixture(params=["sqlite", "postgresql"])
def row(request: pytest.FixtureRequest) -> Iterator[KeyringRow]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    db = Database(url)
    yield KeyringRow(db)
    db.close()


def test_the_first_keyring_stored_wins_and_starts_at_version_one(row: KeyringRow) -> None:
    row.create("first")
    row.create("second")

    stored = row.load()

    assert stored is not None and (stored.records, stored.version) == ("first", 1)


def test_a_replace_from_a_stale_version_changes_nothing(row: KeyringRow) -> None:
    row.create("first")
    row.replace("rotated", 1)

    row.replace("stale", 1)

    stored = row.load()
    assert stored is not None and (stored.records, stored.version) == ("rotated", 2)


def test_a_locked_write_replaces_the_records_read_under_the_lock(row: KeyringRow) -> None:
    with row.locked() as empty:
        assert empty.stored is None
    row.create("first")

    with row.locked() as locked:
        assert locked.stored is not None and locked.stored.records == "first"
        locked.write("resealed")

    stored = row.load()
    assert stored is not None and (stored.records, stored.version) == ("resealed", 2)
