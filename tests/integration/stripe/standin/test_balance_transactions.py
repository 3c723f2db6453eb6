"""The stand-in's balance transactions: paging newest first within a created window, list limits."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe_standin import StripeStandIn, stripe_fee


def test_balance_transactions_page_newest_first_within_a_created_window(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    planted = [
        standin.add_balance_transaction(type="adjustment", amount=i, created=1_700_000_000 + i) for i in range(25)
    ]
    standin.add_balance_transaction(type="stripe_fee", amount=-5, created=1_700_000_010)

    first_page = client.v1.balance_transactions.list(params={"limit": 10, "type": "adjustment"})
    window = client.v1.balance_transactions.list(
        params={"limit": 10, "type": "adjustment", "created": {"gte": 1_700_000_005, "lt": 1_700_000_020}}
    )
    every = list(client.v1.balance_transactions.list(params={"limit": 10, "type": "adjustment"}).auto_paging_iter())

    assert len(first_page.data) == 10 and first_page.has_more is True and first_page.url == "/v1/balance_transactions"
    assert [t.id for t in every] == [t["id"] for t in reversed(planted)]
    assert [t.amount for t in window.auto_paging_iter()] == list(range(19, 4, -1))
    pages = [r for r in standin.requests if r.path == "/v1/balance_transactions"]
    assert len(pages) == 1 + 2 + 3  # first page, the window's two, auto-paging's three


def test_list_limits_are_stripes(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as too_many:
        client.v1.balance_transactions.list(params={"limit": 101})

    assert too_many.value.param == "limit"
