"""Turn `BOXOFFICE_DATABASE_URL` into eventsourcing and SQLAlchemy settings."""

from __future__ import annotations

import os
from urllib.parse import unquote, urlparse

TRANSCODER_TOPIC = "store.transcoder:FastJSONTranscoder"
DEFAULT_DATABASE_URL = "sqlite:///./var/boxoffice.db"
MEMORY_URL = "memory://"  # events and write guards in this process's memory (store/memory.py): fast tests


def configured_database_url() -> str:
    """`BOXOFFICE_DATABASE_URL`, or the embedded default: for tools (alembic) that run without the app's settings."""
    return os.environ.get("BOXOFFICE_DATABASE_URL") or DEFAULT_DATABASE_URL


def eventsourcing_env(database_url: str, pool_size: int = 10, connect_timeout: int = 5) -> dict[str, str]:
    """The environment of the eventsourcing application for a database URL.

    Alembic owns every table (`CREATE_TABLE=false`); the recorder is ours, so
    commands can run the write guards in the same transaction as their events.
    The transcoder writes what the library's does and reads it faster (store/transcoder.py).
    `MEMORY_URL` keeps everything in memory (store/memory.py), for tests of the domain.
    """
    if database_url == MEMORY_URL:
        return {
            "PERSISTENCE_MODULE": "store.memory:MemoryFactory",
            "APPLICATION_RECORDER_TOPIC": "store.memory:GuardedMemoryRecorder",
            "TRANSCODER_TOPIC": TRANSCODER_TOPIC,
        }
    if database_url.startswith("sqlite:///"):
        path = sqlite_path(database_url)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": "store.recorders:GuardedSQLiteRecorder",
            "TRANSCODER_TOPIC": TRANSCODER_TOPIC,
            "CREATE_TABLE": "false",
        }
    url = urlparse(database_url.replace("postgresql+psycopg://", "postgresql://"))
    if url.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"unsupported database URL {database_url!r}: use sqlite:/// or postgresql://")
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": (url.path or "/postgres").lstrip("/"),
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(pool_size),
        "POSTGRES_CONN_MAX_AGE": "3600",
        # How long a request waits for a connection before the database counts as unreachable
        # (a 503 with Retry-After); the library's default, 30 s, held every request that long.
        "POSTGRES_CONNECT_TIMEOUT": str(connect_timeout),
        "APPLICATION_RECORDER_TOPIC": "store.recorders:GuardedPostgresRecorder",
        "TRANSCODER_TOPIC": TRANSCODER_TOPIC,
        "CREATE_TABLE": "false",
    }


def sqlite_path(database_url: str) -> str:
    path = database_url[len("sqlite:///"):]
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    return path


def sqlalchemy_url(database_url: str) -> str:
    if database_url.startswith("sqlite:///"):
        return database_url
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix):]
    raise ValueError(f"unsupported database URL {database_url!r}")
