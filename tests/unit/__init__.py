"""Unit tests: rules and pure code, with no I/O at all: no sockets, no SQLite files, no alembic.

The domain's rules through its commands on the in-memory store (store/memory.py: caps, one live
ticket, holds, refunds, the revenue split, codes), money and policies, the admission index, the
registries (projections, Stripe events). conftest.py's autouse guard (tests/support/no_io.py)
fails a test here that tries I/O; a test that needs a database file, a server or a process
belongs in integration/, a long hypothesis run against a reference in properties/.
May import: any application package and tests/support.
"""
