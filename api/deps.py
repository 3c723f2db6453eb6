"""Dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

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
    if position:
        services.projector.wait(position, timeout=services.settings.read_your_writes_timeout)


async def fresh_reads(request: Request) -> None:
    """Reads of the projections see every write committed before the request began.

    The purchase answers as soon as its transaction commits (waiting for the
    projector there would halve a flash sale's throughput), so the read side
    keeps read-your-writes instead: it waits, bounded by
    BOXOFFICE_READ_YOUR_WRITES_TIMEOUT, until the projections reach the log head
    as of now. That covers writes made through any API process.
    """
    services: Services = request.app.state.services
    head = await run_in_threadpool(services.app.position)
    await services.projector.wait_async(head, services.settings.read_your_writes_timeout)


FreshReads = Depends(fresh_reads)
