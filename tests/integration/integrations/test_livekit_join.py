"""`POST /v1/rooms/{room_id}/join`: the admission decision turned into a LiveKit access token.

Each token must verify with LiveKit's own `TokenVerifier(key, secret)` alone, name the
room and the caller, and carry the grants of the caller's role.
"""

from __future__ import annotations

import json

from livekit import api as lk

from tests.api.builders import (
    a_hosted_room,
    a_listener,
    a_paid_ticket,
    assert_problem,
    bearer,
    in_the_future,
    nothing_written,
    unique,
)


def a_live_room(client):
    host, room = a_hosted_room(client)
    assert client.post(f"/v1/rooms/{room['id']}/start", headers=host.headers).status_code == 200
    return host, room


def join(client, room_id, caller):
    return client.post(f"/v1/rooms/{room_id}/join", headers=caller.headers)


def verified(livekit, answer):
    return lk.TokenVerifier(livekit.state.api_key, livekit.state.api_secret).verify(answer["token"])


def test_a_paid_listener_gets_a_token_that_livekit_verifies_for_that_room_and_no_more(lk_client, livekit):
    _, room = a_live_room(lk_client)
    listener = a_listener()
    ticket = a_paid_ticket(lk_client, room["id"], listener)

    response = join(lk_client, room["id"], listener)

    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["url"], answer["role"], answer["waiting"]) == (livekit.url, "listener", False)
    claims = verified(livekit, answer)
    assert claims.identity == listener.sub
    assert (claims.video.room, claims.video.room_join, claims.video.can_subscribe) == (room["id"], True, True)
    assert claims.video.can_publish is False
    assert not claims.video.room_admin
    assert json.loads(claims.metadata)["ticket_id"] == ticket["id"]


def test_the_host_may_publish_and_administer_the_room(lk_client, livekit):
    host, room = a_hosted_room(lk_client)

    claims = verified(livekit, join(lk_client, room["id"], host).json())

    assert (claims.identity, claims.video.room) == (host.sub, room["id"])
    assert (claims.video.can_publish, claims.video.can_subscribe, claims.video.room_admin) == (True, True, True)


def test_cohosts_and_speakers_may_publish_but_not_administer(lk_client, livekit):
    host, room = a_hosted_room(lk_client)
    cohost, speaker = unique("cohost"), unique("speaker")
    assert lk_client.put(f"/v1/rooms/{room['id']}/cohosts/{cohost}", headers=host.headers).status_code in (200, 204)
    assert lk_client.put(f"/v1/rooms/{room['id']}/speakers/{speaker}", headers=host.headers).status_code in (200, 204)

    for sub, role in ((cohost, "cohost"), (speaker, "speaker")):
        caller = type(host)(sub, bearer(sub, "listener"))
        answer = join(lk_client, room["id"], caller).json()
        claims = verified(livekit, answer)
        assert answer["role"] == role
        assert (claims.video.can_publish, claims.video.room_join) == (True, True)
        assert not claims.video.room_admin


def test_the_token_lives_at_most_the_configured_ttl_and_not_before_now(lk_client, livekit):
    import jwt

    host, room = a_hosted_room(lk_client)

    answer = join(lk_client, room["id"], host).json()

    raw = jwt.decode(answer["token"], livekit.state.api_secret, algorithms=["HS256"], issuer=livekit.state.api_key)
    assert 0 < raw["exp"] - raw["nbf"] <= 600
    assert answer["expires_at"]


def test_a_refunded_listener_is_refused_with_403_refunded(lk_client):
    host, room = a_hosted_room(lk_client)
    listener = a_listener()
    ticket = a_paid_ticket(lk_client, room["id"], listener)
    assert lk_client.post(f"/v1/tickets/{ticket['id']}/refund", headers=host.headers).status_code == 200

    assert_problem(join(lk_client, room["id"], listener), 403, "refunded")


def test_a_listener_without_a_ticket_is_refused_with_403_no_ticket(lk_client):
    _, room = a_hosted_room(lk_client)

    assert_problem(join(lk_client, room["id"], a_listener()), 403, "no_ticket")


def test_nobody_joins_a_cancelled_room(lk_client):
    host, room = a_hosted_room(lk_client)
    lk_client.post(f"/v1/rooms/{room['id']}/cancel", headers=host.headers)

    assert_problem(join(lk_client, room["id"], host), 403, "room_cancelled")


def test_a_paid_listener_before_the_start_waits_with_a_token_that_cannot_subscribe(lk_client, livekit):
    _, room = a_hosted_room(lk_client, scheduled_start=in_the_future(hours=2))
    listener = a_listener()
    a_paid_ticket(lk_client, room["id"], listener)

    answer = join(lk_client, room["id"], listener).json()

    claims = verified(livekit, answer)
    assert answer["waiting"] is True
    assert (claims.video.room_join, claims.video.can_subscribe, claims.video.can_publish) == (True, False, False)


def test_an_unknown_room_is_404(lk_client):
    import uuid

    assert_problem(join(lk_client, str(uuid.uuid4()), a_listener()), 404, "not_found")


def test_without_livekit_settings_join_is_503_and_readyz_says_livekit_is_off(client, services):
    _, room = a_hosted_room(client)

    with nothing_written(services):
        assert_problem(join(client, room["id"], a_listener()), 503, "livekit_disabled")
    ready = client.get("/readyz").json()
    assert ready["checks"]["reactors"]["livekit"]["enabled"] is False
