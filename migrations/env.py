"""Alembic environment: the database comes from the caller or BOXOFFICE_DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from store.env import configured_database_url, sqlalchemy_url

config = context.config
database_url = config.attributes.get("database_url") or configured_database_url()
engine = create_engine(sqlalchemy_url(database_url), poolclass=pool.NullPool)

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
