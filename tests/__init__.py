"""The test suite, split by what a test needs (README, Tests); one make target each.

unit/ (`make test-unit`): no I/O at all: no sockets, no SQLite files, no alembic; the domain's
  rules on the in-memory store, in a few seconds.
properties/ (`make test-properties`): no I/O either; hypothesis against a reference (PyJWT, the
  library's transcoder), CPU-bound.
integration/ (`make test-integration`): SQLite and PostgreSQL (contract tests on both), worker
  processes, the Stripe and LiveKit stand-ins, the money simulation; one folder per area.
api/ (`make test-api`): every route through HTTP, in process, on a temporary SQLite store.
e2e/ (`make test-e2e`): a running server, and the consoles in headless Chromium.
Helpers beside them: conftest.py (fixtures for all), support/ (a server in its own processes,
fakes, a TCP proxy, the guard port's contract words, the no-I/O guard), stripe_standin/, livekit_standin/.

May import: anything; tests sit outside the import contracts of pyproject.toml. Nothing in the
application imports tests (bench/ borrows support/ and stripe_standin/).
"""
