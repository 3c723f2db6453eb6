"""Creators register themselves and read their profile."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.auth import Creator, CurrentUser
from api.deps import ServicesDep, wait_for
from api.presenters import creator_public
from api.problems import Problem
from api.schemas import CreatorCreate, CreatorPublic

router = APIRouter(prefix="/v1/creators", tags=["creators"])


@router.post("", response_model=CreatorPublic, status_code=201)
def register_creator(body: CreatorCreate, user: Creator, services: ServicesDep, response: Response) -> CreatorPublic:
    """Register the caller as a creator; registering again updates the profile (200)."""
    existed = services.app.find_creator(user.sub) is not None
    creator, position = services.app.register_creator(user.sub, body.display_name, body.follower_count)
    wait_for(services, position)
    if existed:
        response.status_code = 200
    return creator_public(creator, services.app.policies.eligibility, private=True)


@router.get("/{creator_id}", response_model=CreatorPublic)
def get_creator(creator_id: str, user: CurrentUser, services: ServicesDep) -> CreatorPublic:
    if user.sub != creator_id and not user.has("finance"):
        raise Problem("forbidden", "a creator's profile is visible to the creator, finance and admins")
    creator = services.app.get_creator(creator_id)
    return creator_public(creator, services.app.policies.eligibility, private=True)
