"""Dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request

from api.bootstrap import Services
from api.problems import Problem


async def get_services(request: Request) -> Services:
    """Async on purpose: a sync dependency costs every request a thread-pool hop."""
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def parse_id(value: str, what: str) -> UUID:
    """Ids in paths are UUIDs; anything else names nothing we have."""
    try:
        return UUID(value)
    except ValueError:
        raise Problem("not_found", f"{what} {value} not found") from None


def wait_for(services: Services, position: int | None) -> None:
    """Read-your-writes: let the read tables reach the caller's own write (bounded)."""
    projector = services.extras.get("projector")
    if projector is not None and position:
        projector.wait(position, timeout=services.settings.read_your_writes_timeout)  # type: ignore[attr-defined]
