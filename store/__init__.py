"""The store: the one persistence adapter, under everything but the domain.

What lives here: the event store's recorders (SQLite, the embedded default, and PostgreSQL), the
write guards in SQL (seat, tier, code and transfer counters, taken in one global lock order), the
small SQL layer the read tables use (db.py), the database URL (env.py), exact microsecond
timestamps (timecodes.py), the fast transcoder, the named run lock, and the in-memory recorder and
guards (memory.py) that let domain rules run as unit tests with no I/O.

May import: domain/ (the ports it implements), eventsourcing, psycopg, sqlite3 and the stdlib.
Never projections/, payouts/, integrations/, api/ or migrations/ (the "Floors" contract in
pyproject.toml, checked by `lint-imports`).
"""
