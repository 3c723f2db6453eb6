"""The stand-in's object store: Stripe-shaped dicts, scoped to the platform or a connected account.

Why: our gateway must be tested against Stripe's behaviour, not against our
idea of it, without reaching Stripe. The store keeps objects as plain dicts
shaped like Stripe's JSON, answers retrieve/list/expand the way Stripe does
(404 across scopes, newest-first cursors, `has_more`, nested `expand[]`),
records events, and keeps the balance transactions every money movement
leaves, so reconciliation tests see the ledger Stripe would show. The
resources live beside it: payments.py (PaymentIntents, refunds, disputes)
and connect.py (accounts, transfers, reversals, payouts).

Assumptions, each a simplification of Stripe's test mode:
- One fee schedule for every currency: round-half-up(2.9 %) + 30 minor units.
- Charge funds are `pending` but count towards the balance at once (Stripe
  makes them available days later); balance checks are off unless asked for.
- Every method runs under `lock`, which the HTTP layer holds for a whole
  request, so requests are serialised: simple and race-free, enough for tests.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import string
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from tests.stripe_standin.settlement import SettlementCurrency
from tests.stripe_standin.wire import (
    FREE,
    LIST,
    SCALAR,
    Params,
    check_known,
    expand_paths,
    integer,
    invalid,
    optional_str,
    resource_missing,
)

API_VERSION: Final = "2026-10-28.endive"  # what stripe-python 16 sends (payouts.stripe_gateway.STRIPE_API_VERSION)
ANY_ACCOUNT: Final = "*"  # objects(kind, account=ANY_ACCOUNT): every scope
SECONDS_PER_DAY: Final = 86_400

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def stripe_fee(amount: int) -> int:
    """Stripe's standard card fee, 2.9 % + 30, rounded half up, integers only."""
    return (amount * 29 + 500) // 1000 + 30


_LIST_SPEC: Final = {
    "limit": SCALAR,
    "starting_after": SCALAR,
    "ending_before": SCALAR,
    "created": FREE,
    "expand": LIST,
}


@dataclass(frozen=True)
class Context:
    """Who asked: the Stripe-Account scope and the request that caused a change."""

    account: str | None = None
    request_id: str | None = None
    idempotency_key: str | None = None


AUTOMATIC: Final = Context()  # a change Stripe makes on its own (payout paid, dispute opened)


@dataclass
class _Entry:
    obj: dict[str, Any]
    account: str | None  # None: the platform
    seq: int


