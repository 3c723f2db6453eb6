"""Alembic migrations: one `upgrade head` creates every table on SQLite and PostgreSQL."""
