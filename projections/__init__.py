"""Read models built from the event log, exactly once, rebuildable from zero.

What lives here: the projector (the log in order and in batches into read tables, with the
tracking position in the same transaction), each read model (catalog, ledger and its kept
balances, movements and rollups, payouts, attendance, webhook endpoints, the in-memory admission
index), rebuilds and parallel replay, read-your-writes waits, and queries/ (every read of those
tables that the API, the consoles and payout runs make).

May import: store/ and domain/ (events and value types). Never payouts/, integrations/, api/ or
migrations/ (the "Floors" contract in pyproject.toml). A migration never imports a projection:
its DDL is frozen in the revision, and tests/integration/test_migration_drift.py compares the two.

One style for every read model (projections/projection.py): a `Projection` class whose handlers
say in the class body which events they handle (`@handles(Ticket.Paid)`), writing through a view
interface with a PostgreSQL and a SQLite implementation (`<model>_view.py`; the engines differ only
by the `Rows` dialect of rows.py). The projector's runner loop is projector.py; batch steps and
positions batches.py; rebuilds rebuild.py and parallel_replay.py; waits waiting.py.
"""
