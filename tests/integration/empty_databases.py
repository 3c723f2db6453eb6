"""Empty throw-away databases (no migration run), for tests that migrate step by step or compare schemas.

`empty_database("sqlite", ...)` is a new file; `empty_database("postgresql", ...)`
a new database on the test server (tests/conftest.py: `postgres_admin_url`),
dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql


@contextmanager
def empty_database(engine: str, tmp_path: Path, postgres_admin_url: str | None = None) -> Iterator[str]:
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path / f'empty_{uuid.uuid4().hex[:8]}.db'}"
        return
    assert postgres_admin_url is not None, "a PostgreSQL database needs the test server's admin URL"
    name = f"boxoffice_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{postgres_admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
