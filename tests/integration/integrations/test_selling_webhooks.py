"""Integrators hear of gifts and waitlist offers: `ticket.transferred` and `waitlist.offer_made`."""

from __future__ import annotations

from standardwebhooks.webhooks import Webhook

from tests.api.builders import a_hosted_room, a_listener, a_paid_ticket
from tests.integration.integrations.test_webhook_delivery import (  # noqa: F401 - fixtures
    an_endpoint,
    clock,
    drive,
    receiver,
    wh_client,
    wh_services,
)


def test_a_gift_and_a_waitlist_offer_reach_the_endpoint(wh_client, wh_services, receiver) -> None:  # noqa: ANN001, F811
    endpoint = an_endpoint(wh_client, receiver, ["ticket.transferred", "waitlist.offer_made"])
    host, room = a_hosted_room(wh_client, capacity=2)
    giver, receiver_of_gift, buyer, waiting = a_listener(), a_listener(), a_listener(), a_listener()
    gift = a_paid_ticket(wh_client, room["id"], giver)
    sold = a_paid_ticket(wh_client, room["id"], buyer)
    assert wh_client.post(f"/v1/tickets/{gift['id']}/transfer", json={"to_user_id": receiver_of_gift.sub},
                          headers=giver.headers).status_code == 200
    assert wh_client.post(f"/v1/rooms/{room['id']}/waitlist", headers=waiting.headers).status_code == 201
    assert wh_client.post(f"/v1/tickets/{sold['id']}/refund", headers=host.headers).status_code == 200

    drive(wh_services)

    got = [Webhook(endpoint["secret"]).verify(r.body, r.headers) for r in receiver.received]
    assert [(g["type"], g["data"]["holder_id"]) for g in got] == [
        ("ticket.transferred", receiver_of_gift.sub), ("waitlist.offer_made", waiting.sub)]
    offer = got[1]["data"]
    assert (offer["object"], offer["room_id"], offer["place"], offer["status"]) == ("offer", room["id"], 1, "offered")
