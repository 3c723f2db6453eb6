"""Creators' payout accounts at the processor (Stripe Connect Express)."""

from __future__ import annotations

from domain.creators.commands import CreatorCommands
from domain.creators.model import Creator
from domain.errors import NotFoundError
from domain.guards import WriteGuards
from domain.payments import PaymentGateway
from domain.unit_of_work import UnitOfWork


class AccountCommands:
    def __init__(self, uow: UnitOfWork, gateway: PaymentGateway, creators: CreatorCommands) -> None:
        self.uow, self.gateway, self.creators = uow, gateway, creators

    def open_payout_account(self, user_id: str) -> tuple[Creator, int | None]:
        """Create the creator's connected account once; calling again returns it."""
        creator = self.creators.get_creator(user_id)
        if creator.payout_account_id is not None:
            return creator, None
        account = self.gateway.create_connected_account(user_id)
        creator.open_payout_account(account.account_id, account.status, self.gateway.name)

        def decide(guards):
            guards.link_account(account.account_id, user_id, account.status)
            return creator, [creator]

        return self.uow.transact(decide)

    def onboarding_link(self, user_id: str, refresh_url: str, return_url: str) -> str:
        creator = self.creators.get_creator(user_id)
        if creator.payout_account_id is None:
            raise NotFoundError("the creator has no payout account yet")
        return self.gateway.onboarding_link(creator.payout_account_id, refresh_url, return_url)

    def update_payout_account(
        self, account_id: str, status: str, dedupe_key: str | None = None
    ) -> tuple[Creator | None, int | None]:
        """Apply an `account.updated` status to whichever creator owns the account."""
        user_id = self.uow.guards.creator_of_account(account_id)
        if user_id is None:
            return None, None
        creator = self.creators.get_creator(user_id)
        creator.update_payout_account(status)
        return self.uow.transact(lambda guards: self._account_status(guards, creator), dedupe_key)

    @staticmethod
    def _account_status(guards: WriteGuards, creator: Creator) -> tuple[Creator, list[Creator]]:
        """Keep the guard row's copy of the account status (read by payout runs) in step,
        in the same transaction as the creator's event."""
        if creator.payout_account_id and creator.payout_account_status:
            guards.set_account_status(creator.payout_account_id, creator.payout_account_status)
        return creator, [creator]

