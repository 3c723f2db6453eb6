"""How fresh an admission answer is: a change is visible after at most one poll interval
(BOXOFFICE_ADMISSION_POLL_SECONDS, default 0.05 s) plus the time to apply a batch; a write in the same
process pokes a quiet index at once (a hot one reads once per poll); two catch-ups racing never admit a refunded listener again.

Stated in the tail's cycles, not in milliseconds: the first catch-up that begins after a commit has
applied it, and the tail begins one every poll interval (or at once when poked). A bound in wall time
measured the machine's load (it failed at load 25 with 116 ms against 100).
"""

from __future__ import annotations

import threading
from uuid import UUID


from projections.admission_index import AdmissionIndex, Decision
from projections.admission_tail import AdmissionTail
from tests.api.builders import a_listener, a_paid_ticket
from tests.integration.projections import support
from tests.integration.projections.admission.builders import (
    POLL_SECONDS,
    caught_up,
    admission,
    tail_cycles,
    PausingRecorder,
)


def test_a_refund_is_denied_over_http_within_one_poll_interval_of_its_commit(client, services, live_room) -> None:  # noqa: ANN001
    host, room = live_room
    listener = a_listener()
    ticket = a_paid_ticket(client, room["id"], listener)
    caught_up(services)
    assert admission(client, room["id"], listener.sub)["admit"]

    with tail_cycles(services.app, services.admission_tail) as cycles:
        _, position = services.app.refund_ticket(host.sub, UUID(ticket["id"]), amount=None,
                                                 reason="requested_by_customer", key="full")
        _, seen_up_to = cycles.first_cycle_after(position)

    assert services.settings.admission_poll_seconds == POLL_SECONDS
    assert services.admission_tail.poll_interval == POLL_SECONDS
    assert seen_up_to >= position, "the first catch-up after the commit did not apply the refund"
    assert admission(client, room["id"], listener.sub)["reason"] == "refunded"


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
        # Act: refund in THIS process; note the other tail's cycles against the commit.
        with tail_cycles(services.app, tail) as cycles:
            _, position = services.app.refund_ticket(host.sub, UUID(ticket["id"]), amount=None,
                                                     reason="requested_by_customer", key="full")
            _, seen_up_to = cycles.first_cycle_after(position)
    finally:
        tail.stop()

    # Assert: its first poll after the commit brought the refund.
    assert seen_up_to >= position, "the other index's first catch-up after the commit did not apply the refund"
    assert index.check(room["id"], listener.sub).reason == "refunded"


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
