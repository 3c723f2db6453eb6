"""Unpaid holds by room: an index of each room's live unpaid holds, soonest expiry first.

Literal SQL, frozen here (never imported from application code). A claim that
finds a room sold out reads the room's soonest unpaid hold expiry (a sweep can
free a seat from then on; store/claim_reads_sql.py), and the sweep of one room
reads its expired holds. The partial index `seat_holds_expiry` orders every
room's unpaid holds by expiry: asked about one room, it read the others' first
(O(unpaid holds) in a Stripe flash sale). This one answers in O(log n). Holds
paid in their own transaction (the sandbox) never enter either index.

Revision ID: 0020
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

UNPAID_BY_ROOM = ("CREATE INDEX seat_holds_unpaid_by_room ON seat_holds (room_id, hold_expires_us)"
                  " WHERE live AND NOT paid")


def upgrade() -> None:
    op.execute(UNPAID_BY_ROOM)


def downgrade() -> None:
    op.execute("DROP INDEX seat_holds_unpaid_by_room")
