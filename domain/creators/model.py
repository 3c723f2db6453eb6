"""The Creator aggregate: a user who may host rooms once eligible."""

from __future__ import annotations

from datetime import datetime

from eventsourcing.domain import Aggregate, event

from domain.ids import creator_id_for


class Creator(Aggregate):
    @staticmethod
    def create_id(user_id: str, **_: object):  # type: ignore[override]
        return creator_id_for(user_id)

    @event("Registered")
    def __init__(self, user_id: str, display_name: str, follower_count: int, registered_at: datetime) -> None:
        self.user_id = user_id
        self.display_name = display_name
        self.follower_count = follower_count
        self.registered_at = registered_at
        self.payout_account_id: str | None = None
        self.payout_account_status: str | None = None
        self.attested_followers: int | None = None  # from an admin or the platform service, never the creator
        self.attested_age_verified: bool | None = None

    @event("ProfileUpdated")
    def update_profile(self, display_name: str, follower_count: int) -> None:
        self.display_name = display_name
        self.follower_count = follower_count

    def attest_eligibility(self, followers: int | None, age_verified: bool | None, by: str, at: datetime) -> bool:
        """Record what a trusted source says; False if it says nothing new."""
        if (followers, age_verified) == (self.attested_followers, self.attested_age_verified):
            return False
        self._attest_eligibility(followers=followers, age_verified=age_verified, attested_by=by, at=at)
        return True

    @event("EligibilityAttested")
    def _attest_eligibility(self, followers: int | None, age_verified: bool | None, attested_by: str,
                            at: datetime) -> None:
        self.attested_followers = followers
        self.attested_age_verified = age_verified

    @event("PayoutAccountOpened")
    def open_payout_account(self, account_id: str, status: str, provider: str) -> None:
        self.payout_account_id = account_id
        self.payout_account_status = status

    def update_payout_account(self, status: str) -> None:
        if status != self.payout_account_status:
            self._update_payout_account(status)

    @event("PayoutAccountStatusChanged")
    def _update_payout_account(self, status: str) -> None:
        self.payout_account_status = status
