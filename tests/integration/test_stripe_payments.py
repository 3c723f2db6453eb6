"""Real money through Stripe: the app, the real SDK, and the Stripe stand-in, end to end.

Webhooks are signed with Stripe's scheme and posted to the app's endpoint.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from fastapi.testclient import TestClient

from api.main import create_app
from payouts.stripe_gateway import StripeGateway
from tests.conftest import bearer
from tests.stripe_standin import StripeStandIn, WebhookSender

WHSEC = "whsec_test_boxoffice"
HOST = bearer("host", "creator")


class Stand:
    """The app wired to the stand-in, with helpers that read like the story."""

    def __init__(self, client: TestClient, standin: StripeStandIn, services: Any) -> None:
        self.http, self.stripe, self.services = client, standin, services
        self.webhooks = WebhookSender(client, WHSEC, path="/v1/webhooks/stripe")

    def room(self, capacity: int = 5, price: int = 1500) -> str:
        self.http.post("/v1/creators", json={"display_name": "Host", "follower_count": 5000}, headers=HOST)
        r = self.http.post("/v1/rooms", headers=HOST, json={
            "title": "Paid room", "ticket_price": {"amount": price, "currency": "USD"}, "capacity": capacity})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def buy(self, room_id: str, who: str, payment_method: str | None = None) -> Any:
        body = {"payment_method": payment_method} if payment_method else None
        return self.http.post(f"/v1/rooms/{room_id}/tickets", json=body, headers=bearer(who, "listener"))

    def ticket(self, ticket_id: str) -> dict[str, Any]:
        return self.http.get(f"/v1/tickets/{ticket_id}", headers=HOST).json()

    def deliver(self, type_: str, object_id: str | None = None, **kw: Any) -> list[Any]:
        """Send (signed) every stand-in event of this type, optionally only for one object."""
        events = [e for e in self.stripe.events_of(type_) if object_id in (None, e["data"]["object"]["id"])]
        assert events, f"the stand-in emitted no {type_}"
        return [self.webhooks.send(e, **kw) for e in events]

    def events(self) -> Counter:
        app = self.services.app
        return Counter(type(app.mapper.to_domain_event(n)).__qualname__
                       for n in app.recorder.select_notifications(start=1, limit=100_000))


@pytest.fixture
def stand(make_services, sqlite_url) -> Iterator[Stand]:  # noqa: ANN001
    with StripeStandIn() as standin:
        gateway = StripeGateway("sk_test_boxoffice", api_base=standin.url, max_network_retries=2, timeout=1.0)
        services = make_services(sqlite_url, gateway=gateway, stripe_secret_key="sk_test_boxoffice",
                                 stripe_webhook_secret=WHSEC)
        with TestClient(create_app(services), raise_server_exceptions=False) as client:
            yield Stand(client, standin, services)


def test_a_purchase_reserves_creates_a_payment_intent_and_is_paid_by_the_signed_webhook(stand: Stand) -> None:
    room = stand.room()

    r = stand.buy(room, "ann")
    ticket = r.json()
    assert r.status_code == 201 and ticket["status"] == "reserved"
    assert ticket["payment"]["provider"] == "stripe" and ticket["payment"]["client_secret"]
    pi = stand.stripe.get(ticket["payment"]["payment_id"], "payment_intent")
    assert pi["amount"] == 1500 and pi["transfer_group"] == f"room_{room}"
    assert pi["metadata"]["ticket_id"] == ticket["id"] and pi["metadata"]["creator_id"] == "host"

    stand.stripe.succeed_payment(pi["id"])
    (answer,) = stand.deliver("payment_intent.succeeded")

    assert answer.status_code == 200
    assert stand.ticket(ticket["id"])["status"] == "paid"
    recorded = stand.services.app.get_ticket(__import__("uuid").UUID(ticket["id"]))
    assert recorded.fee == (1500 * 29 + 500) // 1000 + 30  # from the charge's balance transaction
    assert recorded.charge_id == pi["latest_charge"] if isinstance(pi["latest_charge"], str) else True


def test_a_payment_method_given_up_front_is_confirmed_and_paid_at_once(stand: Stand) -> None:
    room = stand.room()

    r = stand.buy(room, "ann", payment_method="pm_card_visa")

    assert r.status_code == 201 and r.json()["status"] == "paid"


def test_a_decline_releases_the_seat_and_it_sells_again(stand: Stand) -> None:
    room = stand.room(capacity=1)
    ticket = stand.buy(room, "ann").json()

    stand.stripe.fail_payment(ticket["payment"]["payment_id"])
    stand.deliver("payment_intent.payment_failed")

    assert stand.ticket(ticket["id"])["status"] == "released"
    assert stand.buy(room, "ben", payment_method="pm_card_visa").json()["status"] == "paid"


def test_a_declined_card_up_front_answers_402_and_releases_the_seat(stand: Stand) -> None:
    room = stand.room(capacity=1)

    r = stand.buy(room, "ann", payment_method="pm_card_chargeDeclined")

    assert r.status_code == 402 and r.json()["type"] == "payment_declined"
    assert stand.buy(room, "ben", payment_method="pm_card_visa").status_code == 201


def test_an_expired_hold_cancels_the_payment_and_releases_the_seat(stand: Stand, clock) -> None:  # noqa: ANN001
    room = stand.room(capacity=1)
    ticket = stand.buy(room, "ann").json()

    clock.advance(minutes=15, seconds=1)
    second = stand.buy(room, "ben", payment_method="pm_card_visa")

    assert second.status_code == 201
    assert stand.ticket(ticket["id"])["status"] == "released"
    assert stand.stripe.get(ticket["payment"]["payment_id"], "payment_intent")["status"] == "canceled"


def test_the_same_webhook_three_times_has_one_effect(stand: Stand) -> None:
    room = stand.room()
    ticket = stand.buy(room, "ann").json()
    stand.stripe.succeed_payment(ticket["payment"]["payment_id"])
    (event,) = stand.stripe.events_of("payment_intent.succeeded")

    answers = [stand.webhooks.send(event) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["duplicate"] for a in answers] == [False, True, True]
    assert stand.events()["Ticket.Paid"] == 1


def test_a_refund_event_before_the_succeeded_event_ends_in_the_right_state(stand: Stand) -> None:
    room = stand.room()
    ticket = stand.buy(room, "ann").json()
    pi_id = ticket["payment"]["payment_id"]
    stand.stripe.succeed_payment(pi_id)
    # Refunded from Stripe's dashboard, not by us.
    client = stripe.StripeClient("sk_test_other", base_addresses={"api": stand.stripe.url})
    client.v1.refunds.create(params={"payment_intent": pi_id})

    stand.deliver("refund.created")
    stand.deliver("charge.refunded")
    stand.deliver("payment_intent.succeeded")
    stand.deliver("refund.created")  # and once more, late

    final = stand.ticket(ticket["id"])
    assert final["status"] == "refunded" and final["refunded_amount"] == 1500
    assert [r["status"] for r in final["refunds"]] == ["succeeded"]
    events = stand.events()
    assert (events["Ticket.Paid"], events["Ticket.RefundRequested"], events["Ticket.RefundSettled"]) == (1, 1, 1)


@pytest.mark.parametrize("attack", ["tampered", "wrong_secret", "stale", "missing"])
def test_a_bad_signature_is_refused_and_nothing_is_written(stand: Stand, attack: str) -> None:
    import time

    room = stand.room()
    ticket = stand.buy(room, "ann").json()
    stand.stripe.succeed_payment(ticket["payment"]["payment_id"])
    (event,) = stand.stripe.events_of("payment_intent.succeeded")
    before = stand.services.app.uow.position()

    if attack == "missing":
        r = stand.http.post("/v1/webhooks/stripe", content=b'{"id": "evt_1"}', headers={"content-type": "application/json"})
    else:
        r = stand.webhooks.send(event, tamper=attack == "tampered", secret="whsec_wrong" if attack == "wrong_secret" else None,
                                timestamp=int(time.time()) - 3600 if attack == "stale" else None)

    assert r.status_code == 400 and r.json()["type"] == "invalid_signature"
    assert stand.services.app.uow.position() == before
    assert stand.ticket(ticket["id"])["status"] == "reserved"


def test_an_unknown_event_type_is_acknowledged_and_ignored(stand: Stand) -> None:
    event = stand.webhooks.event("customer.created", {"id": "cus_1", "object": "customer"})

    r = stand.webhooks.send(event)

    assert r.status_code == 200 and r.json()["handled"] is False


def test_cancelling_a_room_with_100_paid_tickets_refunds_100_once(stand: Stand) -> None:
    room = stand.room(capacity=100)
    for i in range(100):
        assert stand.buy(room, f"l{i}", payment_method="pm_card_visa").json()["status"] == "paid"

    first = stand.http.post(f"/v1/rooms/{room}/cancel", headers=HOST)
    second = stand.http.post(f"/v1/rooms/{room}/cancel", headers=HOST)

    assert first.json()["refunds"] == {"requested": 0, "succeeded": 100, "failed": 0}
    assert second.json()["refunds"] == {"requested": 0, "succeeded": 100, "failed": 0}
    assert len(stand.stripe.objects("refund")) == 100
    keys = Counter(r.idempotency_key for r in stand.stripe.requests if r.method == "POST" and r.path == "/v1/refunds")
    assert len(keys) == 100 and all(k.startswith("refund-") for k in keys)


def test_failed_refunds_are_visible_on_the_room_and_retried(stand: Stand) -> None:
    room = stand.room(capacity=2)
    for who in ("ann", "ben"):
        stand.buy(room, who, payment_method="pm_card_visa")
    stand.stripe.next_refund("failed", "expired_or_canceled_card")

    first = stand.http.post(f"/v1/rooms/{room}/cancel", headers=HOST).json()
    stand.deliver("refund.failed")
    shown = stand.http.get(f"/v1/rooms/{room}", headers=HOST).json()
    retried = stand.http.post(f"/v1/rooms/{room}/cancel", headers=HOST).json()

    assert first["refunds"]["succeeded"] == 1
    assert shown["refunds"]["failed"] == 1
    assert retried["refunds"] == {"requested": 0, "succeeded": 2, "failed": 0}


def test_stripe_500_on_create_is_retried_with_the_same_key_and_makes_one_payment_intent(stand: Stand) -> None:
    room = stand.room()
    stand.stripe.fail_next("POST", "/v1/payment_intents", status=500)

    r = stand.buy(room, "ann")

    assert r.status_code == 201
    creates = [q for q in stand.stripe.requests if q.method == "POST" and q.path == "/v1/payment_intents"]
    assert len(creates) == 2 and len({q.idempotency_key for q in creates}) == 1
    assert len(stand.stripe.objects("payment_intent")) == 1


def test_a_stripe_timeout_on_create_is_retried_with_the_same_key_and_makes_one_payment_intent(stand: Stand) -> None:
    room = stand.room()
    stand.stripe.timeout_next("POST", "/v1/payment_intents", seconds=1.5)

    r = stand.buy(room, "ann")

    assert r.status_code == 201
    assert len(stand.stripe.objects("payment_intent")) == 1
    creates = [q for q in stand.stripe.requests if q.method == "POST" and q.path == "/v1/payment_intents"]
    assert len({q.idempotency_key for q in creates}) == 1


def _expire_with_stripe_unreachable(stand: Stand, clock, room: str, pi_id: str) -> None:  # noqa: ANN001
    stand.stripe.fail_next("POST", f"/v1/payment_intents/{pi_id}/cancel", status=500, times=10)
    clock.advance(minutes=16)
    stand.services.app.expire_holds()


def test_a_payment_after_the_hold_expired_is_honoured_when_a_seat_is_free(stand: Stand, clock) -> None:  # noqa: ANN001
    room = stand.room(capacity=2)
    late = stand.buy(room, "ann").json()
    _expire_with_stripe_unreachable(stand, clock, room, late["payment"]["payment_id"])
    assert stand.ticket(late["id"])["status"] == "released"

    stand.stripe.succeed_payment(late["payment"]["payment_id"])
    stand.deliver("payment_intent.succeeded")

    assert stand.ticket(late["id"])["status"] == "paid"
    assert stand.stripe.objects("refund") == []


def test_a_payment_after_the_hold_expired_on_a_full_room_is_refunded_automatically(stand: Stand, clock) -> None:  # noqa: ANN001
    room = stand.room(capacity=1)
    late = stand.buy(room, "ann").json()
    _expire_with_stripe_unreachable(stand, clock, room, late["payment"]["payment_id"])
    assert stand.buy(room, "ben", payment_method="pm_card_visa").json()["status"] == "paid"

    stand.stripe.succeed_payment(late["payment"]["payment_id"])
    stand.deliver("payment_intent.succeeded")

    final = stand.ticket(late["id"])
    assert final["status"] == "refunded"
    assert [r["reason"] for r in final["refunds"]] == ["seat_unavailable"]
    (refund,) = stand.stripe.objects("refund")
    assert refund["payment_intent"] == late["payment"]["payment_id"] and refund["amount"] == 1500


def test_a_dispute_revokes_the_ticket_and_a_won_dispute_restores_it(stand: Stand) -> None:
    room = stand.room()
    ticket = stand.buy(room, "ann", payment_method="pm_card_visa").json()
    pi = stand.stripe.get(ticket["payment"]["payment_id"], "payment_intent")
    charge_id = pi["latest_charge"] if isinstance(pi["latest_charge"], str) else pi["latest_charge"]["id"]

    dispute = stand.stripe.dispute(charge_id)
    stand.deliver("charge.dispute.created")
    assert stand.ticket(ticket["id"])["status"] == "revoked"
    stand.stripe.close_dispute(dispute["id"], won=True)
    stand.deliver("charge.dispute.closed")

    assert stand.ticket(ticket["id"])["status"] == "paid"


def test_a_lost_dispute_keeps_the_ticket_revoked_and_reverses_the_split(stand: Stand) -> None:
    room = stand.room()
    ticket = stand.buy(room, "ann", payment_method="pm_card_visa").json()
    pi = stand.stripe.get(ticket["payment"]["payment_id"], "payment_intent")
    charge_id = pi["latest_charge"] if isinstance(pi["latest_charge"], str) else pi["latest_charge"]["id"]

    dispute = stand.stripe.dispute(charge_id)
    stand.stripe.close_dispute(dispute["id"], won=False)
    stand.deliver("charge.dispute.closed")  # the close overtakes the open
    stand.deliver("charge.dispute.created")

    assert stand.ticket(ticket["id"])["status"] == "revoked"
    assert stand.events()["Ticket.DisputeClosed"] == 1
    assert stand.services.app.uow.guards.lifetime_revenue("host", "USD") == 0


def test_a_creator_opens_a_payout_account_once_and_account_updated_keeps_it_current(stand: Stand) -> None:
    stand.room()
    first = stand.http.post("/v1/creators/host/payout-account", headers=HOST)
    again = stand.http.post("/v1/creators/host/payout-account", headers=HOST)
    account_id = first.json()["account_id"]
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["account_id"] == account_id and first.json()["onboarding_url"]
    assert len(stand.stripe.objects("account")) == 1
    assert stand.http.get("/v1/creators/host/payout-account", headers=HOST).json()["status"] == "pending"

    stand.stripe.set_account_status(account_id, charges_enabled=True, payouts_enabled=True, currently_due=[])
    stand.deliver("account.updated", account_id)

    assert stand.http.get("/v1/creators/host/payout-account", headers=HOST).json()["status"] == "enabled"
