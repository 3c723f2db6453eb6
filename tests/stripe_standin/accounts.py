"""Connected (Express) accounts and their onboarding links.

Why: creators are paid through a connected account, which can take transfers only once onboarded;
a test sets an account's status (requirements due, payouts enabled or not) as Stripe would.

Assumptions: an account's `transfers` capability is active exactly when its
payouts are enabled unless a test says otherwise; a new Express account
requests `card_payments` and `transfers` when it names no capabilities.

May import: the stdlib and the stand-in's own modules (objects, wire).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any, Final

from tests.stripe_standin.objects import AUTOMATIC, Context, Store, new_id
from tests.stripe_standin.wire import (
    FREE,
    LIST,
    SCALAR,
    Params,
    boolean,
    check_known,
    expand_paths,
    invalid,
    metadata,
    one_of,
    optional_str,
    required,
)

EXPRESS_CURRENTLY_DUE: Final = (
    "business_profile.mcc",
    "business_profile.url",
    "business_type",
    "external_account",
    "representative.first_name",
    "representative.last_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
)


class Accounts:
    """Express accounts and account links."""

    store: Store
    _link_base: Callable[[], str]

    _ACCOUNT_CREATE: Final = {
        "type": SCALAR,
        "country": SCALAR,
        "email": SCALAR,
        "metadata": FREE,
        "capabilities": FREE,
        "business_type": SCALAR,
        "business_profile": FREE,
        "default_currency": SCALAR,
        "expand": LIST,
    }

    def create_account(self, ctx: Context, params: Params) -> dict[str, Any]:
        check_known(params, self._ACCOUNT_CREATE)
        if ctx.account is not None:
            raise invalid("Connected accounts cannot create other accounts.")
        account_type = one_of(params, "type", ("express", "standard", "custom"))
        if account_type is None:
            raise invalid("Missing required param: type.", param="type", code="parameter_missing")
        requested = _requested_capabilities(params.get("capabilities"))
        account = {
            "id": new_id("acct", 16),
            "object": "account",
            "business_profile": params.get("business_profile") or {},
            "business_type": optional_str(params, "business_type"),
            "capabilities": {name: "inactive" for name in requested},
            "charges_enabled": False,
            "country": (optional_str(params, "country") or "US").upper(),
            "created": self.store.now(),
            "default_currency": (optional_str(params, "default_currency") or "usd").lower(),
            "details_submitted": False,
            "email": optional_str(params, "email"),
            "metadata": metadata(params),
            "payouts_enabled": False,
            "requirements": _requirements(list(EXPRESS_CURRENTLY_DUE), disabled_reason="requirements.past_due"),
            "type": account_type,
        }
        self.store.put(account, None)
        return self.store.render(account, expand_paths(params), None)

    def set_account_status(
        self,
        account_id: str,
        *,
        charges_enabled: bool,
        payouts_enabled: bool,
        currently_due: Iterable[str] = (),
        details_submitted: bool = True,
        transfers_active: bool | None = None,
        disabled_reason: str | None = None,
    ) -> dict[str, Any]:
        """Onboarding moved on. `transfers` is active with payouts unless told otherwise."""
        account, _ = self.store.find(account_id, "account")
        due = list(currently_due)
        transfers = payouts_enabled if transfers_active is None else transfers_active
        if disabled_reason is None and not (charges_enabled and payouts_enabled):
            disabled_reason = "requirements.past_due" if due else "requirements.pending_verification"
        fields = {
            "charges_enabled": charges_enabled,
            "payouts_enabled": payouts_enabled,
            "details_submitted": details_submitted,
            "capabilities": {
                name: "active" if (transfers if name == "transfers" else charges_enabled) else "inactive"
                for name in account["capabilities"]
            },
            "requirements": _requirements(due, disabled_reason=disabled_reason),
        }
        previous = {key: copy.deepcopy(account[key]) for key, value in fields.items() if account[key] != value}
        account.update(fields)
        self.store.emit("account.updated", account, AUTOMATIC, account=account_id, previous=previous)
        return copy.deepcopy(account)

    def create_account_link(self, ctx: Context, params: Params) -> dict[str, Any]:
        check_known(
            params,
            {
                "account": SCALAR,
                "refresh_url": SCALAR,
                "return_url": SCALAR,
                "type": SCALAR,
                "collect": SCALAR,
                "collection_options": FREE,
                "expand": LIST,
            },
        )
        account_id = str(required(params, "account"))
        self.store.get(account_id, "account", None, param="account", status=400)
        required(params, "type")
        one_of(params, "type", ("account_onboarding", "account_update"))
        created = self.store.now()
        link = {
            "object": "account_link",
            "created": created,
            "expires_at": created + 300,
            "url": f"{self._link_base()}/setup/e/{account_id}/{new_id('x', 12)[2:]}",
        }
        self.store.put({**link, "id": new_id("acctlink")}, None)
        return link


def _requested_capabilities(value: Any) -> list[str]:
    """Capabilities asked for at creation; none given means card_payments and transfers."""
    if value is None:
        return ["card_payments", "transfers"]
    if not isinstance(value, dict):
        raise invalid("Invalid object", param="capabilities")
    names = []
    for name, settings in value.items():
        if not isinstance(settings, dict):
            raise invalid(f"Invalid object: capabilities[{name}]", param=f"capabilities[{name}]")
        check_known(settings, {"requested": SCALAR}, f"capabilities[{name}]")
        if boolean(settings, "requested"):
            names.append(name)
    return names


def _requirements(currently_due: list[str], *, disabled_reason: str | None) -> dict[str, Any]:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(currently_due),
        "disabled_reason": disabled_reason,
        "errors": [],
        "eventually_due": list(currently_due),
        "past_due": list(currently_due),
        "pending_verification": [],
    }
