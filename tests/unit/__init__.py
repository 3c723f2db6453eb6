"""Unit tests: rules and pure code, with no I/O at all: no sockets, no SQLite files, no alembic.

The domain's rules on the in-memory store (store/memory.py: caps, one live ticket, holds,
refunds, the revenue split, codes), value types and policies, tokens and their verifiers, the
transcoder, the admission index. conftest.py's autouse guard (tests/support/no_io.py) fails a
test here that tries I/O; a test that needs a database file, a server or a process belongs in
integration/. May import: any application package.
"""
