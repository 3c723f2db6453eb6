"""Readers of the log in memory treat `Ticket.Sold` as `Ticket.Reserved` then `Ticket.Paid` at its position:
the admission index, the light reader of the admission tail, and the webhook registry. (The catalog and the
ledger, on both engines: tests/integration/projections/test_sold_contract.py.)
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from integrations.webhook_events import matching
from integrations.webhook_dispatcher import _moment
from projections.admission_index import AdmissionIndex
from projections.light_events import LightReader
from tests.support.old_sales import as_reserved_and_paid, doubled, kinds, reserved_and_paid
from tests.unit.builders import open_room, unique


def log(box: Any) -> list[tuple[int, Any]]:
    return [(n.id, box.mapper.to_domain_event(n)) for n in box.recorder.select_notifications(start=1, limit=100_000)]


def a_story(box: Any) -> tuple[list[tuple[int, Any]], list[str], list[str]]:
    """Sales in two rooms (one refunded, one declined, one bought again, one given away), one room started:
    (log, rooms, people)."""
    rooms = [open_room(box, capacity=4), open_room(box, capacity=4)]
    people = [unique("listener") for _ in range(4)]
    tickets = [box.buy_ticket(room.id, who).ticket for room in rooms for who in people[:2]]
    box.buy_ticket(rooms[0].id, people[2], payment_method="pm_card_chargeDeclined")
    box.refund_ticket(rooms[1].host_id, tickets[2].id, amount=None, reason="requested_by_customer", key="full")
    box.buy_ticket(rooms[1].id, people[0], idempotency_key="again")
    box.transfer_ticket(people[1], tickets[1].id, people[3])  # a gift: the giver is `transferred`
    box.start_room(rooms[0].host_id, rooms[0].id)
    hosts = [room.host_id for room in rooms]
    return log(box), [str(room.id) for room in rooms], people + hosts + ["nobody"]


def indexed(events: list[tuple[int, Any]]) -> AdmissionIndex:
    """The index as its tail builds it: handled events applied, the others passed over."""
    index = AdmissionIndex()
    for position, event in events:
        if type(event).__qualname__ in AdmissionIndex.handlers:
            index.apply(event, position)
        else:
            index.advance(position)
    return index


def test_the_admission_index_answers_a_sold_log_as_the_reserved_and_paid_log(box: Any) -> None:
    events, rooms, people = a_story(box)
    old = as_reserved_and_paid(events)
    assert kinds(events).count("Ticket.Sold") == 5 and "Ticket.Sold" not in kinds(old)

    sold, reserved_paid = indexed(doubled(events)), indexed(old)

    answers = [(r, u) for r in rooms for u in people]
    assert [sold.check(r, u) for r, u in answers] == [reserved_paid.check(r, u) for r, u in answers]
    assert sum(sold.check(r, u).reason == "ok" for r, u in answers) >= 3  # a story in which some are admitted
    assert (len(sold), sold.position) == (len(reserved_paid), reserved_paid.position)
    assert bytes(sold._status) == bytes(reserved_paid._status)


def test_the_admission_tails_light_reader_reads_a_sold_event_as_the_mapper_does(box: Any) -> None:
    room = open_room(box, capacity=2)
    box.buy_ticket(room.id, "ann")
    (notification,) = [n for n in box.recorder.select_notifications(start=1, limit=100)
                       if n.topic.endswith("Ticket.Sold")]
    reader = LightReader(box.mapper, AdmissionIndex.handlers)

    kind, light = reader.read(notification)
    full = box.mapper.to_domain_event(notification)

    assert (kind, reader.kind(notification.topic)) == ("Ticket.Sold", ("Ticket.Sold", True))
    assert isinstance(light, SimpleNamespace)
    assert (light.originator_id, light.room_id, light.holder_id, light.host_id) == (
        full.originator_id, str(full.room_id), full.holder_id, full.host_id)


def test_a_sold_ticket_is_one_ticket_paid_webhook_with_the_payload_of_reserved_then_paid(box: Any) -> None:
    room = open_room(box, capacity=2)
    ticket = box.buy_ticket(room.id, "ann").ticket
    events = [e for _, e in log(box) if getattr(e, "originator_id", None) == ticket.id]
    old = reserved_and_paid(events[0])

    sold_hooks = [(matching(e).name, matching(e).order_key(e), _moment(e)) for e in events if matching(e)]
    old_hooks = [(matching(e).name, matching(e).order_key(e), _moment(e)) for e in old if matching(e)]

    assert sold_hooks == old_hooks == [("ticket.paid", f"room:{room.id}", ticket.paid_at)]
    entry = matching(events[0])
    assert entry is not None
    as_sold = box.uow.load(type(ticket), ticket.id, "ticket", version=events[0].originator_version)
    as_paid = old[0].mutate(None)
    old[1].mutate(as_paid)
    assert entry.data(as_sold) == entry.data(as_paid)
    assert entry.data(as_sold)["status"] == "paid"
