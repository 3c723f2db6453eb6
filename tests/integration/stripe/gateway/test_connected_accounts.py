"""StripeGateway's connected accounts: one per creator, fresh onboarding links, status following onboarding."""

from __future__ import annotations


from payouts.stripe_gateway import StripeGateway
from tests.stripe_standin import StripeStandIn


def test_a_new_express_account_is_pending_and_created_once_per_creator(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    first = gateway.create_connected_account("creator-7", email="c7@example.test")
    again = gateway.create_connected_account("creator-7", email="c7@example.test")

    assert again == first and first.status == "pending" and first.requirements_due
    stored = standin.objects("account")
    assert len(stored) == 1 and stored[0]["type"] == "express" and stored[0]["metadata"] == {"creator_id": "creator-7"}
    assert stored[0]["capabilities"] == {"card_payments": "inactive", "transfers": "inactive"}
    assert standin.requests[0].idempotency_key == "acct-creator-7"


def test_an_onboarding_link_is_a_fresh_url_each_time(standin: StripeStandIn, gateway: StripeGateway) -> None:
    account = gateway.create_connected_account("creator-8")

    links = {
        gateway.onboarding_link(account.account_id, "https://app.test/refresh", "https://app.test/done")
        for _ in range(2)
    }

    assert len(links) == 2 and all(link.startswith(standin.url) for link in links)


def test_account_status_follows_onboarding(standin: StripeStandIn, gateway: StripeGateway) -> None:
    account = gateway.create_connected_account("creator-9").account_id

    standin.set_account_status(
        account, charges_enabled=False, payouts_enabled=False, currently_due=["external_account"]
    )
    restricted = gateway.get_connected_account(account)
    standin.set_account_status(account, charges_enabled=False, payouts_enabled=False, currently_due=[])
    verifying = gateway.get_connected_account(account)
    standin.set_account_status(account, charges_enabled=True, payouts_enabled=True)
    enabled = gateway.get_connected_account(account)

    assert (restricted.status, restricted.requirements_due) == ("restricted", ("external_account",))
    assert verifying.status == "pending"
    assert (enabled.status, enabled.charges_enabled, enabled.payouts_enabled) == ("enabled", True, True)
