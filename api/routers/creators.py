"""Creators register themselves and read their profile."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.auth import Creator, Platform
from api.deps import CreatorReader, PayoutAccountManager, PayoutAccountReader, ServicesDep, wait_for
from api.presenters import creator_public
from api.problems import Problem
from api.schemas import CreatorCreate, CreatorPublic, EligibilityAttestation, PayoutAccountPublic

router = APIRouter(prefix="/v1/creators", tags=["creators"])


@router.post("", response_model=CreatorPublic, status_code=201,
             responses={200: {"model": CreatorPublic, "description": "Registered before: the profile, updated"}})
def register_creator(body: CreatorCreate, user: Creator, services: ServicesDep, response: Response) -> CreatorPublic:
    """Register the caller as a creator; registering again updates the profile (200)."""
    existed = services.app.find_creator(user.sub) is not None
    creator, position = services.app.register_creator(user.sub, body.display_name, body.follower_count)
    wait_for(services, position)
    if existed:
        response.status_code = 200
    return creator_public(creator, services.app.policies.eligibility, private=True, claims=user.claims)


@router.get("/{creator_id}", response_model=CreatorPublic)
def get_creator(creator_id: str, allowed: CreatorReader, services: ServicesDep) -> CreatorPublic:
    """A creator's profile, for the creator, finance and admins."""
    user = allowed.user
    creator = services.app.get_creator(creator_id)
    return creator_public(creator, services.app.policies.eligibility, private=True,
                          claims=user.claims if user.sub == creator_id else None)


@router.put("/{creator_id}/eligibility", response_model=CreatorPublic)
def attest_eligibility(creator_id: str, body: EligibilityAttestation, user: Platform,
                       services: ServicesDep) -> CreatorPublic:
    """A trusted statement of the creator's follower count and age check (role `platform` or
    `admin`): what the eligibility rules judge when the creator's token carries no signed claims."""
    creator, position = services.app.attest_eligibility(creator_id, body.followers, body.age_verified, user.sub)
    wait_for(services, position)
    return creator_public(creator, services.app.policies.eligibility, private=True)


@router.post("/{creator_id}/payout-account", response_model=PayoutAccountPublic, status_code=201,
             responses={200: {"model": PayoutAccountPublic, "description": "The account made before, a fresh link"}})
def open_payout_account(creator_id: str, allowed: PayoutAccountManager, services: ServicesDep,
                        response: Response) -> PayoutAccountPublic:
    """Create the creator's connected (Express) account once and return an onboarding link.
    Calling again returns the same account (200) with a fresh link. Until the account is
    enabled the creator can still sell; their earnings wait."""
    existed = services.app.get_creator(creator_id).payout_account_id is not None
    creator, position = services.app.open_payout_account(creator_id)
    wait_for(services, position)
    base = services.settings.public_base_url.rstrip("/")
    link = services.app.onboarding_link(
        creator_id, refresh_url=f"{base}/v1/creators/{creator_id}/payout-account/refresh",
        return_url=f"{base}/v1/creators/{creator_id}/payout-account",
    )
    if existed:
        response.status_code = 200
    return PayoutAccountPublic(account_id=creator.payout_account_id or "", status=creator.payout_account_status or "pending",
                               provider=services.gateway.name, onboarding_url=link)


@router.get("/{creator_id}/payout-account", response_model=PayoutAccountPublic)
def get_payout_account(creator_id: str, allowed: PayoutAccountReader, services: ServicesDep) -> PayoutAccountPublic:
    """The account's status: pending, enabled or restricted (kept current from `account.updated`)."""
    creator = services.app.get_creator(creator_id)
    if creator.payout_account_id is None:
        raise Problem("not_found", "the creator has no payout account yet; POST to create it")
    return PayoutAccountPublic(account_id=creator.payout_account_id, status=creator.payout_account_status or "pending",
                               provider=services.gateway.name)
