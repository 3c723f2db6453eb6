"""The waitlist: the line each room's sales are checked against (a guard table), and its read table.

Revision ID: 0017
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # store/waitlist_guards_sql.py: one row per listener in a room's line; written behind the room's lock.
    op.execute("CREATE TABLE waitlist (entry_id VARCHAR(36) PRIMARY KEY, room_id VARCHAR(36) NOT NULL,"
               " tier_id VARCHAR(36) NOT NULL, holder_id TEXT NOT NULL, place BIGINT NOT NULL,"
               " status VARCHAR(16) NOT NULL, joined_us BIGINT NOT NULL, offer_id VARCHAR(36), offer_expires_us BIGINT,"
               " ticket_id VARCHAR(36))")
    op.execute("CREATE UNIQUE INDEX waitlist_one_per_listener ON waitlist (room_id, holder_id)"
               " WHERE status IN ('waiting', 'offered')")
    op.execute("CREATE UNIQUE INDEX waitlist_place ON waitlist (room_id, place)")
    op.execute("CREATE UNIQUE INDEX waitlist_offer ON waitlist (offer_id)")
    op.execute("CREATE INDEX waitlist_open_offers ON waitlist (status, offer_expires_us)")
    # projections/waitlist.py, WAITLIST_TABLE and WAITLIST_INDEXES.
    op.execute("CREATE TABLE waitlist_view (entry_id VARCHAR(36) PRIMARY KEY, room_id VARCHAR(36) NOT NULL,"
               " tier_id VARCHAR(36) NOT NULL, holder_id TEXT NOT NULL, place INTEGER NOT NULL,"
               " status VARCHAR(16) NOT NULL, joined_us BIGINT NOT NULL, offer_id VARCHAR(36), offer_made_us BIGINT,"
               " offer_expires_us BIGINT, ticket_id VARCHAR(36), position BIGINT NOT NULL)")
    op.execute("CREATE INDEX waitlist_view_by_holder ON waitlist_view (holder_id, joined_us)")
    op.execute("CREATE INDEX waitlist_view_by_room ON waitlist_view (room_id, place)")


def downgrade() -> None:
    op.execute("DROP TABLE waitlist_view")
    op.execute("DROP TABLE waitlist")
