"""`POST /v1/webhooks/livekit`: LiveKit's signed webhooks feed the attendance log.

Signed as LiveKit's server signs them (tests/livekit_standin: the SDK's AccessToken with
the body's SHA-256); verified by the SDK's WebhookReceiver. Anything else is 401 and
writes nothing; a redelivered webhook is recorded once.
"""

from __future__ import annotations

import uuid

from tests.api.builders import NOW, a_hosted_room, a_listener, a_paid_ticket, assert_problem, nothing_written
from tests.livekit_standin.server import send_webhook, signed_webhook, webhook_event

URL = "/v1/webhooks/livekit"


def attendance(client, room_id, host):
    response = client.get(f"/v1/rooms/{room_id}/attendance", headers=host.headers)
    assert response.status_code == 200, response.text
    return {p["user_id"]: p for p in response.json()["items"]}


def post(client, livekit, event):
    return send_webhook(client, URL, event, livekit.state.api_key, livekit.state.api_secret)


def test_participants_joining_and_leaving_feed_the_attendance_log(lk_client, livekit):
    host, room = a_hosted_room(lk_client)
    listener = a_listener()
    a_paid_ticket(lk_client, room["id"], listener)
    start = int(NOW.timestamp())

    joined = post(lk_client, livekit, webhook_event("participant_joined", room["id"], identity=listener.sub,
                                                    event_id="EV_join", created_at=start))
    left = post(lk_client, livekit, webhook_event("participant_left", room["id"], identity=listener.sub,
                                                  event_id="EV_left", created_at=start + 90))

    assert (joined.status_code, left.status_code) == (200, 200), (joined.text, left.text)
    person = attendance(lk_client, room["id"], host)[listener.sub]
    assert (person["sessions"], person["seconds"], person["present"], person["role"]) == (1, 90, False, "listener")


def test_an_aborted_connection_closes_the_session(lk_client, livekit):
    host, room = a_hosted_room(lk_client)
    start = int(NOW.timestamp())
    post(lk_client, livekit, webhook_event("participant_joined", room["id"], identity=host.sub, event_id="EV_1",
                                           created_at=start))

    post(lk_client, livekit, webhook_event("participant_connection_aborted", room["id"], identity=host.sub,
                                           event_id="EV_2", created_at=start + 30))

    assert attendance(lk_client, room["id"], host)[host.sub]["present"] is False


def test_a_redelivered_webhook_is_recorded_once(lk_client, livekit, lk_services):
    host, room = a_hosted_room(lk_client)
    event = webhook_event("participant_joined", room["id"], identity=host.sub, event_id="EV_twice",
                          created_at=int(NOW.timestamp()))
    first = post(lk_client, livekit, event)
    position = lk_services.app.uow.position()

    again = post(lk_client, livekit, event)

    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    assert lk_services.app.uow.position() == position
    assert attendance(lk_client, room["id"], host)[host.sub]["sessions"] == 1


def test_an_unsigned_webhook_is_401_and_writes_nothing(lk_client, livekit, lk_services):
    _, room = a_hosted_room(lk_client)
    body, _ = signed_webhook(webhook_event("participant_joined", room["id"], identity="someone", event_id="EV_u"),
                             livekit.state.api_key, livekit.state.api_secret)

    with nothing_written(lk_services):
        response = lk_client.post(URL, content=body)

    assert_problem(response, 401, "invalid_signature")


def test_a_tampered_body_is_401_and_writes_nothing(lk_client, livekit, lk_services):
    _, room = a_hosted_room(lk_client)
    body, token = signed_webhook(webhook_event("participant_joined", room["id"], identity="someone", event_id="EV_t"),
                                 livekit.state.api_key, livekit.state.api_secret)

    with nothing_written(lk_services):
        response = lk_client.post(URL, content=body.replace("someone", "intruder"), headers={"Authorization": token})

    assert_problem(response, 401, "invalid_signature")


def test_a_webhook_signed_with_another_key_is_401_and_writes_nothing(lk_client, lk_services):
    _, room = a_hosted_room(lk_client)
    event = webhook_event("participant_joined", room["id"], identity="someone", event_id="EV_f")

    with nothing_written(lk_services):
        response = send_webhook(lk_client, URL, event, "APIforeign", "foreign-secret-0123456789abcdefghij")

    assert_problem(response, 401, "invalid_signature")


def test_room_finished_is_recorded_once(lk_client, livekit, lk_services):
    _, room = a_hosted_room(lk_client)
    event = webhook_event("room_finished", room["id"], event_id="EV_fin")

    first = post(lk_client, livekit, event)
    position = lk_services.app.uow.position()
    again = post(lk_client, livekit, event)

    assert (first.json()["handled"], again.json()["duplicate"]) == (True, True)
    assert lk_services.app.uow.position() == position
    from domain.attendance.media_rooms import MediaRoom, media_room_id

    media = lk_services.app.uow.load(MediaRoom, media_room_id(uuid.UUID(room["id"])), "media room")
    assert media.finished_sessions == [f"RM_{room['id'][:8]}"]


def test_an_event_for_a_room_that_is_not_ours_is_acknowledged_and_ignored(lk_client, livekit):
    response = post(lk_client, livekit, webhook_event("participant_joined", "somebody-elses-room", identity="x",
                                                      event_id="EV_other"))

    assert response.status_code == 200
    assert response.json()["handled"] is False


def live_room(client):
    host, room = a_hosted_room(client)
    assert client.post(f"/v1/rooms/{room['id']}/start", headers=host.headers).status_code == 200
    return host, room


def room_state(client, room_id):
    return client.get(f"/v1/rooms/{room_id}", headers=a_listener().headers).json()["state"]


def test_room_finished_ends_the_room_when_the_host_chose_so(lk_client, livekit):
    host, room = live_room(lk_client)
    chosen = lk_client.put(f"/v1/rooms/{room['id']}/livekit", json={"end_room_when_finished": True},
                           headers=host.headers)

    finished = post(lk_client, livekit, webhook_event("room_finished", room["id"], event_id="EV_end"))

    assert chosen.status_code == 200, chosen.text
    assert finished.json()["room_ended"] is True
    assert room_state(lk_client, room["id"]) == "ended"


def test_room_finished_leaves_the_room_live_by_default(lk_client, livekit):
    _, room = live_room(lk_client)

    finished = post(lk_client, livekit, webhook_event("room_finished", room["id"], event_id="EV_stay"))

    assert finished.json()["room_ended"] is False
    assert room_state(lk_client, room["id"]) == "live"


def test_only_the_host_sets_the_livekit_options(lk_client, lk_services):
    _, room = live_room(lk_client)

    with nothing_written(lk_services):
        response = lk_client.put(f"/v1/rooms/{room['id']}/livekit", json={"end_room_when_finished": True},
                                 headers=a_listener().headers)

    assert_problem(response, 403, "forbidden")
