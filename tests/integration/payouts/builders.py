"""Builders for the payout tests: a box office seen by its creators, listeners and finance.

`Desk` drives the app over HTTP (never the store) so each arrange step uses the
same contract the tests assert on. It runs on the sandbox gateway by default or
on the Stripe stand-in (`desk.stripe` is then the stand-in). Creators and
listeners get unique ids, so tests never share anybody by accident.

The fakes at the bottom model what a test cannot get from the product: a
process that dies around a transfer, and Stripe forgetting idempotency keys
after 24 hours.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from domain.clock import FrozenClock
from domain.payments import TransferRequest, TransferResult
from payouts.runs import PayoutRunner, RunReport
from tests.conftest import bearer
from tests.stripe_standin import StripeStandIn, WebhookSender

WHSEC = "whsec_test_payouts"
STRIPE_KEY = "sk_test_payouts"
SECOND = timedelta(seconds=1)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Person:
    sub: str
    headers: dict[str, str]


def a_finance_officer() -> Person:
    sub = unique("finance")
    return Person(sub, bearer(sub, "finance"))


def a_listener() -> Person:
    sub = unique("listener")
    return Person(sub, bearer(sub, "listener"))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Desk:
    """The app, its clock, and (with Stripe) the stand-in, with helpers that read like the story."""

    def __init__(self, http: TestClient, services: Any, clock: FrozenClock, stripe: StripeStandIn | None) -> None:
        self.http, self.services, self.clock, self.stripe = http, services, clock, stripe
        self.finance = a_finance_officer()
        self.webhooks = WebhookSender(http, WHSEC, path="/v1/webhooks/stripe") if stripe else None

    # --- creators ------------------------------------------------------------------

    def a_creator(self, *, payout_account: bool = True) -> Person:
        """A registered, eligible creator; with `payout_account`, one that can be paid."""
        sub = unique("creator")
        creator = Person(sub, bearer(sub, "creator"))
        r = self.http.post("/v1/creators", json={"display_name": "Maya", "follower_count": 5_000},
                           headers=creator.headers)
        assert r.status_code == 201, r.text
        if payout_account:
            self.open_payout_account(creator)
            if self.stripe is not None:
                self.enable_payouts(creator)
        return creator

    def open_payout_account(self, creator: Person) -> str:
        r = self.http.post(f"/v1/creators/{creator.sub}/payout-account", headers=creator.headers)
        assert r.status_code in (200, 201), r.text
        return r.json()["account_id"]

    def payout_account(self, creator: Person) -> dict[str, Any]:
        r = self.http.get(f"/v1/creators/{creator.sub}/payout-account", headers=creator.headers)
        assert r.status_code == 200, r.text
        return r.json()

    def enable_payouts(self, creator: Person) -> None:
        """Stripe: onboarding finished, and `account.updated` told us so."""
        assert self.stripe is not None
        account = self.payout_account(creator)["account_id"]
        self.stripe.set_account_status(account, charges_enabled=True, payouts_enabled=True, currently_due=[])
        self.deliver("account.updated", object_id=account, only_last=True)

    # --- rooms and sales ------------------------------------------------------------

    def a_room(self, host: Person, *, price: int = 2_000, currency: str = "USD", capacity: int = 100) -> str:
        r = self.http.post("/v1/rooms", headers=host.headers, json={
            "title": "Late night jazz", "ticket_price": {"amount": price, "currency": currency}, "capacity": capacity})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def sell(self, room_id: str, tickets: int) -> list[dict[str, Any]]:
        sold = []
        for _ in range(tickets):
            r = self.http.post(f"/v1/rooms/{room_id}/tickets", json={"payment_method": "pm_card_visa"},
                               headers=a_listener().headers)
            assert r.status_code == 201 and r.json()["status"] == "paid", r.text
            sold.append(r.json())
        return sold

    def end(self, host: Person, room_id: str) -> datetime:
        """Go live and end now; answers the moment the room ended."""
        assert self.http.post(f"/v1/rooms/{room_id}/start", headers=host.headers).status_code == 200
        r = self.http.post(f"/v1/rooms/{room_id}/end", headers=host.headers)
        assert r.status_code == 200, r.text
        return datetime.fromisoformat(r.json()["ended_at"].replace("Z", "+00:00"))

    def an_ended_room(self, host: Person, *, tickets: int, price: int = 2_000, currency: str = "USD"
                      ) -> tuple[str, datetime, list[dict[str, Any]]]:
        room_id = self.a_room(host, price=price, currency=currency, capacity=max(tickets, 1))
        sold = self.sell(room_id, tickets)
        return room_id, self.end(host, room_id), sold

    def earned_and_released(self, host: Person, *, tickets: int, price: int = 2_000, currency: str = "USD") -> None:
        """A room that ended a refund window ago: its earnings are due at the next run."""
        self.an_ended_room(host, tickets=tickets, price=price, currency=currency)
        self.clock.advance(days=self.services.settings.refund_window_days)

    def cancel(self, host: Person, room_id: str) -> dict[str, Any]:
        r = self.http.post(f"/v1/rooms/{room_id}/cancel", headers=host.headers)
        assert r.status_code == 200, r.text
        return r.json()

    def refund(self, host: Person, ticket_id: str) -> dict[str, Any]:
        r = self.http.post(f"/v1/tickets/{ticket_id}/refund", headers=host.headers)
        assert r.status_code == 200, r.text
        return r.json()

    def next_month(self, day: int = 1) -> datetime:
        """Move the clock to the start (or `day`) of the next calendar month, 12:00 UTC."""
        now = self.clock.now()
        first = (now.replace(day=1, hour=12, minute=0, second=0, microsecond=0) + timedelta(days=32)).replace(day=day)
        self.clock.set(first)
        return first

    # --- payout runs --------------------------------------------------------------------

    def run(self, as_of: datetime | None = None, *, dry_run: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"dry_run": dry_run}
        if as_of is not None:
            body["as_of"] = iso(as_of)
        r = self.http.post("/v1/payout-runs", json=body, headers=self.finance.headers)
        assert r.status_code == (200 if dry_run else 201), r.text
        return r.json()

    def run_directly(self, runner: PayoutRunner | None = None) -> RunReport:
        """A run in this process without the HTTP layer (the scheduler's or the CLI's way).

        Whatever it wrote, even if it died halfway, reaches the read tables before this returns.
        """
        try:
            return (runner or self.runner).run(requested_by="schedule")
        finally:
            self.caught_up()

    @property
    def runner(self) -> PayoutRunner:
        return self.services.payouts

    def caught_up(self) -> None:
        """Read tables reach every event written so far (webhooks answer before projecting)."""
        self.services.projector.catch_up()

    def payouts(self, **query: Any) -> list[dict[str, Any]]:
        self.caught_up()
        r = self.http.get("/v1/payouts", params=query, headers=self.finance.headers)
        assert r.status_code == 200, r.text
        return r.json()["items"]

    def payout(self, payout_id: str) -> dict[str, Any]:
        self.caught_up()
        r = self.http.get(f"/v1/payouts/{payout_id}", headers=self.finance.headers)
        assert r.status_code == 200, r.text
        return r.json()

    # --- the books ----------------------------------------------------------------------

    def earnings(self, creator: Person, currency: str = "USD") -> dict[str, Any]:
        self.caught_up()
        r = self.http.get(f"/v1/creators/{creator.sub}/earnings", headers=creator.headers)
        assert r.status_code == 200, r.text
        rows = [e for e in r.json()["earnings"] if e["currency"] == currency]
        return rows[0] if rows else {"currency": currency, "pending": 0, "available": 0, "paid": 0,
                                     "in_transit": 0, "lifetime": 0}

    def ledger(self, prefix: str | None = None) -> dict[str, Any]:
        self.caught_up()
        r = self.http.get("/v1/ledger/accounts", params={"prefix": prefix} if prefix else {},
                          headers=self.finance.headers)
        assert r.status_code == 200, r.text
        return r.json()

    def balance(self, account: str, currency: str = "USD") -> int:
        rows = [a for a in self.ledger(account)["accounts"] if a["account"] == account and a["currency"] == currency]
        return rows[0]["balance"] if rows else 0

    def trial_balance(self) -> dict[str, int]:
        return self.ledger()["trial_balance"]

    def events(self) -> Counter[str]:
        app = self.services.app
        return Counter(type(app.mapper.to_domain_event(n)).__qualname__
                       for n in app.recorder.select_notifications(start=1, limit=1_000_000))

    # --- money at the processor ----------------------------------------------------------

    def transfers(self) -> list[dict[str, Any]]:
        """Transfers the processor made: the stand-in's objects, or the sandbox's balance transactions."""
        if self.stripe is not None:
            return self.stripe.objects("transfer")
        far = timedelta(days=3_650)
        now = self.clock.now()
        return [{"id": t.source, "amount": t.amount.amount * -1, "currency": t.amount.currency}
                for t in self.services.gateway.balance_transactions(now - far, now + far) if t.type == "transfer"]

    def transfer_posts(self) -> list[Any]:
        assert self.stripe is not None
        return [q for q in self.stripe.requests if q.method == "POST" and q.path == "/v1/transfers"]

    def deliver(self, type_: str, *, object_id: str | None = None, account: str | None = None,
                times: int = 1, only_last: bool = False, expect_ok: bool = True) -> list[Any]:
        """Send (signed) the stand-in's events of this type, each `times` times."""
        assert self.stripe is not None and self.webhooks is not None
        events = [e for e in self.stripe.events_of(type_)
                  if object_id in (None, e["data"]["object"]["id"]) and account in (None, e.get("account"))]
        assert events, f"the stand-in emitted no {type_}"
        if only_last:
            events = events[-1:]
        answers = [self.webhooks.send(e) for e in events for _ in range(times)]
        if expect_ok:
            assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
        return answers


