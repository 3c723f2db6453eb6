"""The revisions, one module each (alembic skips this file), frozen when written: literal SQL.

A package only so that import-linter's contracts see the revisions' imports:
without this file the `migrations` contract would not look at them at all.
May import: alembic and sqlalchemy. Never domain/, projections/, payouts/, integrations/ or api/.
"""
