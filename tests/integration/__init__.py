"""Integration tests: the application on real stores and real processes.

SQLite and PostgreSQL (contract tests run on both; PostgreSQL tests create and drop their own
databases), uvicorn worker processes, the Stripe and LiveKit stand-ins, the migrations (drift,
backfills), the import contracts, and the money simulation (`make simulate`). One folder per area:
domain/, projections/, payouts/, integrations/, stripe/; cross-area tests sit here at the top.
May import: any application package and tests/ helpers.
"""
