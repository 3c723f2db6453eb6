"""The domain's shape (issue 13): the application forwards each command to the command class that
holds it, aggregates are created through their public constructors, and old event topics resolve.

These read the code, not the store: they hold the layout that the import contracts cannot see.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from eventsourcing.utils import resolve_topic

from domain.application import BoxOffice
from domain.moved_topics import OLD_MODULES, old_topic
from domain.rooms.commands import RoomCommands
from domain.sales.commands import SalesCommands
from domain.sales.refunds import RefundCommands

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "store", "projections", "payouts", "integrations", "api", "migrations", "bench")
# The modules that define aggregates: only they may call the library's private `_create`.
MODEL_MODULES = {
    "domain/rooms/model.py", "domain/sales/model.py", "domain/sales/codes.py", "domain/sales/waitlist.py",
    "domain/attendance/model.py", "domain/attendance/media_rooms.py", "payouts/model.py",
}


def test_a_command_on_the_application_has_the_signature_and_docstring_of_the_command_class_that_holds_it() -> None:
    for command in (SalesCommands.buy_ticket, RoomCommands.open_room, RefundCommands.refund_ticket):
        forwarded = getattr(BoxOffice, command.__name__)

        assert inspect.signature(forwarded) == inspect.signature(command)
        assert forwarded.__doc__ == command.__doc__


def test_the_application_holds_no_rules_it_builds_the_command_classes_and_forwards_to_them() -> None:
    own = {name for name, value in vars(BoxOffice).items()
           if inspect.isfunction(value) and value.__qualname__.startswith("BoxOffice.")}

    assert own == {"__init__", "close", "_notify"}


def test_no_aggregate_is_created_with_the_private_create_outside_its_model_module() -> None:
    callers = []
    for path in (p for package in PACKAGES for p in (ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in MODEL_MODULES:
            continue
        if re.search(r"\._create\(", path.read_text(encoding="utf-8")):
            callers.append(relative)

    assert callers == []


def test_every_moved_aggregate_still_answers_to_its_topic_from_before_the_split() -> None:
    for cls in OLD_MODULES:
        assert resolve_topic(old_topic(cls)) is cls
