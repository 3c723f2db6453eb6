"""Admission for media servers, over HTTP: who may join which room as what, how fresh that answer is,
signed admission tokens, the revocation feed and the check-in log.

Reason codes: projections/admission_index.py (after pretix's check-in reasons).
Staleness bound: a change is visible after at most one poll interval
(BOXOFFICE_ADMISSION_POLL_SECONDS, default 0.05 s) plus the time to apply a
batch; a write in the same process pokes the index at once.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
import pytest
from fastapi.testclient import TestClient

from api.admission.keys import AdmissionKeyring, b64url_encode
from api.admission.tokens import AdmissionTokenError, AdmissionTokenIssuer, AdmissionTokenVerifier, TokenRejection
from api.main import create_app
from projections.admission_index import AdmissionIndex, AdmissionTail, Decision
from store.timecodes import to_us
from tests.api.builders import (
    NOW,
    Caller,
    a_creator_token,
    a_hosted_room,
    a_listener,
    a_paid_ticket,
    buy,
    finance,
    iso,
    random_uuid,
)
from tests.conftest import bearer
from tests.integration.projections import support
from tests.support.fakes import PendingGateway

MEDIA = bearer("media-server-1", "media")
POLL_SECONDS = 0.05  # BOXOFFICE_ADMISSION_POLL_SECONDS, default
# Margin on top of the poll interval: applying the batch, thread scheduling under the GIL on a
# 2-core machine, and the 5 ms resolution of our own polling (plus an HTTP round trip).
STALENESS_MARGIN_SECONDS = 0.05


# --- arranging and asking ----------------------------------------------------------------


def caught_up(services: Any) -> None:
    """Wait until the in-memory admission index has seen the whole log (it follows it asynchronously)."""
    index, head = services.admission_index, services.app.uow.position()
    deadline = time.monotonic() + 2
    while index.position < head:
        assert time.monotonic() < deadline, f"admission index stuck at {index.position} < {head}"
        time.sleep(0.002)


def admission(client: TestClient, room_id: str, user_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/rooms/{room_id}/admissions/{user_id}", headers=MEDIA)
    assert response.status_code == 200, response.text
    return {k: v for k, v in response.json().items() if k != "position"}


def lifecycle(client: TestClient, host: Caller, room_id: str, action: str) -> None:
    response = client.post(f"/v1/rooms/{room_id}/{action}", headers=host.headers)
    assert response.status_code == 200, response.text


def refund(client: TestClient, host: Caller, ticket_id: str) -> None:
    response = client.post(f"/v1/tickets/{ticket_id}/refund", headers=host.headers)
    assert response.status_code == 200, response.text


def admitted(role: str, ticket_id: str | None = None, *, reason: str = "ok", waiting: bool = False) -> dict[str, Any]:
    return {"admit": True, "role": role, "reason": reason, "ticket_id": ticket_id, "waiting": waiting}


def denied(reason: str, ticket_id: str | None = None) -> dict[str, Any]:
    return {"admit": False, "role": None, "reason": reason, "ticket_id": ticket_id, "waiting": False}


@pytest.fixture
def live_room(client: TestClient) -> tuple[Caller, dict[str, Any]]:
    host, room = a_hosted_room(client)
    lifecycle(client, host, room["id"], "start")
    return host, room


# --- reason codes ------------------------------------------------------------------------------


def test_a_listener_with_a_paid_ticket_in_a_live_room_is_admitted_ok(client, services, live_room) -> None:  # noqa: ANN001
    _, room = live_room
    listener = a_listener()
    ticket = a_paid_ticket(client, room["id"], listener)

    caught_up(services)

    assert admission(client, room["id"], listener.sub) == admitted("listener", ticket["id"])


def test_a_paid_listener_before_the_start_is_admitted_to_the_waiting_room(client, services) -> None:  # noqa: ANN001
    _, room = a_hosted_room(client)
    listener = a_listener()
    ticket = a_paid_ticket(client, room["id"], listener)

    caught_up(services)

    assert admission(client, room["id"], listener.sub) == admitted("listener", ticket["id"], reason="not_started",
                                                                 waiting=True)


def test_someone_who_never_bought_a_ticket_is_denied_no_ticket(client, services, live_room) -> None:  # noqa: ANN001
    _, room = live_room

    caught_up(services)

    assert admission(client, room["id"], a_listener().sub) == denied("no_ticket")


def test_a_ticket_waiting_for_its_payment_is_denied_unpaid_until_the_payment_succeeds(make_services, sqlite_url, clock) -> None:  # noqa: ANN001
    gateway = PendingGateway(clock)
    services = make_services(sqlite_url, gateway=gateway)
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        host, room = a_hosted_room(client)
        lifecycle(client, host, room["id"], "start")
        listener = a_listener()
        response = buy(client, room["id"], listener)
        assert response.status_code == 201, response.text
        ticket = response.json()
        caught_up(services)

        before = admission(client, room["id"], listener.sub)
        services.app.record_payment(gateway.succeed(UUID(ticket["id"])))
        caught_up(services)
        after = admission(client, room["id"], listener.sub)

    assert ticket["status"] == "reserved"
    assert before == denied("unpaid", ticket["id"])
    assert after == admitted("listener", ticket["id"])


def test_a_refunded_ticket_is_denied_refunded(client, services, live_room) -> None:  # noqa: ANN001
    host, room = live_room
    listener = a_listener()
    ticket = a_paid_ticket(client, room["id"], listener)

    refund(client, host, ticket["id"])
    caught_up(services)

    assert admission(client, room["id"], listener.sub) == denied("refunded", ticket["id"])


def test_a_disputed_ticket_is_denied_revoked_and_admitted_again_when_the_dispute_is_won(client, services, live_room) -> None:  # noqa: ANN001
    _, room = live_room
    listener = a_listener()
    ticket = a_paid_ticket(client, room["id"], listener)
    ticket_id = UUID(ticket["id"])

    services.app.open_dispute(ticket_id, "dp_admission", ticket["price"]["amount"])
    caught_up(services)
    while_open = admission(client, room["id"], listener.sub)
    services.app.close_dispute(ticket_id, "dp_admission", won=True)
    caught_up(services)

    assert while_open == denied("revoked", ticket["id"])
    assert admission(client, room["id"], listener.sub) == admitted("listener", ticket["id"])


def test_nobody_is_admitted_to_a_cancelled_room_not_even_the_host(client, services, live_room) -> None:  # noqa: ANN001
    host, room = live_room
    listener = a_listener()
    a_paid_ticket(client, room["id"], listener)

    lifecycle(client, host, room["id"], "cancel")
    caught_up(services)

    assert admission(client, room["id"], listener.sub) == denied("room_cancelled")
    assert admission(client, room["id"], host.sub) == denied("room_cancelled")


def test_nobody_is_admitted_to_an_ended_room(client, services, live_room) -> None:  # noqa: ANN001
    host, room = live_room
    listener = a_listener()
    a_paid_ticket(client, room["id"], listener)

    lifecycle(client, host, room["id"], "end")
    caught_up(services)

    assert admission(client, room["id"], listener.sub) == denied("room_ended")
    assert admission(client, room["id"], host.sub) == denied("room_ended")


def test_a_room_that_does_not_exist_is_denied_unknown_room(client) -> None:  # noqa: ANN001
    assert admission(client, random_uuid(), a_listener().sub) == denied("unknown_room")


def test_the_host_cohosts_and_speakers_are_admitted_with_their_role_even_before_the_start(client, services) -> None:  # noqa: ANN001
    host, room = a_hosted_room(client)
    cohost, speaker = a_listener(), a_listener()

    for kind, who in (("cohosts", cohost), ("speakers", speaker)):
        response = client.put(f"/v1/rooms/{room['id']}/{kind}/{who.sub}", headers=host.headers)
        assert response.status_code == 200, response.text
    caught_up(services)

    assert admission(client, room["id"], host.sub) == admitted("host")
    assert admission(client, room["id"], cohost.sub) == admitted("cohost")
    assert admission(client, room["id"], speaker.sub) == admitted("speaker")


def test_a_removed_speaker_is_no_longer_admitted(client, services, live_room) -> None:  # noqa: ANN001
    host, room = live_room
    speaker = a_listener()
    client.put(f"/v1/rooms/{room['id']}/speakers/{speaker.sub}", headers=host.headers)

    response = client.delete(f"/v1/rooms/{room['id']}/speakers/{speaker.sub}", headers=host.headers)
    caught_up(services)

    assert response.status_code == 200, response.text
    assert admission(client, room["id"], speaker.sub) == denied("no_ticket")


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


# --- staleness -------------------------------------------------------------------------------------


@contextmanager
def commit_times(box: Any) -> Iterator[dict[int, float]]:
    """Log position -> monotonic time of its commit, stamped before any read model is poked."""
    stamps: dict[int, float] = {}

    def stamp(position: int) -> None:
        stamps[position] = time.monotonic()

    box.uow.commit_listeners.insert(0, stamp)
    try:
        yield stamps
    finally:
        box.uow.commit_listeners.remove(stamp)


@contextmanager
def first_time_true(condition: Callable[[], bool], every: float = 0.005, at_most: float = 1.0) -> Iterator[list[float]]:
    """Poll `condition` every 5 ms in a thread (for at most 1 s); yields a list that gets the first time it held."""
    seen: list[float] = []
    stop = threading.Event()

    def poll() -> None:
        deadline = time.monotonic() + at_most
        while not stop.is_set() and time.monotonic() < deadline:
            if condition():
                seen.append(time.monotonic())
                return
            time.sleep(every)

    poller = threading.Thread(target=poll, name="staleness-poller", daemon=True)
    poller.start()
    try:
        yield seen
    finally:
        poller.join(timeout=at_most + 1)
        stop.set()


def test_a_refund_is_denied_over_http_within_one_poll_interval_of_its_commit(client, services, live_room) -> None:  # noqa: ANN001
    host, room = live_room
    listener = a_listener()
    ticket = a_paid_ticket(client, room["id"], listener)
    caught_up(services)
    assert admission(client, room["id"], listener.sub)["admit"]

    with commit_times(services.app) as stamps, \
            first_time_true(lambda: admission(client, room["id"], listener.sub)["reason"] == "refunded") as denied_at:
        _, position = services.app.refund_ticket(host.sub, UUID(ticket["id"]), amount=None,
                                                 reason="requested_by_customer", key="full")

    assert services.settings.admission_poll_seconds == POLL_SECONDS
    assert denied_at, "the refunded listener was still admitted after 1 s"
    delay = denied_at[0] - stamps[position]
    assert delay <= POLL_SECONDS + STALENESS_MARGIN_SECONDS, f"denied {delay * 1000:.1f} ms after the commit"


def test_an_index_in_another_process_sees_a_refund_within_one_poll_interval(client, services, make_services, live_room) -> None:  # noqa: ANN001
    # Arrange: a second API process's index on the same database, with its own recorder:
    # nothing in this process pokes it, so only its polling brings the refund.
    other = make_services(services.settings.database_url)
    index = AdmissionIndex()
    tail = AdmissionTail(index, other.app.recorder, other.app.mapper, other.db, poll_interval=POLL_SECONDS)
    host, room = live_room
    listener = a_listener()
    ticket = a_paid_ticket(client, room["id"], listener)
    tail.load_snapshot()
    tail.catch_up()
    assert index.check(room["id"], listener.sub).reason == "ok"
    tail.start()
    try:
        # Act: refund in THIS process; poll the other index every 5 ms.
        with commit_times(services.app) as stamps, \
                first_time_true(lambda: index.check(room["id"], listener.sub).reason == "refunded") as denied_at:
            _, position = services.app.refund_ticket(host.sub, UUID(ticket["id"]), amount=None,
                                                     reason="requested_by_customer", key="full")
    finally:
        tail.stop()

    # Assert: within one poll interval plus the margin.
    assert denied_at, "the other index still admitted the refunded listener after 1 s"
    delay = denied_at[0] - stamps[position]
    assert delay <= POLL_SECONDS + STALENESS_MARGIN_SECONDS, f"denied {delay * 1000:.1f} ms after the commit"


# --- the index when two threads catch it up at once ---------------------------------------------------



class PausingRecorder:
    """The real recorder, except that reads made by one chosen thread hold their result until released."""

    def __init__(self, recorder: Any) -> None:
        self._recorder = recorder
        self.paused_thread: threading.Thread | None = None
        self.holding = threading.Event()
        self.release = threading.Event()

    def select_notifications(self, *args: Any, **kwargs: Any) -> Any:
        found = self._recorder.select_notifications(*args, **kwargs)
        if found and threading.current_thread() is self.paused_thread:
            self.holding.set()
            self.release.wait(timeout=5)
        return found

    def max_notification_id(self) -> Any:
        return self._recorder.max_notification_id()


def test_two_catch_ups_racing_on_one_index_never_admit_a_refunded_listener_again(services) -> None:  # noqa: ANN001
    # Arrange: an index that has seen the room, then a sale it has not seen yet.
    box = services.app
    recorder = PausingRecorder(box.recorder)
    index = AdmissionIndex()
    tail = AdmissionTail(index, recorder, box.mapper, services.db)
    room = support.a_room(box, support.unique("host"))
    box.start_room(room.host_id, room.id)
    tail.catch_up()
    ticket = support.a_paid_ticket(box, room.id, "ann")
    # A request thread (the token endpoint's catch-up) reads the sale, then is descheduled.
    slow = threading.Thread(target=tail.catch_up, name="token-request")
    recorder.paused_thread = slow
    slow.start()
    assert recorder.holding.wait(timeout=5)
    # Meanwhile the host refunds, and the tail thread (here: this one) catches up past the refund.
    box.refund_ticket(room.host_id, ticket.id, amount=None, reason="requested_by_customer", key="full")
    tail.catch_up()
    while_paused = index.check(str(room.id), "ann")

    # Act: the request thread wakes up and applies what it read.
    recorder.release.set()
    slow.join(timeout=5)

    # Assert: the refund still stands.
    assert while_paused.reason == "refunded"
    assert index.check(str(room.id), "ann") == Decision(False, None, "refunded", str(ticket.id))


# --- the revocation feed ----------------------------------------------------------------------------


def revocations(client: TestClient, room_id: str, since: int, limit: int = 1000, headers: dict | None = None) -> Any:
    return client.get(f"/v1/rooms/{room_id}/revocations", params={"since": since, "limit": limit},
                    headers=headers or MEDIA)


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


# --- admission tokens -------------------------------------------------------------------------------


def token_for(client: TestClient, room_id: str, caller: Caller) -> Any:
    return client.post(f"/v1/rooms/{room_id}/admission-token", headers=caller.headers)


def published_verifier(client: TestClient, clock: Any) -> AdmissionTokenVerifier:
    """What a media server builds: nothing but the public JWKS."""
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200, response.text
    return AdmissionTokenVerifier(response.json(), clock)


def rejection(verifier: AdmissionTokenVerifier, token: str, room: str | None = None) -> TokenRejection:
    with pytest.raises(AdmissionTokenError) as refused:
        verifier.verify(token, room=room)
    return refused.value.reason


def kid_of(token: str) -> str:
    header = token.split(".")[0]
    return orjson.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


@pytest.fixture
def paid_listener(client: TestClient, live_room: tuple[Caller, dict[str, Any]]) -> tuple[Caller, dict, dict]:
    """(listener, room, ticket): a listener holding a paid ticket for a live room."""
    _, room = live_room
    listener = a_listener()
    return listener, room, a_paid_ticket(client, room["id"], listener)


def test_a_paid_listener_gets_a_token_a_media_server_verifies_with_only_the_jwks(client, clock, paid_listener) -> None:  # noqa: ANN001
    listener, room, ticket = paid_listener

    response = token_for(client, room["id"], listener)

    assert response.status_code == 200, response.text
    body = response.json()
    claims = published_verifier(client, clock).verify(body["token"], room=room["id"])
    assert (claims["sub"], claims["room"], claims["role"], claims["ticket_id"]) == (
        listener.sub, room["id"], "listener", ticket["id"])
    assert claims["grants"] == {"can_subscribe": True, "can_publish": False} == body["grants"]
    assert claims["exp"] - claims["iat"] == body["expires_in"] == 300
    assert body["waiting"] is False


def test_the_host_gets_a_token_that_may_publish(client, clock, live_room) -> None:  # noqa: ANN001
    host, room = live_room

    response = token_for(client, room["id"], host)

    assert response.status_code == 200, response.text
    claims = published_verifier(client, clock).verify(response.json()["token"], room=room["id"])
    assert (claims["role"], claims["grants"]["can_publish"]) == ("host", True)


def test_a_token_signed_by_another_keyring_is_rejected_as_unknown_kid(client, clock, paid_listener) -> None:  # noqa: ANN001
    listener, room, _ = paid_listener
    forger = AdmissionTokenIssuer(AdmissionKeyring.generate(clock), clock)

    forged, _ = forger.issue(listener.sub, room["id"], "host")

    assert rejection(published_verifier(client, clock), forged) is TokenRejection.UNKNOWN_KID


def test_a_token_that_claims_our_kid_but_is_signed_by_another_key_is_rejected_as_bad_signature(client, clock, paid_listener) -> None:  # noqa: ANN001
    listener, room, _ = paid_listener
    genuine = token_for(client, room["id"], listener).json()["token"]
    header, payload, _ = genuine.split(".")
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    elevated = b64url_encode(orjson.dumps({**claims, "role": "host", "grants": {"can_subscribe": True,
                                                                                 "can_publish": True}}))
    other_key = AdmissionKeyring.generate(clock).current.signing_key

    forged = f"{header}.{elevated}.{b64url_encode(other_key.sign(f'{header}.{elevated}'.encode()).signature)}"

    assert rejection(published_verifier(client, clock), forged) is TokenRejection.BAD_SIGNATURE


def test_a_token_expires_after_300_seconds_plus_the_verifiers_5_second_leeway(client, clock, paid_listener) -> None:  # noqa: ANN001
    listener, room, _ = paid_listener
    token = token_for(client, room["id"], listener).json()["token"]
    verifier = published_verifier(client, clock)

    clock.advance(seconds=304)
    still_valid = verifier.verify(token, room=room["id"])
    clock.advance(seconds=2)  # 306 s after issue

    assert still_valid["sub"] == listener.sub
    assert rejection(verifier, token, room["id"]) is TokenRejection.EXPIRED


def test_a_token_for_one_room_is_rejected_for_another(client, clock, paid_listener) -> None:  # noqa: ANN001
    listener, room, _ = paid_listener
    token = token_for(client, room["id"], listener).json()["token"]

    assert rejection(published_verifier(client, clock), token, room=random_uuid()) is TokenRejection.WRONG_ROOM


def test_a_token_issued_before_a_key_rotation_still_verifies_with_the_new_jwks(client, services, clock, paid_listener) -> None:  # noqa: ANN001
    listener, room, _ = paid_listener
    before = token_for(client, room["id"], listener).json()["token"]

    new_kid, _ = services.keys.rotate()
    after = token_for(client, room["id"], listener).json()["token"]
    verifier = published_verifier(client, clock)

    assert kid_of(after) == new_kid != kid_of(before)
    assert verifier.kids >= {kid_of(before), new_kid}
    assert verifier.verify(before, room=room["id"])["sub"] == listener.sub
    assert verifier.verify(after, room=room["id"])["sub"] == listener.sub


def test_a_listener_without_a_paid_ticket_gets_no_token(client, live_room) -> None:  # noqa: ANN001
    _, room = live_room

    response = token_for(client, room["id"], a_listener())

    assert response.status_code == 403, response.text
    assert response.json()["reason"] == "no_ticket"


def test_a_refunded_listener_gets_no_new_token(client, paid_listener, live_room) -> None:  # noqa: ANN001
    listener, room, ticket = paid_listener
    host, _ = live_room
    refund(client, host, ticket["id"])

    response = token_for(client, room["id"], listener)

    assert response.status_code == 403, response.text
    assert response.json()["reason"] == "refunded"


def test_no_token_for_a_room_that_does_not_exist(client) -> None:  # noqa: ANN001
    response = token_for(client, random_uuid(), a_listener())

    assert response.status_code == 404, response.text


# --- check-ins and attendance --------------------------------------------------------------------------


def report(client: TestClient, *events: dict[str, Any]) -> Any:
    return client.post("/v1/media/events", headers=MEDIA, json={"events": list(events)})


def presence(kind: str, room_id: str, user_id: str, session: str, at: Any) -> dict[str, Any]:
    return {"type": kind, "room_id": room_id, "user_id": user_id, "session_id": session, "at": iso(at)}


def test_joins_and_leaves_add_up_to_seconds_attended_for_the_host_and_finance(client, paid_listener, live_room) -> None:  # noqa: ANN001
    listener, room, _ = paid_listener
    host, _ = live_room
    rid = room["id"]

    response = report(client, presence("joined", rid, listener.sub, "s1", NOW),
                      presence("left", rid, listener.sub, "s1", NOW + timedelta(seconds=90)),
                      presence("joined", rid, listener.sub, "s2", NOW + timedelta(seconds=100)),
                      presence("left", rid, listener.sub, "s2", NOW + timedelta(seconds=130)))
    as_host = client.get(f"/v1/rooms/{rid}/attendance", headers=host.headers)
    as_finance = client.get(f"/v1/rooms/{rid}/attendance", headers=finance().headers)

    assert response.status_code == 202, response.text
    assert as_host.status_code == 200, as_host.text
    (person,) = as_host.json()["items"]
    assert (person["user_id"], person["role"], person["sessions"], person["seconds"], person["present"]) == (
        listener.sub, "listener", 2, 120, False)
    assert as_host.json()["total_seconds"] == 120
    assert as_finance.status_code == 200 and as_finance.json()["items"] == as_host.json()["items"]


def test_the_same_report_twice_counts_once(client, paid_listener, live_room) -> None:  # noqa: ANN001
    listener, room, _ = paid_listener
    host, _ = live_room
    joined = presence("joined", room["id"], listener.sub, "s1", NOW)
    left = presence("left", room["id"], listener.sub, "s1", NOW + timedelta(seconds=60))

    first = report(client, joined, left)
    again = report(client, joined, left)

    assert (first.json()["recorded"], again.json()["recorded"]) == (2, 0)
    assert client.get(f"/v1/rooms/{room['id']}/attendance", headers=host.headers).json()["total_seconds"] == 60


def test_an_open_session_counts_whole_seconds_up_to_an_instant_a_float_timestamp_rounds_early(  # noqa: ANN001
        client, clock, paid_listener, live_room) -> None:
    listener, room, _ = paid_listener
    host, _ = live_room
    now = datetime(2004, 10, 27, 3, 59, 33, 676633, tzinfo=UTC)  # a float timestamp * 1e6 makes it ...632
    assert int(now.timestamp() * 1_000_000) == to_us(now) - 1  # the premise: the float version is early here
    clock.set(now)

    report(client, presence("joined", room["id"], listener.sub, "s1", now - timedelta(seconds=10)))
    response = client.get(f"/v1/rooms/{room['id']}/attendance", headers=host.headers)

    assert response.status_code == 200, response.text
    (person,) = response.json()["items"]
    assert (person["seconds"], person["present"]) == (10, True)  # the float version counted 9


def test_attendance_is_hidden_from_listeners_and_other_creators(client, paid_listener) -> None:  # noqa: ANN001
    listener, room, _ = paid_listener
    other_creator = a_creator_token()

    as_listener = client.get(f"/v1/rooms/{room['id']}/attendance", headers=listener.headers)
    as_other = client.get(f"/v1/rooms/{room['id']}/attendance", headers=other_creator.headers)

    assert (as_listener.status_code, as_other.status_code) == (403, 403)


def test_media_events_need_the_media_role(client, paid_listener) -> None:  # noqa: ANN001
    listener, room, _ = paid_listener

    response = client.post("/v1/media/events", headers=listener.headers,
                         json={"events": [presence("joined", room["id"], listener.sub, "s1", NOW)]})

    assert response.status_code == 403
