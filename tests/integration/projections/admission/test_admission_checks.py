"""The admission check itself: the tail's light reader, the batch check, media servers only, the fast
path's problems, correlation ids and path reading.
"""

from __future__ import annotations

from uuid import UUID


from projections.admission_index import AdmissionIndex
from projections.admission_tail import AdmissionTail
from tests.api.builders import Caller, a_hosted_room, a_listener, a_paid_ticket, buy, random_uuid
from tests.conftest import bearer
from tests.integration.projections.admission.builders import MEDIA, caught_up, lifecycle, refund


def test_the_tails_light_reader_builds_the_index_the_full_mapper_builds(client, services, live_room) -> None:  # noqa: ANN001
    """projections/light_events.py reads four fields with orjson instead of decoding whole events:
    every kind of event the index applies must come out the same."""
    host, room = live_room
    buyers = [a_listener() for _ in range(6)]
    tickets = [a_paid_ticket(client, room["id"], b) for b in buyers]
    refund(client, host, tickets[0]["id"])
    services.app.open_dispute(UUID(tickets[1]["id"]), "dp_light_1", tickets[1]["price"]["amount"])
    services.app.open_dispute(UUID(tickets[2]["id"]), "dp_light_2", tickets[2]["price"]["amount"])
    services.app.close_dispute(UUID(tickets[2]["id"]), "dp_light_2", won=True)
    cast = [a_listener() for _ in range(3)]
    for kind, who in (("cohosts", cast[0]), ("speakers", cast[1]), ("speakers", cast[2])):
        client.put(f"/v1/rooms/{room['id']}/{kind}/{who.sub}", headers=host.headers)
    client.delete(f"/v1/rooms/{room['id']}/speakers/{cast[2].sub}", headers=host.headers)
    _, ended = a_hosted_room(client)
    buy(client, ended["id"], buyers[3])
    lifecycle(client, host, room["id"], "end")
    _, cancelled = a_hosted_room(client)
    a_paid_ticket(client, cancelled["id"], buyers[4])

    def built(light: bool) -> AdmissionIndex:
        index = AdmissionIndex()
        tail = AdmissionTail(index, services.app.recorder, services.app.mapper, services.db)
        tail._reader._plain = light  # False: every event through the library's mapper
        tail.catch_up()
        if light:  # the light path did the reading
            assert {lite for _, lite in tail._reader._by_topic.values()} == {True}
        return index

    light, full = built(True), built(False)
    people = [b.sub for b in buyers + cast] + [host.sub, "nobody"]
    rooms = [room["id"], ended["id"], cancelled["id"], random_uuid()]
    assert light.position == full.position == services.app.uow.position()
    assert len(light) == len(full) >= 7
    assert [light.check(r, u) for r in rooms for u in people] == [full.check(r, u) for r in rooms for u in people]


def test_the_batch_check_answers_every_pair_in_the_order_asked(client, services, live_room) -> None:  # noqa: ANN001
    host, room = live_room
    paid, stranger = a_listener(), a_listener()
    ticket = a_paid_ticket(client, room["id"], paid)
    nowhere = random_uuid()
    caught_up(services)
    pairs = [(room["id"], stranger.sub), (nowhere, paid.sub), (room["id"], paid.sub), (room["id"], host.sub)]

    response = client.post("/v1/admissions/check", headers=MEDIA,
                         json={"checks": [{"room_id": r, "user_id": u} for r, u in pairs]})

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["room_id"], r["user_id"]) for r in results] == pairs
    assert [(r["admit"], r["reason"], r["role"]) for r in results] == [
        (False, "no_ticket", None), (False, "unknown_room", None), (True, "ok", "listener"), (True, "ok", "host")]
    assert results[2]["ticket_id"] == ticket["id"]


def test_admission_checks_are_for_media_servers_only(client, live_room) -> None:  # noqa: ANN001
    _, room = live_room
    listener = a_listener()

    single = client.get(f"/v1/rooms/{room['id']}/admissions/{listener.sub}", headers=listener.headers)
    batch = client.post("/v1/admissions/check", headers=listener.headers,
                      json={"checks": [{"room_id": room["id"], "user_id": listener.sub}]})

    assert (single.status_code, batch.status_code) == (403, 403)


def test_the_checks_fast_path_answers_problems_and_correlation_ids_like_every_other_route(client, live_room) -> None:  # noqa: ANN001
    """api/main.py answers checks before the router; what a media server sees must not change."""
    _, room = live_room
    path = f"/v1/rooms/{room['id']}/admissions/someone"

    ok = client.get(path, headers={**MEDIA, "X-Request-ID": "req-1"})
    anonymous = client.get(path, headers={"X-Request-ID": "req-2"})
    listener = client.get(path, headers={**a_listener().headers, "X-Request-ID": "req-3"})
    forged = client.get(path, headers={"Authorization": "Bearer not.a.token"})

    assert (ok.status_code, ok.headers["x-request-id"], ok.json()["reason"]) == (200, "req-1", "no_ticket")
    assert ok.headers["content-type"] == "application/json"
    for response, status, kind, cid in ((anonymous, 401, "unauthenticated", "req-2"), (listener, 403, "forbidden", "req-3"),
                                        (forged, 401, "unauthenticated", None)):
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert (body["type"], body["status"], body["instance"]) == (kind, status, path)
        assert body["correlation_id"] == response.headers["x-request-id"] == (cid or body["correlation_id"])
    assert anonymous.headers["www-authenticate"] == "Bearer"
    head = client.head(path, headers=MEDIA)
    assert (head.status_code, head.content, head.headers["content-length"]) == (200, b"", ok.headers["content-length"])
    health = client.head("/healthz")
    assert (health.status_code, health.content, client.get("/healthz").json()) == (200, b"", {"status": "ok"})


def test_the_fast_path_reads_the_path_as_the_router_does(client, services, live_room) -> None:  # noqa: ANN001
    host, room = live_room
    odd = a_listener()  # a user id that needs escaping in a URL
    odd_sub = f"{odd.sub}@example.org"
    caller = Caller(odd_sub, bearer(odd_sub, "listener"))
    ticket = a_paid_ticket(client, room["id"], caller)
    caught_up(services)

    escaped = client.get(f"/v1/rooms/{room['id']}/admissions/{odd_sub.replace('@', '%40')}", headers=MEDIA)
    trailing = client.get(f"/v1/rooms/{room['id']}/admissions/{odd_sub}/", headers=MEDIA)
    posted = client.post(f"/v1/rooms/{room['id']}/admissions/{odd_sub}", headers=MEDIA)

    assert escaped.json()["ticket_id"] == ticket["id"]
    assert trailing.json()["ticket_id"] == ticket["id"]  # the router's slash redirect, as before
    assert posted.status_code == 405
