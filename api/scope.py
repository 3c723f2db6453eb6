"""Reading an ASGI scope directly, for the hot paths that skip Starlette's Request."""

from __future__ import annotations

from typing import Any


def header(scope: Any, name: bytes) -> bytes | None:
    """The first value of a request header (`name` in lower case), or None. Building
    Starlette's Headers for one value costs more than the lookups it feeds."""
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None
