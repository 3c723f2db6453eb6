"""The revisions, one module each (alembic skips this file).

A package only so that import-linter's contracts see the revisions' imports:
without this file the `migrations` contract would not look at them at all.
"""
