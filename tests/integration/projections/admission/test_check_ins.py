"""The check-in log: media servers report joins and leaves, which add up to seconds attended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


from store.timecodes import to_us
from tests.api.builders import NOW, a_creator_token, finance
from tests.integration.projections.admission.builders import report, presence


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