def build_event(
    type: str,
    obj: Mapping[str, Any],
    *,
    created: int,
    api_version: str = API_VERSION,
    account: str | None = None,
    request_id: str | None = None,
    idempotency_key: str | None = None,
    previous_attributes: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An event as Stripe delivers it; `account` is set for Connect events."""
    data: dict[str, Any] = {"object": copy.deepcopy(dict(obj))}
    if previous_attributes is not None:
        data["previous_attributes"] = copy.deepcopy(dict(previous_attributes))
    event: dict[str, Any] = {
        "id": new_id("evt"),
        "object": "event",
        "api_version": api_version,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": type,
    }
    if account is not None:
        event["account"] = account
    return event


class Store:
    """Every object the stand-in holds; `None` as an account means the platform."""

    def __init__(
        self,
        *,
        clock: Callable[[], int],
        api_version: str = API_VERSION,
        enforce_balance: bool = False,
        settlement: SettlementCurrency | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.settlement = settlement or SettlementCurrency()
        self.events: list[dict[str, Any]] = []
        self._clock = clock
        self._api_version = api_version
        self._enforce_balance = enforce_balance
        self._entries: dict[str, _Entry] = {}
        self._seq = itertools.count()

    # ------------------------------------------------------------ storage --

    def now(self) -> int:
        return self._clock()

    def put(self, obj: dict[str, Any], account: str | None) -> dict[str, Any]:
        self._entries[obj["id"]] = _Entry(obj, account, next(self._seq))
        return obj

    def get(
        self, obj_id: str, kind: str, account: str | None, *, param: str = "id", status: int = 404
    ) -> dict[str, Any]:
        """The object in this scope, or Stripe's `No such <kind>` (other scopes are invisible)."""
        entry = self._entries.get(obj_id)
        if entry is None or entry.obj["object"] != kind or entry.account != account:
            raise resource_missing(kind, obj_id, param=param, status=status)
        return entry.obj

    def find(self, obj_id: str, kind: str) -> tuple[dict[str, Any], str | None]:
        """For test controls: the live object and its scope, whatever the scope."""
        entry = self._entries.get(obj_id)
        if entry is None or entry.obj["object"] != kind:
            raise KeyError(f"the stand-in holds no {kind} {obj_id!r}")
        return entry.obj, entry.account

    def scope_of(self, obj_id: str) -> str | None:
        return self._entries[obj_id].account

    def live(self, kind: str, account: str | None = ANY_ACCOUNT) -> list[dict[str, Any]]:
        """The live objects of a kind (callers may change them), oldest first."""
        entries = [
            e
            for e in self._entries.values()
            if e.obj["object"] == kind and (account == ANY_ACCOUNT or e.account == account)
        ]
        return [e.obj for e in sorted(entries, key=lambda e: e.seq)]

    def snapshot(self, kind: str, account: str | None = ANY_ACCOUNT) -> list[dict[str, Any]]:
        """Copies of every object of a kind, oldest first."""
        return copy.deepcopy(self.live(kind, account))

    def retrieve(self, ctx: Context, kind: str, obj_id: str, params: Params) -> dict[str, Any]:
        check_known(params, {"expand": LIST})
        if kind == "account" and ctx.account == obj_id:
            return self.render(self.get(obj_id, kind, None), expand_paths(params), None)
        return self.render(self.get(obj_id, kind, ctx.account), expand_paths(params), ctx.account)

    def render(self, obj: Mapping[str, Any], paths: Iterable[str], account: str | None) -> dict[str, Any]:
        """A response copy of `obj` with `expand[]` paths replaced by the objects they name."""
        out = copy.deepcopy(dict(obj))
        for path in paths:
            parts = path.split(".")
            if len(parts) > 4:
                raise invalid("You cannot expand more than 4 levels of a property.", param="expand")
            self._expand(out, parts, path, account)
        return out

    def _expand(self, node: Any, parts: list[str], path: str, account: str | None) -> None:
        if isinstance(node, list):
            for item in node:
                self._expand(item, parts, path, account)
            return
        head, rest = parts[0], parts[1:]
        if not isinstance(node, dict) or head not in node:
            raise invalid(f"This property cannot be expanded ({path}).", param="expand")
        value = node[head]
        if isinstance(value, str):
            entry = self._entries.get(value)
            if entry is None or entry.account != account:
                raise invalid(f"This property cannot be expanded ({path}).", param="expand")
            value = node[head] = copy.deepcopy(entry.obj)
        if value is None:
            return
        if not isinstance(value, (dict, list)):
            raise invalid(f"This property cannot be expanded ({path}).", param="expand")
        if rest:
            self._expand(value, rest, path, account)

    def list_page(
        self,
        ctx: Context,
        kind: str,
        url: str,
        params: Params,
        filters: Mapping[str, Callable[[dict[str, Any], Any], bool]],
    ) -> dict[str, Any]:
        """One page of a list endpoint, newest first, with Stripe's cursors and `has_more`."""
        check_known(params, {**_LIST_SPEC, **{name: SCALAR for name in filters}})
        limit = integer(params, "limit", minimum=1, default=10)
        if limit > 100:
            raise invalid(
                "This value must be less than or equal to 100.", param="limit", code="parameter_invalid_integer"
            )
        after, before = optional_str(params, "starting_after"), optional_str(params, "ending_before")
        if after and before:
            raise invalid(
                "You may only specify one of these parameters: starting_after, ending_before.", param="ending_before"
            )
        entries = sorted(
            (e for e in self._entries.values() if e.obj["object"] == kind and e.account == ctx.account),
            key=lambda e: (e.obj["created"], e.seq),
            reverse=True,
        )
        cursor = after or before
        if cursor is not None:
            ids = [e.obj["id"] for e in entries]
            if cursor not in ids:
                raise resource_missing(kind, cursor, param="starting_after" if after else "ending_before", status=400)
            position = ids.index(cursor)
            entries = entries[position + 1 :] if after else entries[:position]
        created = _created_filter(params.get("created"))
        chosen = [
            e.obj
            for e in entries
            if created(e.obj["created"])
            and all(keep(e.obj, params[name]) for name, keep in filters.items() if name in params)
        ]
        page = chosen[-limit:] if before else chosen[:limit]
        listing = {"object": "list", "data": page, "has_more": len(chosen) > limit, "url": url}
        return self.render(listing, expand_paths(params), ctx.account)

    def emit(
        self,
        type: str,
        obj: Mapping[str, Any],
        ctx: Context,
        *,
        account: str | None = None,
        previous: Mapping[str, Any] | None = None,
    ) -> None:
        event = build_event(
            type,
            obj,
            created=self.now(),
            api_version=self._api_version,
            account=account,
            request_id=ctx.request_id,
            idempotency_key=ctx.idempotency_key,
            previous_attributes=previous,
        )
        self.put(event, account)
        self.events.append(event)

    def balance(self, account: str | None, currency_code: str) -> int:
        """Sum of net of every balance transaction in the scope (pending counts as available)."""
        return sum(
            e.obj["net"]
            for e in self._entries.values()
            if e.obj["object"] == "balance_transaction" and e.account == account and e.obj["currency"] == currency_code
        )

    def add_balance_transaction(
        self,
        account: str | None,
        *,
        type: str,
        amount: int,
        currency_code: str,
        source: str | None,
        fee: int = 0,
        fee_type: str = "stripe_fee",
        fee_description: str = "Stripe processing fees",
        reporting_category: str | None = None,
        status: str = "available",
        description: str | None = None,
        created: int | None = None,
        exchange_rate: float | None = None,
    ) -> dict[str, Any]:
        created = self.now() if created is None else created
        fee_details = (
            []
            if fee == 0
            else [
                {
                    "amount": fee,
                    "application": None,
                    "currency": currency_code,
                    "description": fee_description,
                    "type": fee_type,
                }
            ]
        )
        txn = {
            "id": new_id("txn"),
            "object": "balance_transaction",
            "amount": amount,
            "available_on": created + (2 * SECONDS_PER_DAY if status == "pending" else 0),
            "created": created,
            "currency": currency_code,
            "description": description,
            "exchange_rate": exchange_rate,
            "fee": fee,
            "fee_details": fee_details,
            "net": amount - fee,
            "reporting_category": reporting_category or type,
            "source": source,
            "status": status,
            "type": type,
        }
        return self.put(txn, account)

    def check_funds(self, account: str | None, currency_code: str, amount: int) -> None:
        if self._enforce_balance and self.balance(account, currency_code) < amount:
            raise invalid(
                "You have insufficient available funds in your Stripe account. Try adding funds directly to your "
                "available balance by creating Charges using the 4000000000000077 test card.",
                code="balance_insufficient",
            )


def _created_filter(value: Any) -> Callable[[int], bool]:
    """Stripe's `created` filter: an exact timestamp or any of gt/gte/lt/lte."""
    if value is None:
        return lambda created: True
    if isinstance(value, str):
        exact = integer({"created": value}, "created")
        return lambda created: created == exact
    if not isinstance(value, dict):
        raise invalid("Invalid created", param="created")
    check_known(value, {"gt": SCALAR, "gte": SCALAR, "lt": SCALAR, "lte": SCALAR}, "created")
    bounds = {op: integer(value, op) for op in value}

    def keep(created: int) -> bool:
        return all(
            (op == "gt" and created > bound)
            or (op == "gte" and created >= bound)
            or (op == "lt" and created < bound)
            or (op == "lte" and created <= bound)
            for op, bound in bounds.items()
            if bound is not None
        )

    return keep
