"""Read models built from the event log, exactly once, rebuildable from zero.

What lives here: the projector (the log in order and in batches into read tables, with the
tracking position in the same transaction), each read model (catalog, ledger and its kept
balances, movements and rollups, payouts, attendance, webhook endpoints, the in-memory admission
index), rebuilds and parallel replay, read-your-writes waits, and queries/ (every read of those
tables that the API, the consoles and payout runs make).

May import: store/ and domain/ (events and value types). Never payouts/, integrations/, api/ or
migrations/ (the "Floors" contract in pyproject.toml). A migration never imports a projection:
its DDL is frozen in the revision, and tests/integration/test_migration_drift.py compares the two.
"""
