"""Events stored before the domain split (issue 13) still load: their topics name modules that
no longer exist (`domain.tickets:Ticket.Paid`), and domain/moved_topics.py maps them to the
classes' new homes, for the aggregates, the read models and the light event reader alike."""

from __future__ import annotations

import sqlite3
from eventsourcing.domain import DomainEvent
from eventsourcing.utils import get_topic, resolve_topic

from domain.moved_topics import OLD_MODULES, old_topic
from projections.light_events import event_kind
from tests.integration.projections.support import a_creator, a_paid_ticket, a_room, projection_tables, unique


def _nested_events(cls: type) -> list[type]:
    return [value for value in vars(cls).values() if isinstance(value, type) and issubclass(value, DomainEvent)]


def _to_old_topics(database: str) -> int:
    """Rewrite a database's log as it was before the split: every moved class's topic, in the
    row's topic and inside the state (a `Created` event names its aggregate's topic)."""
    changed = 0
    with sqlite3.connect(database) as conn:
        for cls in OLD_MODULES:
            new, old = get_topic(cls), old_topic(cls)
            changed += conn.execute(
                "UPDATE stored_events SET topic = replace(topic, ?, ?),"
                " state = CAST(replace(CAST(state AS TEXT), ?, ?) AS BLOB) WHERE topic LIKE ?",
                (new, old, f'"{new}"', f'"{old}"', f"{new}%")).rowcount
    return changed


def test_every_old_topic_of_a_moved_aggregate_and_its_events_resolves_to_the_class_that_moved() -> None:
    for cls in OLD_MODULES:
        events = _nested_events(cls)

        assert resolve_topic(old_topic(cls)) is cls
        assert events, cls
        for event_class in events:
            old = f"{old_topic(cls)}.{event_class.__name__}"
            assert resolve_topic(old) is event_class
            assert event_kind(old) == event_kind(get_topic(event_class)) == event_class.__qualname__


def test_the_new_topics_still_resolve_although_rooms_creators_and_attendance_are_now_packages() -> None:
    for cls in OLD_MODULES:
        for event_class in _nested_events(cls):
            assert resolve_topic(get_topic(event_class)) is event_class


def test_a_log_written_before_the_split_loads_and_rebuilds_the_same_read_tables(
        make_services, sqlite_url: str) -> None:  # noqa: ANN001
    services = make_services(sqlite_url)
    box, projector, clock = services.app, services.projector, services.clock
    host = a_creator(box)
    room = a_room(box, host, capacity=5)
    ticket = a_paid_ticket(box, room.id)
    refunded = a_paid_ticket(box, room.id)
    box.refund_ticket(host, refunded.id, amount=None, reason="requested_by_customer", key="full")
    code, _ = box.create_code(host, "EARLY", room_id=room.id, percent_off=10)
    box.buy_ticket(room.id, unique("listener"), code="EARLY")
    box.record_media_events([{"type": "joined", "room_id": room.id, "user_id": ticket.holder_id,
                              "session_id": "s1", "at": clock.now()}])
    box.set_end_room_when_finished(host, room.id, True)
    endpoint, _ = box.register_webhook_endpoint("https://example.test/hook", ["ticket.paid"], "", "s" * 32, "admin")
    projector.catch_up()
    names = sorted(projector.projections)
    live = projection_tables(projector, names)
    services.close()

    rewritten = _to_old_topics(sqlite_url.removeprefix("sqlite:///"))
    old = make_services(sqlite_url)

    assert rewritten >= 10
    topics = {n.topic for n in old.app.recorder.select_notifications(start=1, limit=1_000)}
    assert {t.split(":")[0] for t in topics} >= {f"domain.{m}" for m in ("rooms", "tickets", "codes", "creators")}
    assert all(not t.startswith(("domain.rooms.", "domain.sales.", "domain.creators.")) for t in topics)
    assert {event_kind(t) for t in topics} >= {"Room.Opened", "Ticket.Sold", "Creator.Registered"}
    assert old.app.get_room(room.id).capacity == 5
    assert old.app.get_ticket(ticket.id).status.value == "paid"
    assert old.app.get_webhook_endpoint(endpoint.id).url == "https://example.test/hook"
    old.projector.rebuild(*names)
    assert projection_tables(old.projector, names) == live
    # the application goes on writing new-topic events beside the old ones
    later = a_paid_ticket(old.app, room.id)
    assert old.app.get_ticket(later.id).status.value == "paid"
