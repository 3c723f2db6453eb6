"""One column of a row from either driver: psycopg's dict rows or sqlite3.Row (by name, else by position)."""

from __future__ import annotations

from typing import Any


def column(row: Any, name: str, index: int = 0) -> Any:
    if isinstance(row, dict):
        return row[name]
    try:
        return row[name]
    except (IndexError, KeyError, TypeError):
        return row[index]