DeskFactory = Callable[..., Desk]  # open_desk(stripe=False, wrap=None, **settings)


# --- fakes: crashes and forgetful processors -------------------------------------------------


class ProcessCrash(BaseException):
    """The payout process died (OOM kill, deploy, power): not an error anybody handles."""


class CrashingGateway:
    """The real gateway, except that while armed the process dies around every transfer.

    `before`: dies before the request leaves (nothing reached the processor).
    `after`: the processor made the transfer, then the process died before hearing the answer.
    `spare`: that many transfers are answered normally first.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.crash: str | None = None
        self.spare = 0
        self.made: list[TransferResult] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def arm(self, when: str, *, spare: int = 0) -> None:
        assert when in ("before", "after")
        self.crash, self.spare = when, spare

    def disarm(self) -> None:
        self.crash = None

    def transfer(self, request: TransferRequest) -> TransferResult:
        if self.spare > 0:
            self.spare -= 1
            result = self.inner.transfer(request)
            self.made.append(result)
            return result
        if self.crash == "before":
            raise ProcessCrash("died before sending the transfer")
        result = self.inner.transfer(request)
        self.made.append(result)
        if self.crash == "after":
            raise ProcessCrash("died after the processor accepted the transfer")
        return result


class CrashAfterSubmitRunner(PayoutRunner):
    """A runner whose process dies once the submissions are recorded, before the run is marked complete."""

    @classmethod
    def like(cls, runner: PayoutRunner) -> CrashAfterSubmitRunner:
        return cls(runner.app, runner.db, runner.wait_for, runner.policy, workers=runner.workers, chunk=runner.chunk)

    def _submit(self, payouts: list[Any], report: RunReport, repairing: bool = False) -> None:
        super()._submit(payouts, report, repairing)
        if not repairing:
            raise ProcessCrash("died after recording the submissions")


def forget_idempotency_keys(standin: StripeStandIn) -> None:
    """Stripe prunes idempotency keys after 24 hours; the stand-in has no control for it, so reach in."""
    with standin.store.lock:
        standin._saved.clear()  # noqa: SLF001 - test double internals, see docstring


def change_fee(standin: StripeStandIn, charge_id: str, fee: int) -> None:
    """Stripe's balance transaction for a charge shows another fee than the one we booked."""
    with standin.store.lock:
        charge, _ = standin.store.find(charge_id, "charge")
        txn, _ = standin.store.find(charge["balance_transaction"], "balance_transaction")
        txn.update(fee=fee, net=txn["amount"] - fee)
        for detail in txn["fee_details"]:
            detail["amount"] = fee
