"""Dependencies shared by the routers: the services, ids from paths, read-your-writes, and the one
authorization guard (`owner_or`) every route that serves "its owner, or these roles" declares.

May import: api/ (bootstrap, auth, problems) and, for the guard's loaders, domain/ and payouts/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from api.auth import CurrentUser, Principal
from api.bootstrap import Services
from api.problems import Problem
from integrations.webhook_events import finance_types
from payouts.model import Payout


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
    head = await run_in_threadpool(services.app.uow.position)
    await services.projector.wait_async(head, services.settings.read_your_writes_timeout)


FreshReads = Depends(fresh_reads)


# --- the one authorization guard --------------------------------------------------------------------


@dataclass(frozen=True)
class Owned:
    """What a request names, and how to find who owns it: the path (or query) parameter that names
    it, what it is called in a 404, and a loader answering (the thing, its owners' user ids).
    `load` None: the parameter is the owner's user id itself (a creator)."""

    param: str
    what: str
    load: Callable[[Services, UUID], tuple[Any, tuple[str, ...]]] | None = None
    in_query: bool = False  # a filter (`?creator_id=`), not a path segment: absent means "every one"


ROOM = Owned("room_id", "room", lambda s, rid: (room := s.app.get_room(rid), (room.host_id,)))
TICKET = Owned("ticket_id", "ticket",  # its holder and the room's host
               lambda s, tid: (ticket := s.app.get_ticket(tid), (ticket.holder_id, ticket.host_id)))
PAYOUT = Owned("payout_id", "payout", lambda s, pid: (payout := s.app.uow.load(Payout, pid, "payout"), (payout.creator_id,)))
CREATOR = Owned("creator_id", "creator")
CREATOR_FILTER = Owned("creator_id", "creator", in_query=True)


@dataclass(frozen=True)
class Allowed:
    """The caller, let in: `id` is what the request named (a UUID, or a creator's user id; None for a
    filter left out by a caller whose role sees everything) and `subject` the thing loaded, if any."""

    user: Principal
    id: Any
    subject: Any = None


def owner_or(owned: Owned, *roles: str, rule: str, role: str | None = None, owner_role: str | None = None,
             load: bool = True, default_to_caller: bool = False) -> Any:
    """The dependency for "the owner of what the request names, or a caller with one of `roles`"
    (admins hold every role). In order, as the routes always answered:

    1. `role`, when given, is needed by everyone (403 naming it), owner or not;
    2. the id is parsed (404 for one that names nothing we have) and the thing loaded (404);
       `load=False` skips loading for callers holding `roles` (a media server polling a feed);
    3. the caller must own it (holding `owner_role` too, when given) or hold one of `roles`,
       else 403 `forbidden` with `rule` as detail.

    A query filter (`CREATOR_FILTER`) left out is allowed to `roles`; with `default_to_caller`
    anyone else sees their own (the id becomes the caller's), without it they are refused.
    """

    def owns(user: Principal, owners: tuple[str, ...]) -> bool:
        return user.sub in owners and (owner_role is None or user.has(owner_role))

    async def guard(request: Request, user: CurrentUser, services: ServicesDep) -> Allowed:
        # Async: only loading the thing touches the database, so only that goes to a worker thread.
        if role is not None and not user.has(role):
            raise Problem("forbidden", f"this needs one of the roles: {role}")
        raw = (request.query_params if owned.in_query else request.path_params).get(owned.param)
        if raw is None:  # only a query filter may be absent
            if user.has(*roles):
                return Allowed(user, None)
            if default_to_caller and owns(user, (user.sub,)):
                return Allowed(user, user.sub)
            raise Problem("forbidden", rule)
        if owned.load is None:
            if not owns(user, (raw,)) and not user.has(*roles):
                raise Problem("forbidden", rule)
            return Allowed(user, raw)
        key = parse_id(raw, owned.what)
        if not load and user.has(*roles):
            return Allowed(user, key)
        subject, owners = await run_in_threadpool(owned.load, services, key)
        if not owns(user, owners) and not user.has(*roles):
            raise Problem("forbidden", rule)
        return Allowed(user, key, subject)

    return Depends(guard)


# Each route that serves an owner or a role declares one of these (and nothing else decides who may).
TicketReader = Annotated[Allowed, owner_or(
    TICKET, "finance", rule="a ticket is visible to its holder, the room's host, finance and admins")]
RoomBuyersReader = Annotated[Allowed, owner_or(
    ROOM, "admin", role="creator", rule="only the room's host sees its buyers")]
RevocationsReader = Annotated[Allowed, owner_or(
    ROOM, "media", "finance", load=False, rule="the revocation feed is for media servers, the host and finance")]
AttendanceReader = Annotated[Allowed, owner_or(
    ROOM, "finance", rule="attendance is visible to the room's host, finance and admins")]
PayoutReader = Annotated[Allowed, owner_or(
    PAYOUT, "finance", rule="a payout is visible to its creator and finance")]
PayoutsLister = Annotated[Allowed, owner_or(
    CREATOR_FILTER, "finance", owner_role="creator", default_to_caller=True,
    rule="creators see their own payouts; finance sees all")]
RevenueReader = Annotated[Allowed, owner_or(
    CREATOR_FILTER, "finance", owner_role="creator", rule="revenue reports are for finance; a creator may read their own (creator_id)")]
EarningsReader = Annotated[Allowed, owner_or(
    CREATOR, "finance", rule="earnings are visible to the creator, finance and admins")]
CreatorReader = Annotated[Allowed, owner_or(
    CREATOR, "finance", rule="a creator's profile is visible to the creator, finance and admins")]
PayoutAccountManager = Annotated[Allowed, owner_or(
    CREATOR, "admin", role="creator", rule="a creator manages only their own payout account")]
PayoutAccountReader = Annotated[Allowed, owner_or(
    CREATOR, "finance", rule="a payout account is visible to its creator, finance and admins")]
CreatorCodeMaker = Annotated[Allowed, owner_or(
    CREATOR, "admin", role="creator", rule="a creator makes codes for their own rooms")]


@dataclass(frozen=True)
class Refunder:
    """Who refunds a ticket, and so which refund it is: `own` for its holder refunding themself
    (in full, inside the room's refund window); otherwise a creator, whom the domain holds to
    being the room's host (or an admin, who may refund part)."""

    user: Principal
    ticket_id: UUID
    own: bool


async def refunder(ticket_id: str, user: CurrentUser, services: ServicesDep) -> Refunder:
    tid = parse_id(ticket_id, "ticket")
    ticket = await run_in_threadpool(services.app.get_ticket, tid)
    if user.sub == ticket.holder_id and user.sub != ticket.host_id and not user.is_admin:
        return Refunder(user, tid, own=True)
    if not user.has("creator"):
        raise Problem("forbidden", "refunds are made by the room's host or an admin")
    return Refunder(user, tid, own=False)


TicketRefunder = Annotated[Refunder, Depends(refunder)]


def may_manage_webhooks(user: Principal, events: list[str]) -> None:
    """Integrators' webhook endpoints are managed by admins; finance manages those that carry
    finance events only (else 403 naming the rule)."""
    if user.has("admin"):
        return
    if user.has("finance") and set(events) <= finance_types():
        return
    raise Problem("forbidden", "webhook endpoints are managed by admins; finance may manage endpoints for "
                               f"{', '.join(sorted(finance_types()))} only")


async def managed_endpoint(endpoint_id: str, user: CurrentUser, services: ServicesDep) -> Allowed:
    """The webhook endpoint the path names (404), if the caller may manage it (403)."""
    eid = parse_id(endpoint_id, "webhook endpoint")
    endpoint = await run_in_threadpool(services.app.get_webhook_endpoint, eid)
    may_manage_webhooks(user, endpoint.events)
    return Allowed(user, eid, endpoint)


ManagedEndpoint = Annotated[Allowed, Depends(managed_endpoint)]
