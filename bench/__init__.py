"""Benchmarks: `make bench` (quick) or `make bench FULL=1`; results and machines in bench/RESULTS.md.

What lives here: one module per measured path (flash sale, many rooms, admission, projection
catch-up, payout run, finance reads, memory, token verification), a load generator, and what
they share (common.py: a throw-away PostgreSQL database, the server, output files).

May import: anything, like tests/: it sits outside the import contracts of pyproject.toml, and
borrows tests/support (the server) and tests/stripe_standin. Nothing in the application imports it.
"""
