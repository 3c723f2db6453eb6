"""Unit tests: rules and pure code, with no I/O at all: no sockets, no SQLite files, no alembic.

Value types and policies, tokens and their verifiers, the transcoder, the admission index; domain
rules belong here too when they run on the in-memory store (store/memory.py). A test that needs a
database file, a server or a process belongs in integration/. May import: any application package.
"""
