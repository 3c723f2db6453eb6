"""The revocation feed: refunded and disputed tickets in order, page by page, for whom may read it."""

from __future__ import annotations

from uuid import UUID


from tests.api.builders import a_listener, a_paid_ticket, finance
from tests.integration.projections.admission.builders import MEDIA, refund, revocations


def test_refunded_and_disputed_tickets_appear_on_the_revocation_feed_in_order_page_by_page(client, services, live_room) -> None:  # noqa: ANN001
    host, room = live_room
    refunded_first, disputed, refunded_last, kept = (a_paid_ticket(client, room["id"]) for _ in range(4))
    refund(client, host, refunded_first["id"])
    services.app.open_dispute(UUID(disputed["id"]), "dp_feed", disputed["price"]["amount"])
    refund(client, host, refunded_last["id"])

    pages, since = [], 0
    for _ in range(4):
        response = revocations(client, room["id"], since, limit=1)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        since = pages[-1]["next_since"]

    assert [[(i["ticket_id"], i["status"], i["reason"]) for i in p["items"]] for p in pages] == [
        [(refunded_first["id"], "refunded", "refunded")],
        [(disputed["id"], "revoked", "disputed")],
        [(refunded_last["id"], "refunded", "refunded")],
        [],
    ]
    assert pages[0]["items"][0]["user_id"] == refunded_first["holder_id"]
    assert pages[3]["next_since"] == pages[2]["next_since"] == pages[2]["items"][0]["position"]
    assert kept["id"] not in {i["ticket_id"] for p in pages for i in p["items"]}


def test_the_revocation_feed_is_for_media_servers_the_host_and_finance(client, live_room) -> None:  # noqa: ANN001
    host, room = live_room

    statuses = {who: revocations(client, room["id"], 0, headers=headers).status_code
                for who, headers in (("media", MEDIA), ("host", host.headers), ("finance", finance().headers),
                                     ("listener", a_listener().headers))}

    assert statuses == {"media": 200, "host": 200, "finance": 200, "listener": 403}
