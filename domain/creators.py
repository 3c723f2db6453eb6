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

    @event("ProfileUpdated")
    def update_profile(self, display_name: str, follower_count: int) -> None:
        self.display_name = display_name
        self.follower_count = follower_count

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
