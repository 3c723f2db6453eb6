"""HTTP tests: the API's contract, one test per outcome, through a TestClient in process.

On a temporary SQLite store with the root fixtures (tests/conftest.py); builders.py makes callers,
rooms and tickets. A test that needs a stand-in, PostgreSQL or another process belongs in
integration/. May import: anything.
"""
