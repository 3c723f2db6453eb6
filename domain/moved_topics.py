"""Old topics of the aggregates that moved into domain's sub-packages.

Stored events name their class by topic, `module:qualname`, for example
`domain.tickets:Ticket.Paid`, and every `Created` event names its aggregate
(`originator_topic`). Issue 13 moved the flat domain modules into one
sub-package per context, so every database written before the move holds
topics whose modules no longer exist. Registering each moved aggregate under
its old `module:Class` lets the library's `resolve_topic` find it and every
event class nested in it (`domain.tickets:Ticket` resolves
`domain.tickets:Ticket.Paid` too), so old and new events load alike.

Aggregates are registered one by one, never a whole old module: `domain.rooms`
is now a package, and a module-level entry for it would make the library
resolve the new `domain.rooms.model:...` topics to `domain.rooms.model.model`.

Imported by `domain/__init__.py`, so whatever imports any of the domain
registers these first. Never remove an entry: the log is append-only and old
events stay. When an aggregate moves again, add its previous topic here.
Imports eventsourcing and domain's own modules only.
"""

from __future__ import annotations

from eventsourcing.utils import register_topic

from domain.attendance.media_rooms import MediaRoom
from domain.attendance.model import Presence
from domain.creators.model import Creator
from domain.rooms.model import Room
from domain.sales.codes import PromoCode
from domain.sales.model import Ticket
from domain.webhooks.model import WebhookEndpoint

# Each moved aggregate -> the module that held it before the split of issue 13
# (its old topic is `domain.<module>:<Class>`; spelt in parts so that the
# module-move sed script can never rewrite these names).
OLD_MODULES: dict[type, str] = {
    Room: "rooms",
    Ticket: "tickets",
    PromoCode: "codes",
    Creator: "creators",
    Presence: "attendance",
    MediaRoom: "media_rooms",
    WebhookEndpoint: "webhook_endpoints",
}


def old_topic(cls: type) -> str:
    """The topic `cls` was stored under before the split."""
    return f"domain.{OLD_MODULES[cls]}:{cls.__qualname__}"


for _cls in OLD_MODULES:
    register_topic(old_topic(_cls), _cls)
