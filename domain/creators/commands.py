"""Creator commands: register (or update) a creator, attest eligibility, look one up by user id."""

from __future__ import annotations

from domain.clock import Clock
from domain.creators.model import Creator
from domain.errors import NotFoundError
from domain.ids import creator_id_for
from domain.unit_of_work import UnitOfWork


class CreatorCommands:
    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self.uow, self.clock = uow, clock

    def register_creator(self, user_id: str, display_name: str, follower_count: int) -> tuple[Creator, int | None]:
        """Register the caller as a creator; registering again updates the profile."""
        creator = self.find_creator(user_id)
        if creator is None:
            creator = Creator(user_id=user_id, display_name=display_name, follower_count=follower_count,
                              registered_at=self.clock.now())
        else:
            if (creator.display_name, creator.follower_count) == (display_name, follower_count):
                return creator, None
            creator.update_profile(display_name, follower_count)
        return creator, self.uow.save(creator)

    def attest_eligibility(self, user_id: str, followers: int | None, age_verified: bool | None,
                           by: str) -> tuple[Creator, int | None]:
        """An admin or the platform service states a creator's follower count and age check."""
        creator = self.get_creator(user_id)
        if not creator.attest_eligibility(followers, age_verified, by, self.clock.now()):
            return creator, None
        return creator, self.uow.save(creator)

    def find_creator(self, user_id: str) -> Creator | None:
        return self.uow.find(Creator, creator_id_for(user_id))

    def get_creator(self, user_id: str) -> Creator:
        creator = self.find_creator(user_id)
        if creator is None:
            raise NotFoundError(f"creator {user_id} not found")
        return creator
