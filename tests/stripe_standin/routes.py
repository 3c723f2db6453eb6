"""The endpoints the stand-in models, by Stripe resource, and the handler each one calls.

Anything else is Stripe's 404 `Unrecognized request URL` (server.py). Adding an endpoint is a line here
and a method on the resource's module (payment_intents, refunds, accounts, transfers, payouts, ...).

May import: the stdlib and the stand-in's own modules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.stripe_standin.connect import Connect
from tests.stripe_standin.objects import Context, Store
from tests.stripe_standin.payments import Payments
from tests.stripe_standin.wire import Params

Handler = Callable[[Context, Params, dict[str, str]], dict[str, Any]]


def routes(payments: Payments, connect: Connect, store: Store) -> list[tuple[str, re.Pattern[str], Handler]]:
    """Every endpoint the stand-in models; anything else is Stripe's 404 `Unrecognized request URL`."""

    def retrieve(kind: str) -> Handler:
        return lambda ctx, params, path: store.retrieve(ctx, kind, path["id"], params)

    by_field = lambda name: lambda obj, wanted: obj.get(name) == wanted  # noqa: E731
    table: list[tuple[str, str, Handler]] = [
        ("POST", "/v1/payment_intents", lambda ctx, params, _: payments.create_payment_intent(ctx, params)),
        ("GET", "/v1/payment_intents/{id}", retrieve("payment_intent")),
        (
            "POST",
            "/v1/payment_intents/{id}/confirm",
            lambda ctx, params, p: payments.confirm_payment_intent(ctx, p["id"], params),
        ),
        (
            "POST",
            "/v1/payment_intents/{id}/cancel",
            lambda ctx, params, p: payments.cancel_payment_intent(ctx, p["id"], params),
        ),
        ("GET", "/v1/charges/{id}", retrieve("charge")),
        ("POST", "/v1/refunds", lambda ctx, params, _: payments.create_refund(ctx, params)),
        ("GET", "/v1/refunds/{id}", retrieve("refund")),
        ("GET", "/v1/disputes/{id}", retrieve("dispute")),
        (
            "GET",
            "/v1/balance_transactions",
            lambda ctx, params, _: connect.check_payout_filter(ctx, params)
            or store.list_page(
                ctx,
                "balance_transaction",
                "/v1/balance_transactions",
                params,
                {"type": by_field("type"), "source": by_field("source"), "currency": by_field("currency"),
                 "payout": lambda obj, wanted: connect.carried.get(obj["id"]) == wanted},
            ),
        ),
        ("GET", "/v1/balance_transactions/{id}", retrieve("balance_transaction")),
        ("POST", "/v1/accounts", lambda ctx, params, _: connect.create_account(ctx, params)),
        ("GET", "/v1/accounts/{id}", retrieve("account")),
        ("POST", "/v1/account_links", lambda ctx, params, _: connect.create_account_link(ctx, params)),
        ("POST", "/v1/transfers", lambda ctx, params, _: connect.create_transfer(ctx, params)),
        (
            "GET",
            "/v1/transfers",
            lambda ctx, params, _: store.list_page(
                ctx,
                "transfer",
                "/v1/transfers",
                params,
                {"destination": by_field("destination"), "transfer_group": by_field("transfer_group")},
            ),
        ),
        ("GET", "/v1/transfers/{id}", retrieve("transfer")),
        ("POST", "/v1/transfers/{id}/reversals", lambda ctx, params, p: connect.create_reversal(ctx, p["id"], params)),
        ("POST", "/v1/payouts", lambda ctx, params, _: connect.create_payout(ctx, params)),
        (
            "GET",
            "/v1/payouts",
            lambda ctx, params, _: store.list_page(
                ctx, "payout", "/v1/payouts", params, {"status": by_field("status")}
            ),
        ),
        ("GET", "/v1/payouts/{id}", retrieve("payout")),
        ("GET", "/v1/events/{id}", retrieve("event")),
    ]
    return [
        (method, re.compile("^" + template.replace("{id}", "(?P<id>[^/]+)") + "$"), handler)
        for method, template, handler in table
    ]
