"""Every ticket projected before 0014 gets its tier in the catalog, as a rebuild from the events gives it.

0014 added `tickets_view.tier_id` and left it null on the rows already there
until the catalog is rebuilt. The tier of every ticket is already known: its
seat hold row carries it (`seat_holds.tier_id`, set at reservation, or by 0010
to the room's default tier, whose id is the room's, for holds older than tiers),
and hold rows are never deleted. A ticket without a hold row keeps null.

Revision ID: 0015
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE tickets_view SET tier_id = (SELECT h.tier_id FROM seat_holds h WHERE h.ticket_id = tickets_view.ticket_id)"
        " WHERE tier_id IS NULL"
    )


def downgrade() -> None:
    """Nothing to undo: 0014's column allows a tier or null."""
