"""In Stripe mode a purchase costs what a sandbox purchase costs: its payment is queued in its reservation's transaction.

The buyer is answered `payment_pending` with their place at once, without a
call to Stripe; the pacers create the PaymentIntents in reservation order,
and the ticket then shows the `client_secret`. A replay answers the intent
that exists from the queue row, with no call to Stripe. A hold that expires
while its seat waits in the queue releases the seat and leaves the queue in
the same transaction: that PaymentIntent is never created. The queue's row
commits and rolls back with the reservation.

`BOXOFFICE_STRIPE_OPS_PER_SECOND=1`: the bucket holds one token, so no
purchase may spend one itself (it keeps half the bucket for the pacers) and
every payment goes through the queue.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from domain.payments import PaymentToQueue
from payouts.stripe_gateway import StripeGateway
from tests.conftest import bearer
from tests.integration.test_stripe_pacing import KEY, WHSEC, a_room, creates
from tests.stripe_standin import StripeStandIn

DATABASES = ["sqlite_url", pytest.param("postgres_url", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
def paced(request: Any, make_services: Any) -> Iterator[tuple[TestClient, Any, StripeStandIn]]:
    """The app in Stripe mode, paced at 1 call/s, its pacers stopped until a test starts them."""
    url = request.getfixturevalue(request.param)
    with StripeStandIn() as standin:
        gateway = StripeGateway(KEY, api_base=standin.url, max_network_retries=2, timeout=5.0)
        services = make_services(url, gateway=gateway, stripe_secret_key=KEY, stripe_webhook_secret=WHSEC,
                                 stripe_ops_per_second=1, stripe_pacer_workers=1)
        with TestClient(create_app(services), raise_server_exceptions=False) as client:
            services.pacer.stop()
            yield client, services, standin


def buy(http: TestClient, room: str, who: str, key: str | None = None) -> Any:
    headers = {**bearer(who, "listener"), **({"Idempotency-Key": key} if key else {})}
    return http.post(f"/v1/rooms/{room}/tickets", headers=headers)


def shown(http: TestClient, ticket: dict[str, Any]) -> dict[str, Any]:
    return http.get(f"/v1/tickets/{ticket['id']}", headers=bearer(ticket["holder_id"], "listener")).json()


def queue_rows(services: Any) -> dict[str, str]:
    return {r["ticket_id"]: r["status"] for r in services.db.query("SELECT ticket_id, status FROM payment_queue")}


def until_paid_for(http: TestClient, tickets: list[dict[str, Any]], seconds: float = 60) -> list[dict[str, Any]]:
    deadline = time.monotonic() + seconds
    while True:
        now = [shown(http, t) for t in tickets]
        if all(t["payment"]["client_secret"] for t in now) or time.monotonic() > deadline:
            return now
        time.sleep(0.2)


def test_the_buyer_learns_their_place_at_once_and_the_pacer_creates_the_intents_in_turn(paced: Any) -> None:
    http, services, standin = paced
    room = a_room(http, capacity=5)

    answers = [buy(http, room, f"b{i}") for i in range(3)]

    assert [a.status_code for a in answers] == [201] * 3
    tickets = [a.json() for a in answers]
    assert [t["payment"] for t in tickets] == [
        {"provider": "stripe", "payment_id": None, "status": "payment_pending", "client_secret": None,
         "failure_code": None, "error": None, "position": place} for place in (0, 1, 2)]
    assert standin.requests == []  # no purchase called Stripe
    assert queue_rows(services) == {t["id"]: "queued" for t in tickets}  # queued with their reservations

    services.pacer.start()
    paid_for = until_paid_for(http, tickets)

    assert all(t["status"] == "reserved" and t["payment"]["status"] == "pending" for t in paid_for), paid_for
    assert [r.params["metadata"]["ticket_id"] for r in creates(standin)] == [t["id"] for t in tickets]  # in turn


def test_a_replay_answers_the_intent_the_pacer_made_without_calling_stripe(paced: Any) -> None:
    http, services, standin = paced
    room = a_room(http, capacity=5)
    first = buy(http, room, "ann", key="k-1").json()
    services.pacer.start()
    (made,) = until_paid_for(http, [first])
    calls = len(standin.requests)

    again = buy(http, room, "ann", key="k-1")

    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first["id"]
    assert again.json()["payment"]["client_secret"] == made["payment"]["client_secret"]
    assert len(standin.requests) == calls


def test_a_hold_that_expires_in_the_queue_frees_the_seat_and_its_intent_is_never_made(paced: Any, clock: Any) -> None:
    http, services, standin = paced
    room = a_room(http, capacity=2)
    tickets = [buy(http, room, f"b{i}").json() for i in range(2)]
    assert buy(http, room, "late").json()["type"] == "sold_out"

    clock.advance(minutes=15, seconds=1)
    released = services.app.expire_holds()
    services.pacer.start()
    time.sleep(1.5)  # a pacer's turn or more

    assert released == 2 and queue_rows(services) == {}
    assert [shown(http, t)["status"] for t in tickets] == ["released", "released"]
    assert standin.objects("payment_intent") == [] and creates(standin, None) == []
    assert buy(http, room, "late").status_code == 201  # the seats sell again


def test_the_queue_row_commits_and_rolls_back_with_its_transaction(paced: Any) -> None:
    _, services, _ = paced
    uow = services.app.uow
    kept, lost = uuid4(), uuid4()
    at = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)

    def queue(ticket_id: UUID, fail: bool) -> Any:
        def decide(guards: Any) -> tuple[Any, list[Any]]:
            guards.queue_payments([PaymentToQueue(ticket_id, at, None)])
            if fail:
                raise RuntimeError("the reservation failed")
            return guards, []
        return decide

    guards, _ = uow.transact(queue(kept, fail=False))
    with pytest.raises(RuntimeError):
        uow.transact(queue(lost, fail=True))

    assert queue_rows(services) == {str(kept): "queued"}
    assert guards.queued_places()[kept].status == "queued"
