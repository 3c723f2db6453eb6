"""Alembic migrations: one `upgrade head` creates every table on SQLite and PostgreSQL.

Each revision (versions/) holds its DDL and backfills as literal SQL, frozen
when it was written: editing application code never changes what a revision
creates. A read table's change is a new revision plus the same change in the
projection's DDL; tests/integration/test_migration_drift.py fails when the two
disagree, and tests/integration/test_migration_backfills.py checks that the
backfills leave an existing database as a rebuild from zero would.

May import: alembic, sqlalchemy and store/ (the database URL, store.env). Never
domain/, projections/, payouts/, integrations/ or api/ (the "Migrations import store only"
contract in pyproject.toml). Only api/ runs migrations (the "Floors" contract).
"""
